"""Replaying the outbox: publish every write whose events are not confirmed delivered.

The stream publisher confirms each OUTBOX item after EventBridge accepted its events. What it
could not deliver (EventBridge down longer than the stream keeps records, a batch sent to the
failure queue, writes held behind a quarantined one) stays pending in the table; :func:`replay`
reads it a window at a time, publishes it in per-document sequence order, and confirms it. A
replay run twice delivers nothing the second time; an event the publisher delivered but had not
yet confirmed goes out again, and consumers deduplicate by
``detail.eventId`` (delivery is at least once).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from credit_memos.adapters.dynamodb.outbox_store import OutboxStore, PendingWrite
from credit_memos.adapters.eventbridge import EventBridgePublisher, PublishFailed, create_client
from credit_memos.settings import Settings

logger = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _sequences(write: PendingWrite) -> dict[str, int]:
    """The lowest sequence number the write gives each document it changed."""
    lowest: dict[str, int] = {}
    for event in write.events:
        for document_id, number in (event.detail.get("sequences") or {}).items():
            if isinstance(number, int) and (document_id not in lowest or number < lowest[document_id]):
                lowest[document_id] = number
    return lowest


def in_sequence_order(writes: Sequence[PendingWrite]) -> list[PendingWrite]:
    """The writes ordered so that each document's events go out in their sequence order.

    A write goes after every pending write with a lower sequence number on a document they share
    (sequences are per document; one write can change several); among the writes that are free to
    go, the one committed first goes first. Sequences follow commit order, so there is no cycle;
    should data ever contain one, the rest goes out in commit order rather than not at all.
    """
    seqs = [_sequences(w) for w in writes]
    per_document: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for index, numbers in enumerate(seqs):
        for document_id, number in numbers.items():
            per_document[document_id].append((number, index))
    waits_for = [0] * len(writes)
    unblocks: dict[int, list[int]] = defaultdict(list)
    for chain in per_document.values():
        chain.sort()
        for (_, before), (_, after) in itertools.pairwise(chain):
            waits_for[after] += 1
            unblocks[before].append(after)

    def rank(index: int) -> tuple[datetime, str, int]:
        write = writes[index]
        return (write.committed_at or _EPOCH, write.key["pk"], index)

    ready = [rank(i) for i in range(len(writes)) if waits_for[i] == 0]
    heapq.heapify(ready)
    ordered: list[int] = []
    done = set()
    while len(ordered) < len(writes):
        if not ready:  # a cycle: cannot happen with real sequences
            ready = [rank(i) for i in range(len(writes)) if i not in done]
            heapq.heapify(ready)
            for i in range(len(writes)):
                waits_for[i] = 0
        _, _, index = heapq.heappop(ready)
        if index in done:
            continue
        done.add(index)
        ordered.append(index)
        for after in unblocks[index]:
            waits_for[after] -= 1
            if waits_for[after] == 0 and after not in done:
                heapq.heappush(ready, rank(after))
    return [writes[i] for i in ordered]


@dataclass
class ReplayReport:
    """What one replay run found and did (counts, and the writes it could not deliver)."""

    pending: int = 0
    writes_published: int = 0  # published and confirmed by this run
    events_published: int = 0
    already_confirmed: int = 0
    held: int = 0  # left pending behind a quarantined write of one of their documents
    failed: list[str] = field(default_factory=list)  # refused for now (EventBridge down): stopped
    quarantined: list[str] = field(default_factory=list)  # refused for good: quarantined
    complete: bool = True  # False: stopped early (refusal, time), run again

    def as_dict(self) -> dict[str, object]:
        return {
            "pending": self.pending,
            "writesPublished": self.writes_published,
            "eventsPublished": self.events_published,
            "alreadyConfirmed": self.already_confirmed,
            "held": self.held,
            "failed": self.failed,
            "quarantined": self.quarantined,
            "complete": self.complete,
        }


def quarantine(store: OutboxStore, write: PendingWrite, reason: str) -> bool:
    """Set aside a write EventBridge refuses every time and hold its documents' later writes."""
    logger.warning("outbox write quarantined", extra={"outbox": write.key["pk"], "reason": reason})
    store.hold(write.documents)
    return store.quarantine(write.key, reason, write.documents)


# Confirmations of one window sent at once: each is its own conditional UpdateItem.
CONFIRM_CONCURRENCY = 8


