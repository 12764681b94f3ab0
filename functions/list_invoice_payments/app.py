"""GET /invoices/{invoiceId}/payments: an invoice's Payment and Reversal records, oldest first."""

from __future__ import annotations

from typing import Annotated, Any

from credit_memos.api.direct_invocation import pop_id
from credit_memos.api.execution import checked_id, execute, respond
from credit_memos.api.lambda_handlers import make_lambda_handler, new_router
from credit_memos.api.openapi_responses import error_responses, success_response
from credit_memos.api.routing import Path, Query, Response
from credit_memos.api.schemas import PageQuery
from credit_memos.commands import payments as commands
from credit_memos.limits import MAX_PAGE_SIZE, MAX_TOKEN_LENGTH
from credit_memos.usecases import Outcome
from credit_memos.views import InvoicePaymentPage

app = new_router()


@app.get(
    "/invoices/<invoiceId>/payments",
    summary="An invoice's payment records (Payment and Reversal), oldest first",
    operation_id="ListInvoicePayments",
    responses=success_response(200, InvoicePaymentPage, "Payment records") | error_responses(404, 422, 503),
)
def list_invoice_payments(
    invoiceId: Annotated[str, Path()],
    limit: Annotated[int | None, Query(ge=1, le=MAX_PAGE_SIZE)] = None,
    nextToken: Annotated[str | None, Query(max_length=MAX_TOKEN_LENGTH)] = None,
) -> Response[str]:
    invoice_id = checked_id(invoiceId, "invoice")
    return respond(execute(commands.ListInvoicePayments(invoice_id, limit, nextToken)))


def direct(payload: dict[str, Any]) -> Outcome:
    """``{invoiceId, limit?, nextToken?}``."""
    invoice_id = pop_id(payload, "invoiceId", "invoice")
    query = PageQuery.model_validate(payload)
    return execute(commands.ListInvoicePayments(invoice_id, query.limit, query.nextToken))


lambda_handler = make_lambda_handler(app, direct)
