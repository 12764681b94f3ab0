"""POST /invoices/{invoiceId}/actions/credit: create a Posted memo from invoice lines and apply it."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path
from aws_lambda_powertools.metrics import MetricUnit
from credit_memos.api import edge
from credit_memos.api.runtime import get_service
from credit_memos.api.schemas import ApplicationsResult, CreditInvoiceRequest, IdempotencyKey
from credit_memos.domain.rules import CreditLineInput, TaxInput
from credit_memos.service import Outcome

app = edge.make_resolver()


def credit_invoice(invoice_id: str, request: CreditInvoiceRequest, idempotency_key: str | None) -> Outcome:
    invoice_id = edge.path_id(invoice_id, "invoice")
    credits = [
        CreditLineInput(
            line.invoiceLineId,
            line.amountToCredit,
            tuple(TaxInput(t.taxAmount, t.taxCode, t.taxName, t.taxRate) for t in line.taxes),
        )
        for line in request.invoiceLines
    ]
    idempotency = edge.idempotency_for(
        idempotency_key, "CreditInvoice", {"invoiceId": invoice_id, **edge.request_data(request)}
    )
    outcome = get_service().credit_invoice(
        invoice_id,
        credits,
        tax_strategy=request.taxStrategy,
        description=request.description,
        effective_date=request.effectiveDate,
        idempotency=idempotency,
    )
    edge.metrics.add_metric(name="InvoiceCredited", unit=MetricUnit.Count, value=1)
    return outcome


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
    return edge.respond(credit_invoice(invoiceId, request, idempotency_key))


def direct(payload: dict[str, Any]) -> Outcome:
    key = edge.take_key(payload)
    invoice_id = edge.take(payload, "invoiceId", "invoice")
    return credit_invoice(invoice_id, CreditInvoiceRequest.model_validate(payload), key)


lambda_handler = edge.make_lambda_handler(app, direct)
