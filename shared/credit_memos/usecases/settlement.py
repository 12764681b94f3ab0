"""Use cases of account settlement (the Step Functions planner): plan, summarize. Read-only."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from credit_memos.commands import settlement as commands
from credit_memos.domain import settlement
from credit_memos.errors import ValidationError
from credit_memos.limits import MAX_PAGE_SIZE
from credit_memos.money import minor_units
from credit_memos.ports import Page, Repository
from credit_memos.usecases.service import use_case
from credit_memos.usecases.unit_of_work import Result

ListPage = Callable[[str, str | None, int, str | None], Page]
# A position past a list's last page (a page token of None starts at its first).
END = "end"


@dataclass
class _Listed:
    """One kind's documents read for a plan, each with the token of the page it came from."""

    documents: list[Any] = field(default_factory=list)
    page_of: dict[str, str | None] = field(default_factory=dict)  # id -> token that starts its page
    end: str | None = None  # the token after the last page read (None: the list was read to its end)


def _list_posted(list_page: ListPage, account: str, start: str | None, budget: int) -> _Listed:
    """The account's Posted documents from ``start`` on, whole pages, until ``budget`` are read."""
    listed = _Listed(end=start)
    token, size = start, min(MAX_PAGE_SIZE, budget)
    if start == END:
        listed.end = None
        return listed
    while True:
        page = list_page(account, "Posted", size, token)
        for document in page.items:
            listed.documents.append(document)
            listed.page_of[document.id] = token
        token = listed.end = page.next_token
        if token is None or len(listed.documents) >= budget:
            return listed


def _decode(token: str | None) -> dict[str, Any]:
    if token is None:
        return {}
    try:
        position = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, binascii.Error):
        raise ValidationError("is not a token a plan returned", field=("nextToken",)) from None
    if not isinstance(position, dict):
        raise ValidationError("is not a token a plan returned", field=("nextToken",))
    return position


def _encode(position: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position, separators=(",", ":")).encode()).decode()


def _resume_at(
    listed: _Listed | None, left: dict[str, Decimal], pairable: Callable[[Any], bool]
) -> str | None:
    """The page token to read this kind from next time: the page of its oldest document that still
    has something to settle and could still pair; past every page read if there is none."""
    if listed is None:
        return None
    for document in listed.documents:
        if left.get(document.id, Decimal(0)) > 0 and pairable(document):
            return listed.page_of[document.id]
    return END if listed.end is None else listed.end


@use_case(commands.PlanAccountSettlement)
def plan(repository: Repository, command: commands.PlanAccountSettlement) -> Result:
    """Which of the account's memos pays which of its invoices.

    Candidates come from the account's status index, oldest first, in pages from where the
    previous plan stopped (``next_token``), ``max_documents`` of each kind at most; their balances
    are then read consistently, so the plan starts from the committed state. With
    ``credit_memo_ids`` only those memos are drawn from. A plan that could not pair everything
    (``max_items`` pairs, or documents left unread) says ``truncated`` and gives ``nextToken``:
    the next plan, made after this one is applied, continues from the oldest document left open.
    """
    account, currency = command.billing_account_id, command.currency
    if currency is not None:
        minor_units(currency)  # an unknown currency is a ValidationError
    position = _decode(command.next_token)
    memo_listing: _Listed | None = None
    if command.credit_memo_ids is not None:
        memo_ids = list(dict.fromkeys(command.credit_memo_ids))
        found = repository.read(memo_ids=memo_ids, consistent=True)
        memos = [found.memo(memo_id) for memo_id in memo_ids]
    else:
        memo_listing = _list_posted(
            repository.list_credit_memos, account, position.get("memos"), command.max_documents
        )
        wanted = [m.id for m in memo_listing.documents if m.balance > 0 and currency in (None, m.currency)]
        memos = list(repository.read(memo_ids=wanted, consistent=True).memos.values()) if wanted else []
    excluded = set(command.exclude_invoice_ids)
    invoice_listing = _list_posted(
        repository.list_invoices, account, position.get("invoices"), command.max_documents
    )
    wanted = [
        i.id
        for i in invoice_listing.documents
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
    next_token = _next_token(planned, memos, invoices, memo_listing, invoice_listing)
    # The execution's name (the ARN's last part) marks the records this settlement writes.
    description = f"Account settlement {command.execution_id.split(':')[-1]}"[:255]
    view = settlement.plan_view(planned, description=description)
    return Result(200, view | {"truncated": next_token is not None, "nextToken": next_token})


def _next_token(
    planned: settlement.SettlementPlan,
    memos: Iterable[Any],
    invoices: Iterable[Any],
    memo_listing: _Listed | None,
    invoice_listing: _Listed,
) -> str | None:
    """Where the next plan starts, or None when nothing is left that could pair."""
    memo_left = {m.id: m.balance for m in memos if m.status == "Posted"}
    invoice_left = {i.id: i.balance for i in invoices if i.status == "Posted"}
    for item in planned.items:
        memo_left[item.credit_memo_id] -= item.amount
        invoice_left[item.invoice_id] -= item.amount
    by_id = {d.id: d for d in [*memos, *invoices]}
    memo_unread = memo_listing is not None and memo_listing.end is not None
    invoice_unread = invoice_listing.end is not None
    open_memo_currencies = {by_id[i].currency for i, left in memo_left.items() if left > 0}
    open_invoice_currencies = {by_id[i].currency for i, left in invoice_left.items() if left > 0}
    # Something could still pair: an open memo and an open invoice of one currency, or documents
    # left unread on a side whose other side still has something open (or unread too).
    more = bool(open_memo_currencies & open_invoice_currencies) or planned.truncated
    more = more or (memo_unread and (invoice_unread or bool(open_invoice_currencies)))
    more = more or (invoice_unread and (memo_unread or bool(open_memo_currencies)))
    if not more:
        return None
    memo_at = _resume_at(
        memo_listing, memo_left, lambda m: invoice_unread or m.currency in open_invoice_currencies
    )
    invoice_at = _resume_at(
        invoice_listing, invoice_left, lambda i: memo_unread or i.currency in open_memo_currencies
    )
    if not planned.items:
        # Nothing paired in what was read: the next plan reads on past these pages where there are more.
        if memo_unread and memo_listing is not None:
            memo_at = memo_listing.end
        if invoice_unread:
            invoice_at = invoice_listing.end
    return _encode({"memos": memo_at, "invoices": invoice_at})


@use_case(commands.SummarizeAccountSettlement)
def summarize(_: Repository, command: commands.SummarizeAccountSettlement) -> Result:
    summary = settlement.summarize_settlement(command.plan, command.results)
    if command.previous:
        summary = settlement.merge_summaries(command.previous, summary)
    if "nextToken" in command.plan:
        summary["nextToken"] = command.plan["nextToken"]
    return Result(200, summary)
