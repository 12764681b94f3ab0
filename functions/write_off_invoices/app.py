"""POST /invoices/actions/write-off: write off invoices' balances, each invoice on its own."""

from __future__ import annotations

from typing import Annotated, Any

from credit_memos.api.direct_invocation import pop_dry_run, pop_idempotency_key
from credit_memos.api.execution import DryRun, execute, respond
from credit_memos.api.fields import IdempotencyKey
from credit_memos.api.lambda_handlers import make_lambda_handler, new_router
from credit_memos.api.openapi_responses import error_responses, success_response
from credit_memos.api.routing import Body, Header, Response
from credit_memos.api.schemas import WriteOffInvoicesRequest
from credit_memos.usecases import Outcome
from credit_memos.views import WriteOffResults

app = new_router()


@app.post(
    "/invoices/actions/write-off",
    summary="Write off invoices: each gets a Posted memo of its balance, applied to it (each on its own)",
    responses=success_response(200, WriteOffResults, "One result per invoice, in the request's order")
    | error_responses(400, 409, 413, 415, 422, 503),
)
def write_off_invoices_action(
    request: Annotated[WriteOffInvoicesRequest, Body()],
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
    dry_run: DryRun = False,
) -> Response[str]:
    return respond(execute(request.command(), idempotency_key, dry_run))


def direct(payload: dict[str, Any]) -> Outcome:
    key = pop_idempotency_key(payload)
    dry_run = pop_dry_run(payload)
    return execute(WriteOffInvoicesRequest.model_validate(payload).command(), key, dry_run)


lambda_handler = make_lambda_handler(app, direct)
