"""POST /credit-memos/{creditMemoId}/actions/post: post a Draft credit memo."""

from __future__ import annotations

from typing import Annotated, Any

from credit_memos.api import edge
from credit_memos.api.fields import IdempotencyKey
from credit_memos.api.routing import Body, Header, Path, Response
from credit_memos.api.schemas import EmptyActionRequest
from credit_memos.commands import memos as commands
from credit_memos.domain.views import CreditMemoView
from credit_memos.usecases import Outcome

app = edge.make_resolver()


@app.post(
    "/credit-memos/<creditMemoId>/actions/post",
    summary="Post a draft credit memo",
    responses=edge.success_response(200, CreditMemoView, "The posted credit memo")
    | edge.error_responses(400, 404, 409, 413, 415, 422, 503),
)
def post_credit_memo_action(
    creditMemoId: Annotated[str, Path()],
    request: Annotated[EmptyActionRequest | None, Body()] = None,
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
) -> Response[str]:
    return edge.respond(
        edge.execute(commands.PostCreditMemo(edge.path_id(creditMemoId, "credit memo")), idempotency_key)
    )


def direct(payload: dict[str, Any]) -> Outcome:
    key = edge.take_key(payload)
    ident = edge.take(payload, "creditMemoId", "credit memo")
    EmptyActionRequest.model_validate(payload)
    return edge.execute(commands.PostCreditMemo(ident), key)


lambda_handler = edge.make_lambda_handler(app, direct)
