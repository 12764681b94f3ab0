"""GET /credit-memo-applications/{applicationId} and GET /credit-memo-line-applications/{applicationId}:
one application record of each level (404 if none, or if it is of the other level)."""

from __future__ import annotations

from typing import Annotated, Any

from credit_memos.api import edge
from credit_memos.api.routing import Path, Response
from credit_memos.api.schemas import GetApplicationQuery
from credit_memos.commands import applications as commands
from credit_memos.domain.views import ApplicationView
from credit_memos.usecases import Outcome

app = edge.make_resolver()


@app.get(
    "/credit-memo-applications/<applicationId>",
    summary="Get one invoice-level application record (Applied or Unapplied)",
    responses=edge.success_response(200, ApplicationView, "The record") | edge.error_responses(404, 503),
)
def get_credit_memo_application(applicationId: Annotated[str, Path()]) -> Response[str]:
    ident = edge.path_id(applicationId, "credit memo application")
    return edge.respond(edge.execute(commands.GetApplication(ident, level="Invoice")))


@app.get(
    "/credit-memo-line-applications/<applicationId>",
    summary="Get one invoice-line-level application record (Applied or Unapplied)",
    responses=edge.success_response(200, ApplicationView, "The record") | edge.error_responses(404, 503),
)
def get_credit_memo_line_application(applicationId: Annotated[str, Path()]) -> Response[str]:
    ident = edge.path_id(applicationId, "credit memo line application")
    return edge.respond(edge.execute(commands.GetApplication(ident, level="InvoiceLine")))


def direct(payload: dict[str, Any]) -> Outcome:
    """``{applicationId, level?}``: level ``Invoice`` (default) or ``InvoiceLine``."""
    ident = edge.take(payload, "applicationId", "credit memo application")
    query = GetApplicationQuery.model_validate(payload)
    return edge.execute(commands.GetApplication(ident, level=query.level))


lambda_handler = edge.make_lambda_handler(app, direct)
