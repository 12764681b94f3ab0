"""The unit of work: one try of one mutation, what it read and what it will write.

A use case reads through it (consistent reads; the first one also reads the request's
idempotency record, in the same round trip), changes the documents in memory with the domain's
rules, stages what to write (``create``, ``update``, ``emit``, ``number``) and returns its
``Result``. The runner (``usecases.runner``) then commits the staged changes all-or-nothing, or
throws the unit away and starts a new one when another writer won a race; a dry run instead
answers with ``preview`` and writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from credit_memos.domain import events
from credit_memos.domain.documents import CreditMemo, NumberSeries, entry_id_of
from credit_memos.domain.journal import JournalEntry, journal_entries
from credit_memos.domain.memos import number_if_posted
from credit_memos.domain.periods import period_closed_message
from credit_memos.errors import PeriodClosed
from credit_memos.ids import IdFactory
from credit_memos.ports import Changes, IdempotencyRecord, Repository, Snapshot, Stored
from credit_memos.settings import Settings


@dataclass(frozen=True)
class Result:
    """What a use case answers: the status code and the response body (a view, or plain JSON)."""

    status_code: int
    body: Any


class AlreadyDone(Exception):
    """The request's idempotency key has a record: its outcome is replayed, nothing is done."""

    def __init__(self, record: IdempotencyRecord) -> None:
        super().__init__(record.key)
        self.record = record


class UnitOfWork:
    """The reads and staged writes of one try of one mutation."""

    def __init__(
        self,
        repository: Repository,
        *,
        now: datetime,
        ids: IdFactory,
        settings: Settings,
        idempotency: tuple[str, str] | None,
    ) -> None:
        self._repository = repository
        self._unread_key = idempotency
        self.settings = settings
        self._series: NumberSeries | None = None
        self._ids = ids
        # What this unit of work would create: its ids, and the number it gave a memo.
        self._issued: set[str] = set()
        self._numbered: str | None = None
        self.now = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        self.today = now.date().isoformat()
        self.changes = Changes()
        self.events = events.EventLog(self.new_id)

    def new_id(self, prefix: str) -> str:
        """A new document's or record's id (derived from the idempotency key, if there is one)."""
        issued = self._ids(prefix)
        self._issued.add(issued)
        return issued

    def read(
        self,
        *,
        invoice_ids: Sequence[str] = (),
        memo_ids: Sequence[str] = (),
        entry_ids: Sequence[str] = (),
        payment_ids: Sequence[str] = (),
        payment_references: Sequence[tuple[str, str]] = (),
        refund_ids: Sequence[str] = (),
        refund_references: Sequence[tuple[str, str]] = (),
        profile_ids: Sequence[str] = (),
        number_series: bool = False,
        books: bool = False,
        periods: Sequence[str] = (),
    ) -> Snapshot:
        """One consistent read of what the rule needs (``number_series``: of a memo it may post)."""
        key, self._unread_key = self._unread_key, None
        snapshot = self._repository.read(
            invoice_ids=invoice_ids,
            memo_ids=memo_ids,
            entry_ids=entry_ids,
            payment_ids=payment_ids,
            payment_references=payment_references,
            refund_ids=refund_ids,
            refund_references=refund_references,
            profile_ids=profile_ids,
            series=self.settings.number_prefix if number_series else None,
            idempotency=key,
            consistent=True,
            books=books,
            periods=periods,
        )
        if snapshot.idempotency is not None:
            raise AlreadyDone(snapshot.idempotency)
        if snapshot.series is not None:
            self._series = snapshot.series
        self.changes.stored.update(snapshot.stored)
        return snapshot

    def create(self, *created: Stored) -> None:
        self.changes.creates += created

    def update(self, *updated: Stored) -> None:
        self.changes.updates += updated

    def number(self, memo: CreditMemo) -> None:
        """Give ``memo`` the series' next number if it is Posted and has none (written with it).

        Called once the rule has accepted the change, before the events (they carry the number);
        the series must have been read (``read(number_series=True)``).
        """
        if memo.status != "Posted" or memo.document_number is not None:
            return
        assert self._series is not None, "a posting must read the number series"
        if number_if_posted(memo, self._series):
            self.changes.series = self._series
            self._numbered = memo.document_number

    def preview(self, body: Any) -> Any:
        """``body`` as a dry run answers it, having written nothing: the ids of what this unit of
        work would create and the number it would take are null (they exist only once committed).
        A used key is replayed, as ``commit`` would."""
        if self._unread_key is not None:
            self.read()
        journal = self._journal()
        if journal:
            # The commit's condition, asked as a read: a dry run meets PERIOD_CLOSED as the call would.
            lock = self._repository.read(books=True).books
            earliest = min(entry.period for entry in journal)
            if lock is not None and lock.is_closed(earliest):
                raise PeriodClosed(period_closed_message(earliest))
        return _without(body, self._issued, self._numbered)

    def _journal(self) -> list[JournalEntry]:
        return journal_entries(self.events.staged, self.settings.account_codes, self.now)

    def commit(self, record: IdempotencyRecord | None, actor: str | None) -> None:
        """Write the staged changes, with the idempotency record, as one all-or-nothing write."""
        if self._unread_key is not None:
            self.read()  # a use case that read nothing: a used key is still replayed, not overwritten
        self.changes.events = self.events.staged
        for event in self.changes.events:
            event.detail["createdBy"] = actor
        # The books, in the same write: each committed change has exactly its entries.
        self.changes.journal = self._journal()
        self.changes.idempotency = record
        self._repository.commit(self.changes)


def _without(value: Any, ids: set[str], number: str | None) -> Any:
    """``value`` (JSON-ready) with every id in ``ids`` (and every record id of an entry in ``ids``)
    and the ``documentNumber`` ``number`` null."""
    if isinstance(value, dict):
        return {
            name: None
            if name == "documentNumber" and item is not None and item == number
            else _without(item, ids, number)
            for name, item in value.items()
        }
    if isinstance(value, list):
        return [_without(item, ids, number) for item in value]
    if isinstance(value, str) and (value in ids or entry_id_of(value) in ids):
        return None
    return value
