"""The replay's order: each document's events in sequence order, whatever the clocks said; and what
a write refused for good holds back."""

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


class FakeStore:
    """The outbox store's replay side, in memory."""

    def __init__(self, pending: list[PendingWrite], quarantined: tuple[PendingWrite, ...] = ()) -> None:
        self.pending, self.parked = list(pending), list(quarantined)
        self.confirmed: list[str] = []
        self.held: set[str] = set()

    def quarantined(self) -> list[PendingWrite]:
        return list(self.parked)

    def pending_windows(self) -> list[list[PendingWrite]]:
        return [list(self.pending)]

    def confirm(self, key: dict[str, str]) -> bool:
        self.confirmed.append(key["pk"])
        return True

    def quarantine(self, key: dict[str, str], reason: str, documents: object) -> bool:
        self.parked += [w for w in self.pending if w.key == key]
        return True

    def hold(self, documents: set[str]) -> None:
        self.held |= set(documents)

    def held_documents(self) -> set[str]:
        return set(self.held)

    def release_held(self, documents: set[str]) -> None:
        self.held -= set(documents)


class RefusingPublisher:
    """Refuses for good the writes named; publishes the rest (in a list)."""

    def __init__(self, *refused: str) -> None:
        self.refused = set(refused)
        self.published: list[str] = []

    def publish(self, events: list[OutboxEvent], occurred_at: object = None) -> None:
        from credit_memos.adapters.eventbridge import PublishFailed

        name = events[0].event_id
        if name in self.refused:
            raise PublishFailed(f"{name} is malformed", permanent=True)
        self.published.append(name)


def with_documents(name: str, seconds: float, sequences: dict[str, int]) -> PendingWrite:
    w = write(name, seconds, sequences)
    return PendingWrite(w.key, w.committed_at, w.events, documents=frozenset(sequences))


def test_a_refused_write_holds_only_the_later_writes_of_its_documents() -> None:
    from credit_memos.adapters.outbox_replay import replay

    writes = [
        with_documents("x-1", 1, {"x": 1}),
        with_documents("x-2", 2, {"x": 2}),  # refused for good
        with_documents("x-3+y-1", 3, {"x": 3, "y": 1}),  # waits behind x-2, and so does y from here
        with_documents("y-2", 4, {"y": 2}),
        with_documents("z-1", 5, {"z": 1}),
    ]
    store, publisher = FakeStore(writes), RefusingPublisher("x-2")

    report = replay(store, publisher)  # type: ignore[arg-type]

    assert publisher.published == ["x-1", "z-1"]
    assert report.quarantined == ["OUTBOX#x-2"] and report.held == 2 and report.complete
    assert store.held == {"x", "y"}


def test_earlier_writes_of_a_quarantined_writes_document_still_go_out() -> None:
    from credit_memos.adapters.outbox_replay import replay

    parked = with_documents("x-2", 2, {"x": 2})
    store = FakeStore([with_documents("x-1", 1, {"x": 1}), with_documents("x-3", 3, {"x": 3})], (parked,))
    publisher = RefusingPublisher()

    report = replay(store, publisher)  # type: ignore[arg-type]

    assert publisher.published == ["x-1"] and report.held == 1
