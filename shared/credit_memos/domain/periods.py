"""Accounting periods: which months are closed to money movements, and the rules of closing them.

Periods close in order, like a lock date: the books are closed through a month (``closed_through``),
and every month up to it is Closed. Closing the first period closes the months before it too;
each later close is of the month after the last closed one, and only the last closed month can
be reopened. So a closed month's entries and every balance up to its end never change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from credit_memos.errors import InvalidStatus, ValidationError

PERIOD_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass
class BooksLock:
    """Through which month the books are closed (None: all open), and the first month closed."""

    closed_through: str | None = None
    first_closed: str | None = None
    version: int = 0  # 0: never written

    def is_closed(self, period: str) -> bool:
        return self.closed_through is not None and period <= self.closed_through


@dataclass
class AccountingPeriod:
    """A month's last close and reopen (the lock says whether it is closed now)."""

    period: str
    closed_by: str | None = None
    closed_at: str | None = None
    reopened_by: str | None = None
    reopened_at: str | None = None
    reopen_reason_code: str | None = None
    version: int = 0


def period_closed_message(period: str) -> str:
    return f"accounting period {period} is closed; date the change in an open period"


def checked_period(period: str) -> str:
    if not PERIOD_RE.match(period):
        raise ValidationError("an accounting period is a month, YYYY-MM", field=("period",))
    return period


def next_period(period: str) -> str:
    year, month = int(period[:4]), int(period[5:7])
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def previous_period(period: str) -> str:
    year, month = int(period[:4]), int(period[5:7])
    return f"{year - (month == 1):04d}-{(month - 2) % 12 + 1:02d}"


def close_period(lock: BooksLock, record: AccountingPeriod, *, actor: str | None, now: str) -> BooksLock:
    """The lock once ``record``'s month is closed (``record`` is stamped); INVALID_STATUS if it is
    closed already or the month before it is still open."""
    period = record.period
    if lock.is_closed(period):
        raise InvalidStatus(f"accounting period {period} is already closed")
    if lock.closed_through is not None and period != next_period(lock.closed_through):
        raise InvalidStatus(
            f"accounting periods close in order: close {next_period(lock.closed_through)} first"
        )
    record.closed_by, record.closed_at = actor, now
    return replace(lock, closed_through=period, first_closed=lock.first_closed or period)


def reopen_period(
    lock: BooksLock, record: AccountingPeriod, *, actor: str | None, now: str, reason_code: str
) -> BooksLock:
    """The lock once ``record``'s month is reopened: only the last closed month can be."""
    period = record.period
    if not lock.is_closed(period):
        raise InvalidStatus(f"accounting period {period} is not closed")
    if period != lock.closed_through:
        raise InvalidStatus(f"accounting periods reopen in order: reopen {lock.closed_through} first")
    record.reopened_by, record.reopened_at, record.reopen_reason_code = actor, now, reason_code
    if period == lock.first_closed:
        return replace(lock, closed_through=None, first_closed=None)
    return replace(lock, closed_through=previous_period(period))