class _Run:
    """One replay pass: what is blocked so far, the report, and the writes of the current window."""

    def __init__(
        self,
        store: OutboxStore,
        publisher: EventBridgePublisher,
        dry_run: bool,
        observe: Callable[[PendingWrite, str], None],
    ) -> None:
        self.store, self.publisher, self.dry_run, self.observe = store, publisher, dry_run, observe
        self.report = ReplayReport()
        # Per document, the lowest sequence number that waits: from a quarantined write on, and
        # (transitively) from a write held for one. Its earlier writes still go out.
        self.blocked: dict[str, int] = {}
        for write in store.quarantined():
            self._block(write)

    def _block(self, write: PendingWrite) -> None:
        numbers = _sequences(write)
        for document in write.documents:
            # A write whose events cannot be read blocks its documents from the start.
            number = numbers.get(document, 0)
            self.blocked[document] = min(self.blocked.get(document, number), number)

    def _waits(self, write: PendingWrite) -> bool:
        numbers = _sequences(write)
        return any(
            document in self.blocked and numbers.get(document, 0) > self.blocked[document]
            for document in write.documents
        )

    def window(self, writes: list[PendingWrite], out_of_time: Callable[[], bool]) -> bool:
        """Publish one window in sequence order; False if the run must stop there."""
        held: set[str] = set()
        published: list[PendingWrite] = []
        try:
            for write in in_sequence_order(writes):
                if out_of_time():
                    return False
                self.report.pending += 1
                if self._waits(write):
                    self._block(write)
                    held |= write.documents
                    self.report.held += 1
                    self.observe(write, "held")
                elif self.dry_run:
                    self.observe(write, "listed")
                elif self._publish(write):
                    published.append(write)
                elif self.report.failed:
                    return False
            return True
        finally:
            self._confirm(published)
            if held and not self.dry_run:
                self.store.hold(held)

    def _publish(self, write: PendingWrite) -> bool:
        """True once published; a refusal for good quarantines the write, one for now is ``failed``."""
        try:
            if write.malformed:
                raise PublishFailed(write.malformed, permanent=True)
            self.publisher.publish(write.events, write.committed_at)
        except PublishFailed as error:
            if not error.permanent:
                self.report.failed.append(write.key["pk"])
                logger.warning("replay stopped", extra={"outbox": write.key["pk"], "reason": str(error)})
                return False
            quarantine(self.store, write, str(error))
            self._block(write)
            self.report.quarantined.append(write.key["pk"])
            self.observe(write, "quarantined")
            return False
        self.report.events_published += len(write.events)
        return True

    def _confirm(self, writes: list[PendingWrite]) -> None:
        if not writes:
            return
        with ThreadPoolExecutor(max_workers=min(CONFIRM_CONCURRENCY, len(writes))) as pool:
            confirmed = list(pool.map(lambda write: self.store.confirm(write.key), writes))
        for write, done in zip(writes, confirmed, strict=True):
            if done:
                self.report.writes_published += 1
            else:
                # The stream publisher confirmed it meanwhile: delivered twice, deduplicated downstream.
                self.report.already_confirmed += 1
            self.observe(write, "published")

    def release_what_nothing_holds(self) -> None:
        # The quarantine is read again: a write the publisher quarantined meanwhile keeps its hold.
        for write in self.store.quarantined():
            self._block(write)
        self.store.release_held(self.store.held_documents() - set(self.blocked))


def replay(
    store: OutboxStore,
    publisher: EventBridgePublisher,
    *,
    dry_run: bool = False,
    out_of_time: Callable[[], bool] = lambda: False,
    observe: Callable[[PendingWrite, str], None] = lambda write, outcome: None,
) -> ReplayReport:
    """Publish and confirm every pending write, in per-document sequence order, a window at a time.

    A write EventBridge refuses for good is quarantined, and every later write of its documents
    (and, transitively, of the documents those share) is held: it stays pending until the
    quarantined write is released or discarded; everything else flows. A refusal that may pass
    (EventBridge down, throttling) stops the run, as does ``out_of_time``: run it again, it starts
    from what is still pending. ``observe`` hears each write's outcome (published, held,
    quarantined, listed in a dry run). A complete run releases the documents nothing holds any more.
    """
    run = _Run(store, publisher, dry_run, observe)
    for window in store.pending_windows():
        if not run.window(window, out_of_time):
            run.report.complete = False
            return run.report
    if not dry_run:
        run.release_what_nothing_holds()
    return run.report


def replay_with(
    settings: Settings,
    *,
    dynamodb_client: Any,
    events_client: Any = None,
    dry_run: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    out_of_time: Callable[[], bool] = lambda: False,
) -> ReplayReport:
    """:func:`replay` on ``settings``' table and bus (the events client: one built from ``settings``)."""
    if events_client is None:
        events_client = create_client(settings.region, settings.eventbridge_endpoint_url)
    store = OutboxStore(dynamodb_client, settings.table_name, sleep=sleep)
    publisher = EventBridgePublisher(events_client, settings.event_bus_name, sleep=sleep)
    return replay(store, publisher, dry_run=dry_run, out_of_time=out_of_time)
