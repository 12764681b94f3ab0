"""Use case of the account summary: read the view the stream consumer keeps (docs/design.md
"Account summary"); an account none of whose document changes has been applied reads as empty."""

from __future__ import annotations

from credit_memos.commands import summary as commands
from credit_memos.domain.summary import AccountTotals
from credit_memos.ports import Repository
from credit_memos.usecases.service import use_case
from credit_memos.usecases.unit_of_work import Result
from credit_memos.views import AccountSummaryView


@use_case(commands.GetAccountSummary)
def get(repository: Repository, command: commands.GetAccountSummary) -> Result:
    totals = repository.read_account_summary(command.billing_account_id)
    if totals is None:
        totals = AccountTotals(command.billing_account_id, {}, None)
    return Result(200, AccountSummaryView.of(totals))
