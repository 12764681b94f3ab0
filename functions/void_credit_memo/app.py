"""POST /credit-memos/{creditMemoId}/actions/void: void a Posted credit memo with no active applications."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path
from credit_memos.api import edge
from credit_memos.api.runtime import get_service
from credit_memos.api.schemas import CreditMemoView, EmptyActionRequest, IdempotencyKey
from credit_memos.service import Outcome

app = edge.make_resolver()


def void_credit_memo(memo_id: str, idempotency_key: str | None) -> Outcome:
    memo_id = edge.path_id(memo_id, "credit memo")
    idempotency = edge.idempotency_for(idempotency_key, "VoidCreditMemo", {"creditMemoId": memo_id})
    return get_service().void_credit_memo(memo_id, idempotency)


@app.post(
    "/credit-memos/<creditMemoId>/actions/void",
    summary="Void a credit memo",
    responses=edge.success_response(200, CreditMemoView, "The voided credit memo")
    | edge.error_responses(400, 404, 409, 413, 415, 422, 503),
)
def void_credit_memo_action(
    creditMemoId: Annotated[str, Path()],
    request: Annotated[EmptyActionRequest | None, Body()] = None,
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
) -> Response[str]:
    return edge.respond(void_credit_memo(creditMemoId, idempotency_key))


def direct(payload: dict[str, Any]) -> Outcome:
    key = edge.take_key(payload)
    memo_id = edge.take(payload, "creditMemoId", "credit memo")
    EmptyActionRequest.model_validate(payload)
    return void_credit_memo(memo_id, key)


lambda_handler = edge.make_lambda_handler(app, direct)
