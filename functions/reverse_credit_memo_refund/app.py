"""POST /credit-memo-refunds/{refundId}/actions/reverse: reverse a refund with a Reversal record."""

from __future__ import annotations

from typing import Annotated, Any

from credit_memos.api.direct_invocation import pop_dry_run, pop_id, pop_idempotency_key
from credit_memos.api.execution import DryRun, checked_id, execute, respond
from credit_memos.api.fields import IdempotencyKey
from credit_memos.api.lambda_handlers import make_lambda_handler, new_router
from credit_memos.api.openapi_responses import error_responses, success_response
from credit_memos.api.refund_schemas import ReverseRefundRequest
from credit_memos.api.routing import Body, Header, Path, Response
from credit_memos.usecases import Outcome
from credit_memos.views import CreditMemoRefundView

app = new_router()


@app.post(
    "/credit-memo-refunds/<refundId>/actions/reverse",
    summary="Reverse a credit memo refund (its amounts go back to the memo and its lines)",
    operation_id="ReverseCreditMemoRefund",
    responses=success_response(200, CreditMemoRefundView, "The new Reversal record")
    | error_responses(400, 404, 409, 413, 415, 422, 503),
)
def reverse_credit_memo_refund_action(
    refundId: Annotated[str, Path()],
    request: Annotated[ReverseRefundRequest | None, Body()] = None,
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
    dry_run: DryRun = False,
) -> Response[str]:
    command = (request or ReverseRefundRequest()).command(checked_id(refundId, "credit memo refund"))
    return respond(execute(command, idempotency_key, dry_run))


def direct(payload: dict[str, Any]) -> Outcome:
    key = pop_idempotency_key(payload)
    dry_run = pop_dry_run(payload)
    refund_id = pop_id(payload, "refundId", "credit memo refund")
    return execute(ReverseRefundRequest.model_validate(payload).command(refund_id), key, dry_run)


lambda_handler = make_lambda_handler(app, direct)
