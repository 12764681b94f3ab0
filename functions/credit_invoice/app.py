"""POST /invoices/{invoiceId}/actions/credit: create a Posted memo from invoice lines and apply it."""

from __future__ import annotations

from typing import Annotated, Any

from credit_memos.api import edge
from credit_memos.api.fields import IdempotencyKey
from credit_memos.api.routing import Body, Header, Path, Response
from credit_memos.api.schemas import CreditInvoiceRequest
from credit_memos.domain.views import ApplicationsResult
from credit_memos.usecases import Outcome

app = edge.make_resolver()


@app.post(
    "/invoices/<invoiceId>/actions/credit",
    summary="Create a credit memo from invoice lines and apply it to the invoice (atomic)",
    responses=edge.success_response(
        201, ApplicationsResult, "The new Posted memo and its application records"
    )
    | edge.error_responses(400, 404, 409, 413, 415, 422, 503),
)
def credit_invoice_action(
    invoiceId: Annotated[str, Path()],
    request: Annotated[CreditInvoiceRequest, Body()],
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
) -> Response[str]:
    command = request.command(edge.path_id(invoiceId, "invoice"))
    return edge.respond(edge.execute(command, idempotency_key))


def direct(payload: dict[str, Any]) -> Outcome:
    key = edge.take_key(payload)
    invoice_id = edge.take(payload, "invoiceId", "invoice")
    return edge.execute(CreditInvoiceRequest.model_validate(payload).command(invoice_id), key)


lambda_handler = edge.make_lambda_handler(app, direct)
