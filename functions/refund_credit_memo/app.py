"""POST /credit-memos/{creditMemoId}/actions/refund: refund part of a memo's balance (paid back elsewhere)."""

from __future__ import annotations

from typing import Annotated, Any

from credit_memos.api.direct_invocation import pop_dry_run, pop_id, pop_idempotency_key
from credit_memos.api.execution import DryRun, checked_id, execute, respond
from credit_memos.api.fields import IdempotencyKey
from credit_memos.api.lambda_handlers import make_lambda_handler, new_router
from credit_memos.api.openapi_responses import error_responses, success_response
from credit_memos.api.refund_schemas import RefundRequest
from credit_memos.api.routing import Body, Header, Path, Response
from credit_memos.usecases import Outcome
from credit_memos.views import CreditMemoRefundView

app = new_router()


@app.post(
    "/credit-memos/<creditMemoId>/actions/refund",
    summary="Refund part of a Posted credit memo's balance (drawn from its lines, highest balance first)",
    operation_id="RefundCreditMemo",
    responses=success_response(201, CreditMemoRefundView, "The new Refund record")
    | error_responses(400, 404, 409, 413, 415, 422, 503),
)
def refund_credit_memo_action(
    creditMemoId: Annotated[str, Path()],
    request: Annotated[RefundRequest, Body()],
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
    dry_run: DryRun = False,
) -> Response[str]:
    command = request.command(checked_id(creditMemoId, "credit memo"))
    return respond(execute(command, idempotency_key, dry_run))


def direct(payload: dict[str, Any]) -> Outcome:
    key = pop_idempotency_key(payload)
    dry_run = pop_dry_run(payload)
    memo_id = pop_id(payload, "creditMemoId", "credit memo")
    return execute(RefundRequest.model_validate(payload).command(memo_id), key, dry_run)


lambda_handler = make_lambda_handler(app, direct)
