"""POST /credit-memos/{creditMemoId}/actions/apply: apply a memo to one or more invoices."""

from __future__ import annotations

from typing import Annotated, Any

from credit_memos.api import edge
from credit_memos.api.fields import IdempotencyKey
from credit_memos.api.routing import Body, Header, Path, Response
from credit_memos.api.schemas import ApplyCreditMemoRequest
from credit_memos.domain.views import ApplicationsResult
from credit_memos.limits import MAX_APPLY_TARGETS
from credit_memos.usecases import Outcome

app = edge.make_resolver()


@app.post(
    "/credit-memos/<creditMemoId>/actions/apply",
    summary=f"Apply a credit memo to invoices (all-or-nothing, up to {MAX_APPLY_TARGETS} invoices)",
    responses=edge.success_response(200, ApplicationsResult, "The memo after the change and the new records")
    | edge.error_responses(400, 404, 409, 413, 415, 422, 503),
)
def apply_credit_memo_action(
    creditMemoId: Annotated[str, Path()],
    request: Annotated[ApplyCreditMemoRequest, Body()],
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
) -> Response[str]:
    command = request.command(edge.path_id(creditMemoId, "credit memo"))
    return edge.respond(edge.execute(command, idempotency_key))


def direct(payload: dict[str, Any]) -> Outcome:
    key = edge.take_key(payload)
    memo_id = edge.take(payload, "creditMemoId", "credit memo")
    return edge.execute(ApplyCreditMemoRequest.model_validate(payload).command(memo_id), key)


lambda_handler = edge.make_lambda_handler(app, direct)
