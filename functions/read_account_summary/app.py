"""GET /billing-accounts/{billingAccountId}/summary: open credit and open receivable per currency,
counts and asOf, from the materialised view SummarizeAccountsFunction keeps (one read, whatever the
number of documents; docs/design.md "Account summary")."""

from __future__ import annotations

from typing import Annotated, Any

from credit_memos.api.execution import execute, respond
from credit_memos.api.fields import Identifier
from credit_memos.api.lambda_handlers import make_lambda_handler, new_router
from credit_memos.api.openapi_responses import error_responses, success_response
from credit_memos.api.routing import Path, Response
from credit_memos.api.schemas import AccountSummaryQuery
from credit_memos.commands import summary as commands
from credit_memos.usecases import Outcome
from credit_memos.views import AccountSummaryView

app = new_router()


@app.get(
    "/billing-accounts/<billingAccountId>/summary",
    summary="A billing account's open credit and open receivable per currency (a few seconds behind)",
    description="Kept from the table's stream: it may lag the writes by a few seconds, and asOf says "
    "which change it includes last; once writes stop it equals the sums over the account's "
    "documents. An account without documents has currencies [].",
    responses=success_response(200, AccountSummaryView, "The account's summary") | error_responses(422, 503),
)
def get_account_summary(billingAccountId: Annotated[Identifier, Path()]) -> Response[str]:
    return respond(execute(commands.GetAccountSummary(billingAccountId)))


def direct(payload: dict[str, Any]) -> Outcome:
    """``{billingAccountId}``."""
    query = AccountSummaryQuery.model_validate(payload)
    return execute(commands.GetAccountSummary(query.billingAccountId))


lambda_handler = make_lambda_handler(app, direct)
