"""Section: the outbox replay at a backlog (docs/orchestration-and-events.md "Replaying events").

``seed`` batch-writes ``count`` pending outbox items straight into the table (one event each, spread
over ``documents`` invoices, each document's events numbered 1, 2, 3, ... in commit order), as
EventBridge being down for a long time would leave them. The replay then reads them a window at a
time and confirms each; its publisher here only counts and checks each document's order (the
figure is the table's side: EventBridge's PutEvents round trip comes on top in AWS). Reported:
writes replayed per second and the process's resident memory growth while replaying (sampled),
which stays flat whatever the backlog.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from itertools import batched
from typing import Any

from infra.bench.context import Bench
from infra.bench.report import Section

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SEED_THREADS = 4


def backlog_items(count: int, documents: int, prefix: str = "backlog") -> Iterator[dict[str, Any]]:
    """Pending OUTBOX items as the service writes them (``encode_outbox``, the pending index's keys)."""
    from credit_memos.adapters.dynamodb.keys import PENDING_INDEX, pending_partition, pending_shard
    from credit_memos.adapters.outbox import OUTBOX_ATTRIBUTE, OUTBOX_COMMITTED_AT, encode_outbox
    from credit_memos.domain.events import DomainEvent

    for index in range(count):
        document = f"inv_{prefix}{index % documents:06d}"
        event_id = f"evt_{prefix}{index:09d}"
        committed = (T0 + timedelta(milliseconds=index)).isoformat(timespec="microseconds")
        detail = {
            "eventId": event_id,
            "sequences": {document: index // documents + 1},
            "invoice": {"id": document},
        }
        yield {
            "pk": f"OUTBOX#{event_id}",
            "sk": "OUTBOX",
            "entity": "Outbox",
            OUTBOX_ATTRIBUTE: encode_outbox([DomainEvent(event_id, "InvoicePosted", detail)]),
            OUTBOX_COMMITTED_AT: committed,
            PENDING_INDEX.pk: pending_partition(pending_shard(document)),
            PENDING_INDEX.sk: f"{committed}#{event_id}",
        }


def seed(client: Any, table: str, count: int, documents: int, prefix: str = "backlog") -> None:
    """Batch-write the backlog (25 items a request, a few requests at once)."""
    from credit_memos.adapters.dynamodb.attribute_codec import serialize

    def write(chunk: Sequence[dict[str, Any]]) -> None:
        requests = [{"PutRequest": {"Item": serialize(item)}} for item in chunk]
        while requests:
            left = client.batch_write_item(RequestItems={table: requests}).get("UnprocessedItems", {})
            requests = left.get(table, [])

    with ThreadPoolExecutor(max_workers=SEED_THREADS) as pool:
        for _ in pool.map(write, batched(backlog_items(count, documents, prefix), 25, strict=False)):
            pass


class OrderCheckingPublisher:
    """Counts what the replay publishes and whether each document's events came in sequence order."""

    def __init__(self) -> None:
        self.events = 0
        self.last: dict[str, int] = {}
        self.out_of_order = 0

    def publish(self, events: Sequence[Any], occurred_at: Any = None) -> None:
        """One write's events: the write's sequence of each document it changed (the write's
        events may repeat it, e.g. one CreditApplied per invoice) must follow the last one seen."""
        written: dict[str, int] = {}
        for event in events:
            self.events += 1
            written.update(event.detail.get("sequences", {}))
        for document, number in written.items():
            if number <= self.last.get(document, 0):
                self.out_of_order += 1
            self.last[document] = number


class RssSampler:
    """The process's resident memory, sampled every 20 ms from /proc (Linux): the peak above the start."""

    def __init__(self) -> None:
        self._page = os.sysconf("SC_PAGE_SIZE")
        self.start = self.peak = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss(self) -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * self._page

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._rss())

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def growth_mb(self) -> float:
        return round((self.peak - self.start) / 2**20, 1)


def _own_table(bench: Bench, client: Any, name: str) -> str:
    """A fresh copy of the service's table: the replay reads this backlog and nothing the other
    sections left pending."""
    from infra.local.create_tables import create_table

    (definition,) = bench.template.tables().values()
    kwargs = {**definition.create_kwargs, "TableName": name}
    with contextlib.suppress(client.exceptions.ResourceNotFoundException):
        client.delete_table(TableName=name)
        client.get_waiter("table_not_exists").wait(TableName=name)
    create_table(
        client, dataclasses.replace(definition, table_name=name, create_kwargs=kwargs), log=bench.log
    )
    return name


def _scenario(bench: Bench, count: int, documents: int) -> dict[str, Any]:
    from credit_memos.adapters.dynamodb.outbox_store import OutboxStore
    from credit_memos.adapters.outbox_replay import replay

    client = bench.raw_client()
    table = _own_table(bench, client, f"{bench.table_name}-replay-{count}")
    started = time.perf_counter()
    seed(client, table, count, documents, prefix=f"b{count}")
    seeded = time.perf_counter() - started
    publisher = OrderCheckingPublisher()
    with RssSampler() as rss:
        started = time.perf_counter()
        report = replay(OutboxStore(client, table), publisher)  # type: ignore[arg-type]
        wall = time.perf_counter() - started
    return {
        "backlog": count,
        "seed_s": round(seeded, 1),
        "replayed": report.writes_published,
        "wall_s": round(wall, 1),
        "writes_s": round(report.writes_published / wall, 1),
        "rss_growth_mb": rss.growth_mb,
        "out_of_order": publisher.out_of_order,
        "complete": report.complete,
    }


def run(bench: Bench) -> Section:
    started = time.perf_counter()
    backlogs = [500] if bench.smoke else ([10_000] if bench.quick else [10_000, 100_000])
    section = Section(
        "replay_backlog",
        "Outbox replay from a backlog of pending writes (one event each)",
        [
            ("backlog", "pending writes"),
            ("seed_s", "seeding s"),
            ("replayed", "replayed"),
            ("wall_s", "replay s"),
            ("writes_s", "writes/s"),
            ("rss_growth_mb", "RSS growth MB"),
            ("out_of_order", "out of order"),
            ("complete", "complete"),
        ],
    )
    for count in backlogs:
        bench.log(f"  replay_backlog: {count} pending writes")
        section.rows.append(_scenario(bench, count, documents=max(1, count // 100)))
    section.notes += [
        "the publisher only counts (no EventBridge): the rate is reading the pending index a window of"
        " 100 writes at a time, consistent BatchGetItem, and the confirming UpdateItems (8 at once);"
        " in AWS each write's PutEvents round trip comes on top.",
        "RSS growth: the peak resident memory above the start of the replay, sampled every 20 ms.",
    ]
    section.seconds = time.perf_counter() - started
    return section
