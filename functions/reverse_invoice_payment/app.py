"""POST /invoice-payments/{paymentId}/actions/reverse: reverse a payment with a Reversal record."""

from __future__ import annotations

from typing import Annotated, Any

from credit_memos.api import edge
from credit_memos.api.fields import IdempotencyKey
from credit_memos.api.routing import Body, Header, Path, Response
from credit_memos.api.schemas import ReversePaymentRequest
from credit_memos.domain.views import InvoicePaymentView
from credit_memos.usecases import Outcome

app = edge.make_resolver()


@app.post(
    "/invoice-payments/<paymentId>/actions/reverse",
    summary="Reverse an invoice payment (its amounts go back to the invoice and its lines)",
    operation_id="ReverseInvoicePayment",
    responses=edge.success_response(200, InvoicePaymentView, "The new Reversal record")
    | edge.error_responses(400, 404, 409, 413, 415, 422, 503),
)
def reverse_invoice_payment_action(
    paymentId: Annotated[str, Path()],
    request: Annotated[ReversePaymentRequest | None, Body()] = None,
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
) -> Response[str]:
    command = (request or ReversePaymentRequest()).command(edge.path_id(paymentId, "invoice payment"))
    return edge.respond(edge.execute(command, idempotency_key))


def direct(payload: dict[str, Any]) -> Outcome:
    key = edge.take_key(payload)
    payment_id = edge.take(payload, "paymentId", "invoice payment")
    return edge.execute(ReversePaymentRequest.model_validate(payload).command(payment_id), key)


lambda_handler = edge.make_lambda_handler(app, direct)
