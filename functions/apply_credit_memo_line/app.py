"""POST /credit-memos/{creditMemoId}/lines/{creditMemoLineId}/actions/apply: memo line to invoice lines."""

from __future__ import annotations

from typing import Annotated, Any

from credit_memos.api import edge
from credit_memos.api.fields import IdempotencyKey
from credit_memos.api.routing import Body, Header, Path, Response
from credit_memos.api.schemas import ApplyCreditMemoLineRequest
from credit_memos.domain.views import ApplicationsResult
from credit_memos.usecases import Outcome

app = edge.make_resolver()


@app.post(
    "/credit-memos/<creditMemoId>/lines/<creditMemoLineId>/actions/apply",
    summary="Apply a credit memo line to invoice lines (level InvoiceLine only)",
    responses=edge.success_response(200, ApplicationsResult, "The memo after the change and the new records")
    | edge.error_responses(400, 404, 409, 413, 415, 422, 503),
)
def apply_credit_memo_line_action(
    creditMemoId: Annotated[str, Path()],
    creditMemoLineId: Annotated[str, Path()],
    request: Annotated[ApplyCreditMemoLineRequest, Body()],
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
) -> Response[str]:
    memo_id = edge.path_id(creditMemoId, "credit memo")
    command = request.command(memo_id, edge.path_id(creditMemoLineId, "credit memo line"))
    return edge.respond(edge.execute(command, idempotency_key))


def direct(payload: dict[str, Any]) -> Outcome:
    key = edge.take_key(payload)
    memo_id = edge.take(payload, "creditMemoId", "credit memo")
    memo_line_id = edge.take(payload, "creditMemoLineId", "credit memo line")
    return edge.execute(
        ApplyCreditMemoLineRequest.model_validate(payload).command(memo_id, memo_line_id), key
    )


lambda_handler = edge.make_lambda_handler(app, direct)
