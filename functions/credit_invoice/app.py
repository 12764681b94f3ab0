"""POST /invoices/{invoiceId}/actions/credit: create a Posted memo from invoice lines and apply it."""

from __future__ import annotations

from typing import Annotated, Any

from credit_memos.api.direct_invocation import pop_dry_run, pop_id, pop_idempotency_key
from credit_memos.api.execution import DryRun, checked_id, execute, respond
from credit_memos.api.fields import IdempotencyKey
from credit_memos.api.lambda_handlers import make_lambda_handler, new_router
from credit_memos.api.openapi_responses import error_responses, success_response
from credit_memos.api.routing import Body, Header, Path, Response
from credit_memos.api.schemas import CreditInvoiceRequest
from credit_memos.usecases import Outcome
from credit_memos.views import ApplicationsResult

app = new_router()


@app.post(
    "/invoices/<invoiceId>/actions/credit",
    summary="Create a credit memo from invoice lines and apply it to the invoice (atomic)",
    responses=success_response(201, ApplicationsResult, "The new Posted memo and its application records")
    | error_responses(400, 404, 409, 413, 415, 422, 503),
)
def credit_invoice_action(
    invoiceId: Annotated[str, Path()],
    request: Annotated[CreditInvoiceRequest, Body()],
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
    dry_run: DryRun = False,
) -> Response[str]:
    command = request.command(checked_id(invoiceId, "invoice"))
    return respond(execute(command, idempotency_key, dry_run))


def direct(payload: dict[str, Any]) -> Outcome:
    key = pop_idempotency_key(payload)
    dry_run = pop_dry_run(payload)
    invoice_id = pop_id(payload, "invoiceId", "invoice")
    return execute(CreditInvoiceRequest.model_validate(payload).command(invoice_id), key, dry_run)


lambda_handler = make_lambda_handler(app, direct)
