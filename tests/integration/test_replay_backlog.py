"""The replay makes progress at any backlog (DynamoDB Local): 100,000 pending events, read a window
at a time, with memory flat, each document in sequence order, resumable after a stop.

Slow: seeding and replaying 100,000 items on DynamoDB Local takes a few minutes on a laptop.
"""

from __future__ import annotations

import tracemalloc

import pytest
from credit_memos.adapters.dynamodb.outbox_store import OutboxStore

from infra.bench.replay_backlog import OrderCheckingPublisher, seed
from infra.local.dynamodb_local import dynamodb_client

BACKLOG = 100_000
DOCUMENTS = 1_000  # 100 events each
# Holding every pending write at once is well over 100 MB at this backlog; a window is far below.
PEAK_BYTES = 32 * 2**20

pytestmark = pytest.mark.slow


def test_a_backlog_of_100000_events_is_replayed_with_flat_memory_and_in_order(
    dynamodb_local_endpoint: str, table: str
) -> None:
    from credit_memos.adapters.outbox_replay import replay

    client = dynamodb_client(dynamodb_local_endpoint, timeout_s=30.0, retries=5)
    seed(client, table, BACKLOG, DOCUMENTS)
    store = OutboxStore(client, table)
    publisher = OrderCheckingPublisher()

    # Stopped part-way (as the function stops before its timeout), then run again.
    first = replay(store, publisher, out_of_time=lambda: publisher.events >= 30_000)  # type: ignore[arg-type]
    assert not first.complete and 30_000 <= first.writes_published < 30_200

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
