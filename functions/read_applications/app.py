"""GET /credit-memo-applications/{applicationId} and GET /credit-memo-line-applications/{applicationId}:
one application record of each level (404 if none, or if it is of the other level)."""

from __future__ import annotations

from typing import Annotated, Any

from credit_memos.api.direct_invocation import pop_id
from credit_memos.api.execution import checked_id, execute, respond
from credit_memos.api.lambda_handlers import make_lambda_handler, new_router
from credit_memos.api.openapi_responses import error_responses, success_response
from credit_memos.api.routing import Path, Response
from credit_memos.api.schemas import GetApplicationQuery
from credit_memos.commands import applications as commands
from credit_memos.usecases import Outcome
from credit_memos.views import ApplicationView

app = new_router()


@app.get(
    "/credit-memo-applications/<applicationId>",
    summary="Get one invoice-level application record (Applied or Unapplied)",
    responses=success_response(200, ApplicationView, "The record") | error_responses(404, 503),
)
def get_credit_memo_application(applicationId: Annotated[str, Path()]) -> Response[str]:
    ident = checked_id(applicationId, "credit memo application")
    return respond(execute(commands.GetApplication(ident, level="Invoice")))


@app.get(
    "/credit-memo-line-applications/<applicationId>",
    summary="Get one invoice-line-level application record (Applied or Unapplied)",
    responses=success_response(200, ApplicationView, "The record") | error_responses(404, 503),
)
def get_credit_memo_line_application(applicationId: Annotated[str, Path()]) -> Response[str]:
    ident = checked_id(applicationId, "credit memo line application")
    return respond(execute(commands.GetApplication(ident, level="InvoiceLine")))


def direct(payload: dict[str, Any]) -> Outcome:
    """``{applicationId, level?}``: level ``Invoice`` (default) or ``InvoiceLine``."""
    ident = pop_id(payload, "applicationId", "credit memo application")
    query = GetApplicationQuery.model_validate(payload)
    return execute(commands.GetApplication(ident, level=query.level))


lambda_handler = make_lambda_handler(app, direct)
