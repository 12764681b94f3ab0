"""POST /credit-memos/{creditMemoId}/actions/void: void a Posted credit memo with no active applications."""

from __future__ import annotations

from typing import Annotated, Any

from credit_memos.api import edge
from credit_memos.api.fields import IdempotencyKey
from credit_memos.api.routing import Body, Header, Path, Response
from credit_memos.api.schemas import VoidRequest
from credit_memos.domain.views import CreditMemoView
from credit_memos.usecases import Outcome

app = edge.make_resolver()


@app.post(
    "/credit-memos/<creditMemoId>/actions/void",
    summary="Void a credit memo",
    responses=edge.success_response(200, CreditMemoView, "The voided credit memo")
    | edge.error_responses(400, 404, 409, 413, 415, 422, 503),
)
def void_credit_memo_action(
    creditMemoId: Annotated[str, Path()],
    request: Annotated[VoidRequest | None, Body()] = None,
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
) -> Response[str]:
    command = (request or VoidRequest()).command(edge.path_id(creditMemoId, "credit memo"))
    return edge.respond(edge.execute(command, idempotency_key))


def direct(payload: dict[str, Any]) -> Outcome:
    key = edge.take_key(payload)
    ident = edge.take(payload, "creditMemoId", "credit memo")
    return edge.execute(VoidRequest.model_validate(payload).command(ident), key)


lambda_handler = edge.make_lambda_handler(app, direct)
