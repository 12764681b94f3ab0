"""Use cases of the books (spec section 11): close and reopen a period, freeze its balances, read a
period, the journal and the trial balance (docs/design.md "The books")."""

from __future__ import annotations

import calendar
import copy
from collections.abc import Iterator
from datetime import date

from credit_memos.access import Forbidden
from credit_memos.commands import books as commands
from credit_memos.domain.journal import Balances, JournalEntry, add_balances, add_entries, period_of
from credit_memos.domain.periods import (
    AccountingPeriod,
    BooksLock,
    checked_period,
    close_period,
    next_period,
    previous_period,
    reopen_period,
)
from credit_memos.errors import ValidationError
from credit_memos.money import minor_units
from credit_memos.ports import Repository
from credit_memos.usecases.paging import page_size
from credit_memos.usecases.service import use_case
from credit_memos.usecases.unit_of_work import Result, UnitOfWork
from credit_memos.views import AccountingPeriodView, JournalEntryPage, JournalEntryView, TrialBalanceView

# Before any entry: a trial balance without a frozen period sums from here.
_BEGINNING = "0001-01-01"
# Entries read per page when a use case sums them.
_SUM_PAGE = 100


@use_case(commands.CloseAccountingPeriod)
def close(uow: UnitOfWork, command: commands.CloseAccountingPeriod) -> Result:
    """The lock and the period's record in one write, beside every movement's check of the lock:
    a movement that commits first is in the period, one that commits after is PERIOD_CLOSED."""
    period = checked_period(command.period)
    found = uow.read(books=True, periods=[period])
    lock = found.books or BooksLock()
    record = found.periods.get(period) or AccountingPeriod(period)
    uow.changes.books = close_period(lock, record, actor=command.actor, now=uow.now)
    uow.changes.period = record
    uow.events.period_changed(period, uow.changes.books.closed_through)
    return Result(200, AccountingPeriodView.of(period, True, record))


@use_case(commands.ReopenAccountingPeriod)
def reopen(uow: UnitOfWork, command: commands.ReopenAccountingPeriod) -> Result:
    period = checked_period(command.period)
    found = uow.read(books=True, periods=[period])
    lock = found.books or BooksLock()
    record = found.periods.get(period) or AccountingPeriod(period)
    after = reopen_period(lock, record, actor=command.actor, now=uow.now, reason_code=command.reason_code)
    uow.changes.books = after
    uow.changes.period = record
    uow.events.period_changed(period, after.closed_through, command.reason_code)
    return Result(200, AccountingPeriodView.of(period, False, record))


@use_case(commands.FreezePeriodBalances)
def freeze(repository: Repository, command: commands.FreezePeriodBalances) -> Result:
    """The balances at the end of a closed period: the previous period's frozen ones plus this
    period's entries (all entries up to its end for the first period closed). Idempotent; a
    period reopened meanwhile is not frozen, and the marker names the record's version, so
    balances frozen before a reopen are never read after it."""
    period = checked_period(command.period)
    found = repository.read(books=True, periods=[period, previous_period(period)], consistent=True)
    lock = found.books or BooksLock()
    record = found.periods.get(period)
    if not lock.is_closed(period) or record is None:
        return Result(200, {"period": period, "frozen": False})
    previous = previous_period(period)
    base = None
    if lock.first_closed is not None and previous >= lock.first_closed and previous in found.periods:
        base = repository.read_all_period_balances(previous, found.periods[previous].version)
    totals: dict[tuple[str, str | None], Balances] = copy.deepcopy(base) if base is not None else {}
    start = f"{period}-01" if base is not None else _BEGINNING
    for entry in _entries(repository, start, last_day(period), None):
        for key in ((entry.currency, None), (entry.currency, entry.billing_account_id)):
            add_entries(totals.setdefault(key, {}), [entry])
    repository.write_period_balances(period, record.version, totals)
    return Result(200, {"period": period, "frozen": True})


