"""The unit of work: one try of one mutation, what it read and what it will write.

A use case reads through it (consistent reads; the first one also reads the request's
idempotency record, in the same round trip), changes the documents in memory with the domain's
rules, stages what to write (``create``, ``update``, ``emit``, ``number``) and returns its
``Result``. The runner (``usecases.runner``) then commits the staged changes all-or-nothing, or
throws the unit away and starts a new one when another writer won a race.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from credit_memos.domain import events
from credit_memos.domain.documents import CreditMemo, NumberSeries
from credit_memos.domain.memos import number_if_posted
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
        self.new_id = ids
        self.now = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        self.today = now.date().isoformat()
        self.changes = Changes()
        self.events = events.EventLog(ids)

    def read(
        self,
        *,
        invoice_ids: Sequence[str] = (),
        memo_ids: Sequence[str] = (),
        entry_ids: Sequence[str] = (),
        payment_ids: Sequence[str] = (),
        payment_references: Sequence[tuple[str, str]] = (),
        number_series: bool = False,
    ) -> Snapshot:
        """One consistent read of what the rule needs (``number_series``: of a memo it may post)."""
        key, self._unread_key = self._unread_key, None
        snapshot = self._repository.read(
            invoice_ids=invoice_ids,
            memo_ids=memo_ids,
            entry_ids=entry_ids,
            payment_ids=payment_ids,
            payment_references=payment_references,
            series=self.settings.number_prefix if number_series else None,
            idempotency=key,
            consistent=True,
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

    def commit(self, record: IdempotencyRecord | None, actor: str | None) -> None:
        """Write the staged changes, with the idempotency record, as one all-or-nothing write."""
        if self._unread_key is not None:
            self.read()  # a use case that read nothing: a used key is still replayed, not overwritten
        self.changes.events = self.events.staged
        for event in self.changes.events:
            event.detail["createdBy"] = actor
        self.changes.idempotency = record
        self._repository.commit(self.changes)
