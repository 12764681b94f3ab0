"""Use cases of account settlement (the Step Functions planner): plan, summarize. Read-only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from credit_memos.commands import settlement as commands
from credit_memos.domain import settlement
from credit_memos.limits import MAX_PAGE_SIZE, MAX_SETTLEMENT_DOCUMENTS
from credit_memos.money import minor_units
from credit_memos.ports import Page, Repository
from credit_memos.usecases.service import use_case
from credit_memos.usecases.unit_of_work import Result


@use_case(commands.PlanAccountSettlement)
def plan(repository: Repository, command: commands.PlanAccountSettlement) -> Result:
    """Which of the account's memos pays which of its invoices.

    Candidates come from the account's status index; their balances are then read
    consistently, so the plan starts from the committed state. With ``credit_memo_ids``
    only those memos are drawn from.
    """
    account, currency = command.billing_account_id, command.currency
    if currency is not None:
        minor_units(currency)  # an unknown currency is a ValidationError
    if command.credit_memo_ids is not None:
        memo_ids = list(dict.fromkeys(command.credit_memo_ids))
        found = repository.read(memo_ids=memo_ids, consistent=True)
        memos = [found.memo(memo_id) for memo_id in memo_ids]
    else:
        listed = _list_posted(repository.list_credit_memos, account)
        wanted = [m.id for m in listed if m.balance > 0 and currency in (None, m.currency)]
        memos = list(repository.read(memo_ids=wanted, consistent=True).memos.values()) if wanted else []
    excluded = set(command.exclude_invoice_ids)
    listed_invoices = _list_posted(repository.list_invoices, account)
    wanted = [
        i.id
        for i in listed_invoices
        if i.balance > 0 and i.id not in excluded and currency in (None, i.currency)
    ]
    # The committed state: the status index may lag behind a write.
    invoices = list(repository.read(invoice_ids=wanted, consistent=True).invoices.values()) if wanted else []
    planned = settlement.plan_settlement(
        memos,
        invoices,
        billing_account_id=account,
        execution_id=command.execution_id,
        currency=currency,
        exclude_invoice_ids=excluded,
        max_items=command.max_items,
    )
    # The execution's name (the ARN's last part) marks the records this settlement writes.
    description = f"Account settlement {command.execution_id.split(':')[-1]}"[:255]
    return Result(200, settlement.plan_view(planned, description=description))


@use_case(commands.SummarizeAccountSettlement)
def summarize(_: Repository, command: commands.SummarizeAccountSettlement) -> Result:
    return Result(200, settlement.summarize_settlement(command.plan, command.results))


def _list_posted(list_page: Callable[[str, str | None, int, str | None], Page], account: str) -> list[Any]:
    found: list[Any] = []
    token: str | None = None
    while len(found) < MAX_SETTLEMENT_DOCUMENTS:
        page = list_page(account, "Posted", MAX_PAGE_SIZE, token)
        found += page.items
        token = page.next_token
        if token is None:
            break
    return found[:MAX_SETTLEMENT_DOCUMENTS]
