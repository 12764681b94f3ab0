"""The books (spec section 11): journal entries, the trial balance, accounting periods.

Carried out by ``credit_memos.usecases.books`` (``Command.use_cases``).
"""

from __future__ import annotations

from dataclasses import dataclass

from credit_memos.commands.base import Command
from credit_memos.domain.documents import ReasonCode


@dataclass(frozen=True)
class CloseAccountingPeriod(Command):
    """Close a month to money movements."""

    operation = "CloseAccountingPeriod"
    metric = "AccountingPeriodClosed"
    role = "Approver"
    period: str


@dataclass(frozen=True)
class ReopenAccountingPeriod(Command):
    """Reopen the last closed month."""

    operation = "ReopenAccountingPeriod"
    metric = "AccountingPeriodReopened"
    role = "Approver"
    period: str
    reason_code: ReasonCode
    description: str | None = None


@dataclass(frozen=True)
class FreezePeriodBalances(Command):
    """Store the balances at the end of a closed month (run right after its close; idempotent)."""

    operation = "FreezePeriodBalances"
    mutates = False
    role = "Approver"
    period: str


@dataclass(frozen=True)
class GetAccountingPeriod(Command):
    """Read a month's status (Open or Closed) and who closed it."""

    operation = "GetAccountingPeriod"
    mutates = False
    period: str


@dataclass(frozen=True)
class ListJournalEntries(Command):
    """Journal entries by entryDate (inclusive), oldest first."""

    operation = "ListJournalEntries"
    mutates = False
    first_day: str
    last_day: str
    billing_account_id: str | None = None
    limit: int | None = None
    next_token: str | None = None


@dataclass(frozen=True)
class GetTrialBalance(Command):
    """Each account's debits, credits and balance at the end of a day, in one currency."""

    operation = "GetTrialBalance"
    mutates = False
    as_of: str
    currency: str
    billing_account_id: str | None = None
