"""POST /invoice-payments/{paymentId}/actions/reverse: reverse a payment with a Reversal record."""

from __future__ import annotations

from typing import Annotated, Any

from credit_memos.api.direct_invocation import pop_dry_run, pop_id, pop_idempotency_key
from credit_memos.api.execution import DryRun, checked_id, execute, respond
from credit_memos.api.fields import IdempotencyKey
from credit_memos.api.lambda_handlers import make_lambda_handler, new_router
from credit_memos.api.openapi_responses import error_responses, success_response
from credit_memos.api.routing import Body, Header, Path, Response
from credit_memos.api.schemas import ReversePaymentRequest
from credit_memos.usecases import Outcome
from credit_memos.views import InvoicePaymentView

app = new_router()


@app.post(
    "/invoice-payments/<paymentId>/actions/reverse",
    summary="Reverse an invoice payment (its amounts go back to the invoice and its lines)",
    operation_id="ReverseInvoicePayment",
    responses=success_response(200, InvoicePaymentView, "The new Reversal record")
    | error_responses(400, 404, 409, 413, 415, 422, 503),
)
def reverse_invoice_payment_action(
    paymentId: Annotated[str, Path()],
    request: Annotated[ReversePaymentRequest | None, Body()] = None,
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
    dry_run: DryRun = False,
) -> Response[str]:
    command = (request or ReversePaymentRequest()).command(checked_id(paymentId, "invoice payment"))
    return respond(execute(command, idempotency_key, dry_run))


def direct(payload: dict[str, Any]) -> Outcome:
    key = pop_idempotency_key(payload)
    dry_run = pop_dry_run(payload)
    payment_id = pop_id(payload, "paymentId", "invoice payment")
    return execute(ReversePaymentRequest.model_validate(payload).command(payment_id), key, dry_run)


lambda_handler = make_lambda_handler(app, direct)
