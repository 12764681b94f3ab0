"""POST /invoices/{invoiceId}/actions/convert-to-credit: negative lines into a Posted memo."""

from __future__ import annotations

from typing import Annotated, Any

from credit_memos.api.direct_invocation import pop_dry_run, pop_id, pop_idempotency_key
from credit_memos.api.execution import DryRun, checked_id, execute, respond
from credit_memos.api.fields import IdempotencyKey
from credit_memos.api.lambda_handlers import make_lambda_handler, new_router
from credit_memos.api.openapi_responses import error_responses, success_response
from credit_memos.api.routing import Body, Header, Path, Response
from credit_memos.api.schemas import ConvertNegativeLinesRequest
from credit_memos.usecases import Outcome
from credit_memos.views import ApplicationsResult

app = new_router()


@app.post(
    "/invoices/<invoiceId>/actions/convert-to-credit",
    summary="Convert negative invoice lines into a Posted credit memo, applied back by default (atomic)",
    responses=success_response(201, ApplicationsResult, "The new memo and the records applying it back")
    | error_responses(400, 404, 409, 413, 415, 422, 503),
)
def convert_action(
    invoiceId: Annotated[str, Path()],
    request: Annotated[ConvertNegativeLinesRequest | None, Body()] = None,
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
    dry_run: DryRun = False,
) -> Response[str]:
    command = (request or ConvertNegativeLinesRequest()).command(checked_id(invoiceId, "invoice"))
    return respond(execute(command, idempotency_key, dry_run))


def direct(payload: dict[str, Any]) -> Outcome:
    key = pop_idempotency_key(payload)
    dry_run = pop_dry_run(payload)
    invoice_id = pop_id(payload, "invoiceId", "invoice")
    return execute(ConvertNegativeLinesRequest.model_validate(payload).command(invoice_id), key, dry_run)


lambda_handler = make_lambda_handler(app, direct)
