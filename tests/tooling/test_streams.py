"""infra.local.streams: the template's stream mappings, their filters, and the poller's redelivery."""

from __future__ import annotations

import json
from typing import Any

from infra.local.streams import LOCAL_STREAM_CONSUMERS, StreamPoller, matches, stream_mappings
from infra.local.template import REPO_ROOT, Template

EVENT = json.loads((REPO_ROOT / "events/summarize_accounts/stream.json").read_text(encoding="utf-8"))


def record(entity: str, sequence: str, event_name: str = "MODIFY") -> dict[str, Any]:
    return {
        "eventName": event_name,
        "dynamodb": {"SequenceNumber": sequence, "NewImage": {"entity": {"S": entity}}},
    }


def test_the_summary_consumer_runs_locally_and_sees_only_invoice_and_memo_headers() -> None:
    (mapping,) = [m for m in stream_mappings(Template.load()) if m.function in LOCAL_STREAM_CONSUMERS]
    assert mapping.table == "CreditMemoTable"
    assert all(mapping.accepts(r) for r in EVENT["Records"])
    assert not mapping.accepts(record("ApplicationEntry", "1"))
    assert not mapping.accepts(record("Invoice", "1", event_name="REMOVE"))
    assert not mapping.accepts({"eventName": "REMOVE", "dynamodb": {"Keys": {}}})


def test_a_pattern_matches_nested_objects_and_lists_of_accepted_values() -> None:
    assert matches({"a": {"b": [1, 2]}}, {"a": {"b": 2, "c": 3}})
    assert not matches({"a": {"b": [1, 2]}}, {"a": {"b": 3}})
    assert not matches({"a": {"b": [1]}}, {"a": 1})
    assert not matches({"a": [1]}, {})


class FakeReader:
    def __init__(self, batches: list[list[dict[str, Any]]]) -> None:
        self.batches = batches

    def read(self, limit: int = 1000) -> list[dict[str, Any]]:
        return self.batches.pop(0) if self.batches else []


def test_the_poller_delivers_again_what_a_partial_batch_response_reports_failed() -> None:
    delivered: list[list[str]] = []

    def deliver(event: dict[str, Any]) -> dict[str, Any]:
        sequences = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
        delivered.append(sequences)
        return {"batchItemFailures": [{"itemIdentifier": "2"}] if len(delivered) == 1 else []}

    records = [record("Invoice", "1"), record("CreditMemo", "2"), record("Outbox", "3")]
    poller = StreamPoller(
        FakeReader([records]), deliver, accepts=lambda r: r["dynamodb"]["NewImage"]["entity"]["S"] != "Outbox"
    )  # type: ignore[arg-type]
    assert poller.poll_once() == 2
    assert poller.poll_once() == 1
    assert poller.poll_once() == 0
    assert delivered == [["1", "2"], ["2"]]
