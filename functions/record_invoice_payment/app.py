"""POST /invoices/{invoiceId}/actions/record-payment: record a payment received elsewhere."""

from __future__ import annotations

from typing import Annotated, Any

from credit_memos.api import edge
from credit_memos.api.fields import IdempotencyKey
from credit_memos.api.routing import Body, Header, Path, Response
from credit_memos.api.schemas import RecordPaymentRequest
from credit_memos.domain.views import InvoicePaymentView
from credit_memos.usecases import Outcome

app = edge.make_resolver()


@app.post(
    "/invoices/<invoiceId>/actions/record-payment",
    summary="Record a payment against a Posted invoice (spread highest line balance first at level "
    "InvoiceLine)",
    operation_id="RecordInvoicePayment",
    responses=edge.success_response(201, InvoicePaymentView, "The new Payment record")
    | edge.error_responses(400, 404, 409, 413, 415, 422, 503),
)
def record_invoice_payment_action(
    invoiceId: Annotated[str, Path()],
    request: Annotated[RecordPaymentRequest, Body()],
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
) -> Response[str]:
    command = request.command(edge.path_id(invoiceId, "invoice"))
    return edge.respond(edge.execute(command, idempotency_key))


def direct(payload: dict[str, Any]) -> Outcome:
    key = edge.take_key(payload)
    invoice_id = edge.take(payload, "invoiceId", "invoice")
    return edge.execute(RecordPaymentRequest.model_validate(payload).command(invoice_id), key)


lambda_handler = edge.make_lambda_handler(app, direct)