@use_case(commands.GetAccountingPeriod)
def get_period(repository: Repository, command: commands.GetAccountingPeriod) -> Result:
    period = checked_period(command.period)
    lock = repository.read(books=True, consistent=True).books or BooksLock()
    closed = lock.is_closed(period)
    # A month before the first period closed was closed with it.
    by = period if not closed or lock.first_closed is None else max(period, lock.first_closed)
    record = repository.read(periods=[by], consistent=True).periods.get(by)
    return Result(200, AccountingPeriodView.of(period, closed, record))


@use_case(commands.ListJournalEntries)
def list_journal(repository: Repository, command: commands.ListJournalEntries) -> Result:
    first, last = _day(command.first_day, "from"), _day(command.last_day, "to")
    if first > last:
        raise ValidationError("must not be after to", field=("from",))
    as_of = _now()
    page = repository.list_journal(
        first_day=first,
        last_day=last,
        billing_account_id=command.billing_account_id,
        limit=page_size(command.limit),
        next_token=command.next_token,
    )
    caller = command.caller
    entries = page.items
    if command.billing_account_id is None and caller is not None and not caller.sees_every_account:
        entries = [e for e in entries if caller.sees(e.billing_account_id)]
    items = [JournalEntryView.of(e) for e in entries]
    return Result(200, JournalEntryPage.model_construct(items=items, nextToken=page.next_token, asOf=as_of))


@use_case(commands.GetTrialBalance)
def trial_balance(repository: Repository, command: commands.GetTrialBalance) -> Result:
    """The balances frozen at the end of the last closed period before ``as_of``, plus the entries
    since: the history before that period is never read again."""
    as_of = _day(command.as_of, "as_of")
    minor_units(command.currency)  # an unknown currency: 422
    account = command.billing_account_id
    caller = command.caller
    if account is None and caller is not None and not caller.sees_every_account:
        raise Forbidden("the caller may see only some billing accounts: name one (billingAccountId)")
    lock = repository.read(books=True, consistent=True).books or BooksLock()
    month = period_of(as_of)
    frozen_through = month if as_of == last_day(month) else previous_period(month)
    balances: Balances | None = None
    start = _BEGINNING
    if lock.closed_through is not None and lock.first_closed is not None:
        frozen_through = min(frozen_through, lock.closed_through)
        if frozen_through >= lock.first_closed:
            record = repository.read(periods=[frozen_through], consistent=True).periods.get(frozen_through)
            if record is not None:
                balances = repository.read_period_balances(
                    frozen_through, record.version, command.currency, account
                )
    if balances is not None:
        start = f"{next_period(frozen_through)}-01"
    totals = add_balances({}, balances or {})
    add_entries(
        totals, (e for e in _entries(repository, start, as_of, account) if e.currency == command.currency)
    )
    return Result(200, TrialBalanceView.of(as_of, command.currency, account, totals, _codes()))


def _entries(repository: Repository, first: str, last: str, account: str | None) -> Iterator[JournalEntry]:
    """Every entry from ``first`` to ``last`` (inclusive), page by page."""
    if first > last:
        return
    token = None
    while True:
        page = repository.list_journal(
            first_day=first, last_day=last, billing_account_id=account, limit=_SUM_PAGE, next_token=token
        )
        yield from page.items
        token = page.next_token
        if token is None:
            return


def last_day(period: str) -> str:
    year, month = int(period[:4]), int(period[5:7])
    return f"{period}-{calendar.monthrange(year, month)[1]:02d}"


def _day(value: str, name: str) -> str:
    try:
        return date.fromisoformat(value).isoformat() if len(value) == 10 else _invalid_day(name)
    except ValueError:
        return _invalid_day(name)


def _invalid_day(name: str) -> str:
    raise ValidationError("must be a date, YYYY-MM-DD", field=(name,))


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _codes() -> dict[str, str]:
    from credit_memos.settings import get_settings

    return get_settings().account_codes
