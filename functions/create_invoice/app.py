"""POST /invoices: create an invoice (Draft or Posted)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header
from credit_memos.api import edge
from credit_memos.api.runtime import get_service
from credit_memos.api.schemas import CreateInvoiceRequest, IdempotencyKey, InvoiceView
from credit_memos.domain.rules import InvoiceLineInput
from credit_memos.service import CreateInvoiceCommand, Outcome

app = edge.make_resolver()


def create_invoice(request: CreateInvoiceRequest, idempotency_key: str | None) -> Outcome:
    command = CreateInvoiceCommand(
        billing_account_id=request.billingAccountId,
        currency=request.currency,
        status=request.status,
        settlement_level=request.settlementLevel,
        invoice_date=request.invoiceDate,
        due_date=request.dueDate,
        lines=[
            InvoiceLineInput(
                line.chargeAmount, line.taxAmount, line.productId, line.productName, line.description
            )
            for line in request.lines
        ],
    )
    idempotency = edge.idempotency_for(idempotency_key, "CreateInvoice", edge.request_data(request))
    return get_service().create_invoice(command, idempotency)


@app.post(
    "/invoices",
    summary="Create an invoice",
    responses=edge.success_response(201, InvoiceView, "The invoice")
    | edge.error_responses(400, 413, 415, 422, 503),
)
def post_invoices(
    request: Annotated[CreateInvoiceRequest, Body()],
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
) -> Response[str]:
    return edge.respond(create_invoice(request, idempotency_key))


def direct(payload: dict[str, Any]) -> Outcome:
    key = edge.take_key(payload)
    return create_invoice(CreateInvoiceRequest.model_validate(payload), key)


lambda_handler = edge.make_lambda_handler(app, direct)
