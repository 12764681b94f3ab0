"""The replay makes progress at any backlog (DynamoDB Local): pending events read a window at a
time, with memory flat, each document in sequence order, resumable after a stop.

The default run seeds 10,000 events (a minute or two); `REPLAY_BACKLOG_EVENTS=100000 make test
PYTEST_ARGS='-k backlog'` runs the 100,000 of docs/benchmarks.md (tens of minutes on DynamoDB
Local, most of it the replay's one confirmation write per event, traced by tracemalloc).
"""

from __future__ import annotations

import os
import tracemalloc

import pytest
from credit_memos.adapters.dynamodb.outbox_store import OutboxStore

from infra.bench.replay_backlog import OrderCheckingPublisher, seed
from infra.local.dynamodb_local import dynamodb_client

BACKLOG = int(os.environ.get("REPLAY_BACKLOG_EVENTS", "10000"))
DOCUMENTS = BACKLOG // 100  # 100 events each
STOP_AT = BACKLOG * 3 // 10
# Holding 100,000 pending writes at once is well over 100 MB; a window is far below this at any backlog.
PEAK_BYTES = 32 * 2**20

pytestmark = pytest.mark.slow


def test_a_backlog_of_events_is_replayed_with_flat_memory_and_in_order(
    dynamodb_local_endpoint: str, table: str
) -> None:
    from credit_memos.adapters.outbox_replay import replay

    client = dynamodb_client(dynamodb_local_endpoint, timeout_s=30.0, retries=5)
    seed(client, table, BACKLOG, DOCUMENTS)
    store = OutboxStore(client, table)
    publisher = OrderCheckingPublisher()

    # Stopped part-way (as the function stops before its timeout), then run again.
    first = replay(store, publisher, out_of_time=lambda: publisher.events >= STOP_AT)  # type: ignore[arg-type]
    assert not first.complete and STOP_AT <= first.writes_published < STOP_AT + 200

    tracemalloc.start()
    try:
        second = replay(store, publisher)  # type: ignore[arg-type]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert second.complete and second.failed == [] and second.quarantined == []
    assert first.writes_published + second.writes_published == BACKLOG
    assert publisher.events == BACKLOG and publisher.out_of_order == 0
    assert all(last == BACKLOG // DOCUMENTS for last in publisher.last.values())
    assert store.pending() == []
    print(f"replay of {second.writes_published} writes: tracemalloc peak {peak / 2**20:.1f} MB")
    assert peak < PEAK_BYTES
