"""POST /invoices/{invoiceId}/actions/convert-to-credit: negative lines into a Posted memo."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path
from aws_lambda_powertools.metrics import MetricUnit
from credit_memos.api import edge
from credit_memos.api.runtime import get_service
from credit_memos.api.schemas import ApplicationsResult, ConvertNegativeLinesRequest, IdempotencyKey
from credit_memos.service import Outcome

app = edge.make_resolver()


def convert(invoice_id: str, request: ConvertNegativeLinesRequest, idempotency_key: str | None) -> Outcome:
    invoice_id = edge.path_id(invoice_id, "invoice")
    idempotency = edge.idempotency_for(
        idempotency_key,
        "ConvertNegativeInvoiceLines",
        {"invoiceId": invoice_id, **edge.request_data(request)},
    )
    outcome = get_service().convert_negative_invoice_lines(
        invoice_id,
        request.invoiceLineIds,
        apply_to_invoice=request.applyToInvoice,
        description=request.description,
        effective_date=request.effectiveDate,
        idempotency=idempotency,
    )
    edge.metrics.add_metric(name="NegativeLinesConverted", unit=MetricUnit.Count, value=1)
    return outcome


@app.post(
    "/invoices/<invoiceId>/actions/convert-to-credit",
    summary="Convert negative invoice lines into a Posted credit memo, applied back by default (atomic)",
    responses=edge.success_response(201, ApplicationsResult, "The new memo and the records applying it back")
    | edge.error_responses(400, 404, 409, 413, 415, 422, 503),
)
def convert_action(
    invoiceId: Annotated[str, Path()],
    request: Annotated[ConvertNegativeLinesRequest | None, Body()] = None,
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
) -> Response[str]:
    return edge.respond(convert(invoiceId, request or ConvertNegativeLinesRequest(), idempotency_key))


def direct(payload: dict[str, Any]) -> Outcome:
    key = edge.take_key(payload)
    invoice_id = edge.take(payload, "invoiceId", "invoice")
    return convert(invoice_id, ConvertNegativeLinesRequest.model_validate(payload), key)


lambda_handler = edge.make_lambda_handler(app, direct)
