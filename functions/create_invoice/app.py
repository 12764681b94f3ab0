"""POST /invoices: create an invoice (Draft or Posted)."""

from __future__ import annotations

from typing import Annotated, Any

from credit_memos.api.direct_invocation import pop_dry_run, pop_idempotency_key
from credit_memos.api.execution import DryRun, execute, respond
from credit_memos.api.fields import IdempotencyKey
from credit_memos.api.lambda_handlers import make_lambda_handler, new_router
from credit_memos.api.openapi_responses import error_responses, success_response
from credit_memos.api.routing import Body, Header, Response
from credit_memos.api.schemas import CreateInvoiceRequest
from credit_memos.usecases import Outcome
from credit_memos.views import InvoiceView

app = new_router()


@app.post(
    "/invoices",
    summary="Create an invoice",
    responses=success_response(201, InvoiceView, "The invoice") | error_responses(400, 413, 415, 422, 503),
)
def post_invoices(
    request: Annotated[CreateInvoiceRequest, Body()],
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
    dry_run: DryRun = False,
) -> Response[str]:
    return respond(execute(request.command(), idempotency_key, dry_run))


def direct(payload: dict[str, Any]) -> Outcome:
    key = pop_idempotency_key(payload)
    dry_run = pop_dry_run(payload)
    return execute(CreateInvoiceRequest.model_validate(payload).command(), key, dry_run)


lambda_handler = make_lambda_handler(app, direct)
