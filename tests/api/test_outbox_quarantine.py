"""A write EventBridge refuses for good blocks only its own documents (moto): it is quarantined,
its documents' later writes wait behind it, every other document's events flow, and the operator
lists, releases or discards it."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from credit_memos.adapters.dynamodb.keys import PENDING_INDEX, QUARANTINE_PARTITION
from credit_memos.adapters.dynamodb.outbox_store import OutboxStore
from credit_memos.adapters.outbox import encode_outbox
from credit_memos.domain.events import DomainEvent
from credit_memos.errors import ValidationError
from credit_memos.limits import MAX_EVENT_BYTES

from infra import outbox_quarantine, replay
from tests.api import test_events_publisher as events
from tests.api.test_events_publisher import ACCOUNT, REGION, Bus, Publisher, invoice, pending, with_events
from tests.builders import create_invoice
from tests.harness import TABLE_NAME, Api

# The publisher tests' fixtures: the moto bus and table, the publisher function.
bus = events.bus
publish = events.publish


class Refusing:
    """The moto bus, refusing for good (``code``) the entries whose detail names ``document_id``."""

    def __init__(self, document_id: str, code: str = "MalformedDetail") -> None:
        self._real = boto3.client("events", region_name=REGION)
        self._document_id = document_id
        self._code = code
        self.calls = 0

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls += 1
        if any(self._document_id in e["Detail"] for e in Entries):
            return {"FailedEntryCount": len(Entries), "Entries": [{"ErrorCode": self._code}] * len(Entries)}
        return self._real.put_events(Entries=Entries)  # type: ignore[no-any-return]


def published_ids(bus: Bus) -> list[tuple[str, str]]:
    return [(e["detail-type"], e["detail"]["invoice"]["id"]) for e in bus.published()]


def quarantined(bus: Bus) -> list[dict[str, Any]]:
    return bus.dynamodb.query(
        TableName=TABLE_NAME,
        IndexName=PENDING_INDEX.name,
        KeyConditionExpression="gsi5pk = :pk",
        ExpressionAttributeValues={":pk": {"S": QUARANTINE_PARTITION}},
    )["Items"]


def held_behind_a_refused_invoice(bus: Bus, publish: Publisher) -> tuple[str, str]:
    """Invoice A created (refused for good) and posted, invoice B created, through the publisher."""
    api = Api()
    a = create_invoice(api, "1.00", account=ACCOUNT, status="Draft")["id"]
    b = invoice(api, "2.00")["id"]
    assert api.post(f"/invoices/{a}/actions/post", {}).status == 200
    records = with_events(bus.stream_records())
    assert len(records) == 3
    publisher = Publisher()
    client = Refusing(a)

    response = publisher(records, client)

    assert response == {"batchItemFailures": []}  # nothing blocks the shard
    assert client.calls == 2  # A's creation once (refused for good, not retried), then B's
    assert published_ids(bus) == [("InvoiceCreated", b)]
    assert len(quarantined(bus)) == 1
    assert len(pending(bus)) == 1  # A's posting, held behind its creation
    return a, b


def test_a_write_refused_for_good_is_quarantined_and_only_its_document_waits(
    bus: Bus, publish: Publisher, capsys: pytest.CaptureFixture[str]
) -> None:
    a, _ = held_behind_a_refused_invoice(bus, publish)
    # A replay in the meantime leaves the held write where it is.
    assert replay.main([]) == 0
    report = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert report["held"] == 1 and report["eventsPublished"] == 0
    assert bus.published() == []

    assert outbox_quarantine.main(["list"]) == 0
    (line,) = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert line["documents"] == [a] and "MalformedDetail" in line["reason"]
    assert [e["detailType"] for e in line["events"]] == ["InvoiceCreated"]
    assert outbox_quarantine.main(["show", line["outbox"]]) == 0
    assert json.loads(capsys.readouterr().out)["events"][0]["detail"]["invoice"]["id"] == a

    # The cause is fixed: released, it goes out, and then what waited behind it, in order.
    assert outbox_quarantine.main(["release", line["outbox"], "--dry-run"]) == 0
    assert bus.published() == [] and len(quarantined(bus)) == 1
    assert outbox_quarantine.main(["release", line["outbox"]]) == 0
    assert published_ids(bus) == [("InvoiceCreated", a), ("InvoicePosted", a)]
    assert quarantined(bus) == [] and pending(bus) == []
    assert OutboxStore(bus.dynamodb, TABLE_NAME).held_documents() == set()

    # Later writes of A flow through the publisher again.
    api = Api()
    paid = api.post(f"/invoices/{a}/actions/record-payment", {"amount": "1.00", "paymentReference": "r1"})
    assert paid.status < 300, paid
    assert Publisher()(with_events(bus.stream_records())) == {"batchItemFailures": []}
    assert [e["detail-type"] for e in bus.published()] == ["PaymentRecorded"]


def test_a_discarded_write_is_never_published_and_its_documents_flow_again(
    bus: Bus, publish: Publisher, capsys: pytest.CaptureFixture[str]
) -> None:
    a, _ = held_behind_a_refused_invoice(bus, publish)
    (item,) = quarantined(bus)

    assert outbox_quarantine.main(["discard", item["pk"]["S"]]) == 0

    assert published_ids(bus) == [("InvoicePosted", a)]
    assert quarantined(bus) == [] and pending(bus) == []
    stored = bus.dynamodb.get_item(TableName=TABLE_NAME, Key={"pk": item["pk"], "sk": item["sk"]})["Item"]
    assert stored["deliveryState"] == {"S": "Discarded"} and "outbox" in stored
    assert outbox_quarantine.main(["release", item["pk"]["S"]]) == 1  # nothing left to release


def test_the_replay_quarantines_a_refused_write_and_delivers_every_other_document(bus: Bus) -> None:
    from credit_memos.adapters.outbox_replay import replay_with
    from credit_memos.settings import get_settings

    api = Api()
    a, b, c = (
        create_invoice(api, x, account=ACCOUNT, status="Draft")["id"] for x in ("1.00", "2.00", "3.00")
    )
    assert api.post(f"/invoices/{a}/actions/post", {}).status == 200
    assert api.post(f"/invoices/{c}/actions/post", {}).status == 200

    report = replay_with(get_settings(), dynamodb_client=bus.dynamodb, events_client=Refusing(a))

    assert report.writes_published == 3 and report.held == 1 and len(report.quarantined) == 1
    assert report.failed == [] and report.complete
    assert sorted(published_ids(bus)) == sorted(
        [("InvoiceCreated", b), ("InvoiceCreated", c), ("InvoicePosted", c)]
    )
    assert OutboxStore(bus.dynamodb, TABLE_NAME).held_documents() == {a}


def test_a_malformed_outbox_is_quarantined_and_the_records_after_it_go_out(
    bus: Bus, publish: Publisher
) -> None:
    api = Api()
    first, second = invoice(api, "1.00")["id"], invoice(api, "2.00")["id"]
    bad, good = with_events(bus.stream_records())
    bad["dynamodb"]["NewImage"]["outbox"] = {"S": "not json"}

    assert publish([bad, good]) == {"batchItemFailures": []}

    assert published_ids(bus) == [("InvoiceCreated", second)]
    (item,) = quarantined(bus)
    assert item["pk"] == bad["dynamodb"]["NewImage"]["pk"]
    assert first not in OutboxStore(bus.dynamodb, TABLE_NAME).held_documents()  # unreadable: none


def test_an_event_eventbridge_could_never_take_is_refused_before_anything_is_written() -> None:
    detail = {
        "eventId": "evt_1",
        "sequences": {"cm_1": 1},
        "creditMemo": {"id": "cm_1", "x": "y" * MAX_EVENT_BYTES},
    }
    with pytest.raises(ValidationError, match="EventBridge"):
        encode_outbox([DomainEvent("evt_1", "CreditMemoCreated", detail)])
    # Large application lists go out as their ids: still publishable.
    applications = [{"id": f"app_1.{i}", "description": "x" * 900} for i in range(400)]
    fits = {"eventId": "evt_2", "sequences": {"cm_1": 2}, "applications": applications}
    assert encode_outbox([DomainEvent("evt_2", "CreditApplied", fits)])
