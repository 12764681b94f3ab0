"""The replay's order: each document's events in sequence order, whatever the clocks said."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from credit_memos.adapters.dynamodb.outbox_store import PendingWrite
from credit_memos.adapters.outbox import OutboxEvent
from credit_memos.adapters.outbox_replay import in_sequence_order

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def write(name: str, seconds: float, sequences: dict[str, int]) -> PendingWrite:
    detail = {"eventId": name, "sequences": sequences}
    return PendingWrite(
        key={"pk": f"OUTBOX#{name}", "sk": "OUTBOX"},
        committed_at=T0 + timedelta(seconds=seconds),
        events=[OutboxEvent(name, "CreditApplied", detail)],
    )


def names(writes: list[PendingWrite]) -> list[str]:
    return [w.events[0].event_id for w in writes]


def test_sequences_win_over_commit_times_that_disagree() -> None:
    # Two containers' clocks 2 s apart: the memo's 2nd event claims to be older than its 1st.
    created = write("memo-1", 10, {"cm": 1})
    applied = write("memo-2+inv-2", 8, {"cm": 2, "inv": 2})
    invoice = write("inv-1", 9, {"inv": 1})
    other = write("other-1", 0, {"cm2": 1})

    ordered = names(in_sequence_order([applied, created, invoice, other]))

    assert ordered.index("memo-1") < ordered.index("memo-2+inv-2")
    assert ordered.index("inv-1") < ordered.index("memo-2+inv-2")
    assert ordered[0] == "other-1"  # free to go, and committed first


def test_unrelated_writes_go_in_commit_order_and_gaps_do_not_block() -> None:
    # inv's 1st event was delivered (confirmed) before; its 3rd waits only for its 2nd.
    writes = [write("c", 3, {"inv": 3}), write("b", 2, {"x": 1}), write("a", 5, {"inv": 2})]

    assert names(in_sequence_order(writes)) == ["b", "a", "c"]
