"""GET /billing-accounts/{billingAccountId}/summary: open credit and open receivable per currency,
counts and asOf, from the materialised view SummarizeAccountsFunction keeps (one read, whatever the
number of documents; docs/design.md "Account summary")."""

from __future__ import annotations

from typing import Annotated, Any

from credit_memos.api import edge
from credit_memos.api.fields import Identifier
from credit_memos.api.routing import Path, Response
from credit_memos.api.schemas import AccountSummaryQuery
from credit_memos.commands import summary as commands
from credit_memos.domain.views import AccountSummaryView
from credit_memos.usecases import Outcome

app = edge.make_resolver()


@app.get(
    "/billing-accounts/<billingAccountId>/summary",
    summary="A billing account's open credit and open receivable per currency (a few seconds behind)",
    description="Kept from the table's stream: it may lag the writes by a few seconds, and asOf says "
    "which change it includes last; once writes stop it equals the sums over the account's "
    "documents. An account without documents has currencies [].",
    responses=edge.success_response(200, AccountSummaryView, "The account's summary")
    | edge.error_responses(422, 503),
)
def get_account_summary(billingAccountId: Annotated[Identifier, Path()]) -> Response[str]:
    return edge.respond(edge.execute(commands.GetAccountSummary(billingAccountId)))


def direct(payload: dict[str, Any]) -> Outcome:
    """``{billingAccountId}``."""
    query = AccountSummaryQuery.model_validate(payload)
    return edge.execute(commands.GetAccountSummary(query.billingAccountId))


lambda_handler = edge.make_lambda_handler(app, direct)
