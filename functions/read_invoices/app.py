"""Read-only invoice routes: list, get, and application history."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from credit_memos import commands
from credit_memos.api import edge
from credit_memos.api.schemas import Identifier, ListQuery
from credit_memos.domain.documents import InvoiceStatus
from credit_memos.domain.views import ApplicationPage, InvoicePage, InvoiceView
from credit_memos.errors import ValidationError
from credit_memos.limits import MAX_PAGE_SIZE, MAX_TOKEN_LENGTH
from credit_memos.usecases import Outcome

app = edge.make_resolver()


@app.get(
    "/invoices",
    summary="List a billing account's invoices, oldest invoice date first",
    responses=edge.success_response(200, InvoicePage, "A page of invoices (without lines)")
    | edge.error_responses(422, 503),
)
def list_invoices(
    billingAccountId: Annotated[Identifier, Query()],
    status: Annotated[InvoiceStatus | None, Query()] = None,
    limit: Annotated[int | None, Query(ge=1, le=MAX_PAGE_SIZE)] = None,
    nextToken: Annotated[str | None, Query(max_length=MAX_TOKEN_LENGTH)] = None,
) -> Response[str]:
    return edge.respond(edge.execute(commands.ListInvoices(billingAccountId, status, limit, nextToken)))


@app.get(
    "/invoices/<invoiceId>",
    summary="Get an invoice with its lines",
    responses=edge.success_response(200, InvoiceView, "The invoice") | edge.error_responses(404, 503),
)
def get_invoice(invoiceId: Annotated[str, Path()]) -> Response[str]:
    return edge.respond(edge.execute(commands.GetInvoice(edge.path_id(invoiceId, "invoice"))))


@app.get(
    "/invoices/<invoiceId>/applications",
    summary="An invoice's credit application history (both levels), oldest first",
    responses=edge.success_response(200, ApplicationPage, "Application records")
    | edge.error_responses(404, 422, 503),
)
def list_invoice_applications(
    invoiceId: Annotated[str, Path()],
    limit: Annotated[int | None, Query(ge=1, le=MAX_PAGE_SIZE)] = None,
    nextToken: Annotated[str | None, Query(max_length=MAX_TOKEN_LENGTH)] = None,
) -> Response[str]:
    invoice_id = edge.path_id(invoiceId, "invoice")
    return edge.respond(
        edge.execute(commands.ListApplications(invoice_id=invoice_id, limit=limit, next_token=nextToken))
    )


def direct(payload: dict[str, Any]) -> Outcome:
    """``{invoiceId}`` gets one; ``{invoiceId, applications: true}`` its history; else a list query."""
    if "invoiceId" in payload:
        invoice_id = edge.take(payload, "invoiceId", "invoice")
        if payload.pop("applications", False) is True:
            query = ListQuery.model_validate(payload)
            return edge.execute(
                commands.ListApplications(
                    invoice_id=invoice_id, limit=query.limit, next_token=query.nextToken
                )
            )
        return edge.execute(commands.GetInvoice(invoice_id))
    query = ListQuery.model_validate(payload)
    if query.billingAccountId is None:
        raise ValidationError("is required", field=("billingAccountId",))
    return edge.execute(
        commands.ListInvoices(query.billingAccountId, query.status, query.limit, query.nextToken)
    )


lambda_handler = edge.make_lambda_handler(app, direct)
