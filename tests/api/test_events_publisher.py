"""The outbox publisher: the table's stream in, EventBridge PutEvents out (moto).

Stream records are the real ones moto's DynamoDB Streams recorded for the
service's writes, shaped as Lambda delivers them. A rule on the moto bus copies
every event to an SQS queue, where the tests read what was published.
"""

from __future__ import annotations

import base64
import json
import sys
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from credit_memos.domain.events import EVENT_VERSION

from infra.local.lambda_runtime import FakeLambdaContext
from infra.local.streams import lambda_stream_record
from tests.builders import create_invoice, create_memo
from tests.harness import (
    TABLE_NAME,
    Api,
    base_environment,
    create_table,
    environment,
    handler_for,
    template,
)

BUS = "credit-memos-test-bus"
REGION = "us-east-1"
ACCOUNT = "acct-events"


class Bus:
    """The moto bus, the queue its rule feeds, and the table's stream."""

    def __init__(self) -> None:
        self.events = boto3.client("events", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.dynamodb = boto3.client("dynamodb", region_name=REGION)
        # Recent botocore sends stream calls to account-based hosts, which moto does not route.
        self.streams = boto3.client(
            "dynamodbstreams",
            region_name=REGION,
            endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com",
        )
        self.events.create_event_bus(Name=BUS)
        self.queue_url = self.sqs.create_queue(QueueName="observed-events")["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.events.put_rule(
            Name="everything", EventBusName=BUS, EventPattern=json.dumps({"source": ["credit-memos"]})
        )
        self.events.put_targets(Rule="everything", EventBusName=BUS, Targets=[{"Id": "q", "Arn": queue_arn}])
        self._read = 0

    def stream_records(self) -> list[dict[str, Any]]:
        """Stream records not read before, as Lambda's DynamoDB event source delivers them."""
        stream_arn = self.dynamodb.describe_table(TableName=TABLE_NAME)["Table"]["LatestStreamArn"]
        shard = self.streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]
        iterator = self.streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records = self.streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]
        fresh, self._read = records[self._read :], len(records)
        return [lambda_stream_record(record, stream_arn) for record in fresh]

    def published(self) -> list[dict[str, Any]]:
        """Every event the bus delivered to the queue so far (EventBridge envelopes)."""
        found = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not messages:
                return found
            for message in messages:
                found.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


class Publisher:
    """The deployed function's handler, with its EventBridge client replaceable."""

    def __init__(self) -> None:
        self.handler = handler_for("PublishEventsFunction")
        self.module = sys.modules[self.handler.__module__]
        self.module.get_publisher.cache_clear()

    def __call__(self, records: list[dict[str, Any]], client: Any = None) -> dict[str, Any]:
        event = {"Records": records}
        if client is None:
            context = FakeLambdaContext(template().find_function("PublishEventsFunction"))
            return self.handler(event, context)  # type: ignore[no-any-return]
        publisher = self.module.EventBridgePublisher(client, BUS, sleep=lambda _: None)
        return self.module.handle(event, None, publisher)  # type: ignore[no-any-return]


class FlakyClient:
    """Wraps the moto client; refuses the entries ``refuse(entry, call_number)`` picks."""

    def __init__(self, refuse: Any) -> None:
        self._real = boto3.client("events", region_name=REGION)
        self._refuse = refuse
        self.calls: list[list[dict[str, Any]]] = []

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append(Entries)
        accepted, results = [], []
        for entry in Entries:
            if self._refuse(entry, len(self.calls)):
                results.append({"ErrorCode": "InternalFailure", "ErrorMessage": "try again"})
            else:
                accepted.append(entry)
                results.append({})
        if accepted:
            real = self._real.put_events(Entries=accepted)["Entries"]
            real_iter = iter(real)
            results = [r if r else next(real_iter) for r in results]
        return {"FailedEntryCount": sum(1 for r in results if "ErrorCode" in r), "Entries": results}


@pytest.fixture
def bus() -> Iterator[Bus]:
    from moto import mock_aws

    with environment(base_environment() | {"EVENT_BUS_NAME": BUS}), mock_aws():
        create_table(boto3.client("dynamodb", region_name=REGION))
        yield Bus()


@pytest.fixture
def publish(bus: Bus) -> Publisher:
    return Publisher()


def invoice(api: Api, *lines: str) -> dict[str, Any]:
    return create_invoice(api, *lines, account=ACCOUNT)


def memo(api: Api, amount: str, status: str = "Posted") -> dict[str, Any]:
    return create_memo(api, {"chargeAmount": amount, "productName": "Refund"}, account=ACCOUNT, status=status)


def with_events(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records of OUTBOX items (a write's events; the documents' own records carry none)."""
    return [r for r in records if "outbox" in r["dynamodb"].get("NewImage", {})]


def image_events(image: dict[str, Any]) -> list[dict[str, Any]]:
    """The events of one image's outbox: JSON text, or (long lists) compressed, base64 as Lambda
    delivers binary."""
    outbox = image["outbox"]
    text = outbox["S"] if "S" in outbox else zlib.decompress(base64.b64decode(outbox["B"])).decode()
    return json.loads(text)  # type: ignore[no-any-return]


def outbox_events(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    events = []
    for record in records:
        image = record["dynamodb"].get("NewImage", {})
        if "outbox" in image:
            events += image_events(image)
    return events


# ---------------------------------------------------------------- what is published


def test_every_committed_mutation_publishes_exactly_its_events_in_sequence(
    bus: Bus, publish: Publisher
) -> None:
    api = Api()
    inv = invoice(api, "100.00")  # InvoiceCreated
    m = memo(api, "30.00", status="Draft")  # CreditMemoCreated
    assert api.post(f"/credit-memos/{m['id']}/actions/post", {}).status == 200  # CreditMemoPosted
    applied = api.post(
        f"/credit-memos/{m['id']}/actions/apply",
        {"applications": [{"invoiceId": inv["id"], "amount": "30.00"}]},
        headers={"Idempotency-Key": "apply-once"},
    )
    assert applied.status == 200, applied  # CreditApplied
    replay = api.post(
        f"/credit-memos/{m['id']}/actions/apply",
        {"applications": [{"invoiceId": inv["id"], "amount": "30.00"}]},
        headers={"Idempotency-Key": "apply-once"},
    )
    assert replay.status == 200  # a replay commits nothing, so it publishes nothing
    refused = api.post(
        f"/credit-memos/{m['id']}/actions/apply",
        {"applications": [{"invoiceId": inv["id"], "amount": "1.00"}]},
    )
    assert refused.status == 409  # nothing committed, nothing published
    app_id = applied.body["applications"][0]["id"]
    assert (
        api.post(f"/credit-memo-applications/{app_id}/actions/unapply", {}).status == 200
    )  # CreditUnapplied
    assert api.post(f"/credit-memos/{m['id']}/actions/void", {}).status == 200  # CreditMemoVoided
    negative = invoice(api, "300.00", "-100.00")  # InvoiceCreated
    converted = api.post(f"/invoices/{negative['id']}/actions/convert-to-credit", {})
    assert converted.status == 201  # CreditMemoCreated, NegativeInvoiceLinesConverted, CreditApplied
    credited = api.post(
        f"/invoices/{inv['id']}/actions/credit",
        {
            "taxStrategy": "Ignore",
            "invoiceLines": [{"invoiceLineId": inv["lines"][0]["id"], "amountToCredit": "10"}],
        },
    )
    assert credited.status == 201  # CreditMemoCreated, CreditApplied

    records = bus.stream_records()
    expected = outbox_events(records)
    response = publish(records)

    assert response == {"batchItemFailures": []}
    published = bus.published()
    assert sorted(e["detail"]["eventId"] for e in published) == sorted(e["id"] for e in expected)
    assert len({e["id"] for e in expected}) == len(expected)  # every event id is unique
    by_id = {e["detail"]["eventId"]: e for e in published}
    for event in expected:
        envelope = by_id[event["id"]]
        assert envelope["source"] == "credit-memos"
        assert envelope["detail-type"] == event["detailType"]
        assert envelope["detail"] == event["detail"]
        assert envelope["detail"]["eventVersion"] == EVENT_VERSION == "2"
    # Per document: exactly the expected events, sequence numbers 1, 2, 3, ... in stream order.
    types: dict[str, list[str]] = defaultdict(list)
    sequences: dict[str, list[int]] = defaultdict(list)
    for event in expected:
        for doc_id, number in event["detail"]["sequences"].items():
            types[doc_id].append(event["detailType"])
            sequences[doc_id].append(number)
    assert types[m["id"]] == [
        "CreditMemoCreated",
        "CreditMemoPosted",
        "CreditApplied",
        "CreditUnapplied",
        "CreditMemoVoided",
    ]
    assert types[inv["id"]] == ["InvoiceCreated", "CreditApplied", "CreditUnapplied", "CreditApplied"]
    conversion_memo = converted.body["creditMemo"]["id"]
    assert types[negative["id"]] == ["InvoiceCreated", "NegativeInvoiceLinesConverted", "CreditApplied"]
    assert types[conversion_memo] == ["CreditMemoCreated", "NegativeInvoiceLinesConverted", "CreditApplied"]
    assert types[credited.body["creditMemo"]["id"]] == ["CreditMemoCreated", "CreditApplied"]
    for doc_id, numbers in sequences.items():
        assert numbers == list(range(1, len(numbers) + 1)), doc_id
    assert Counter(e["detailType"] for e in expected) == {
        "InvoiceCreated": 2,
        "CreditMemoCreated": 3,
        "CreditMemoPosted": 1,
        "CreditApplied": 3,
        "CreditUnapplied": 1,
        "CreditMemoVoided": 1,
        "NegativeInvoiceLinesConverted": 1,
    }
    # The amounts and balances after, as the documents show them.
    applied_event = next(
        e for e in expected if e["detailType"] == "CreditApplied" and m["id"] in e["detail"]["sequences"]
    )
    assert applied_event["detail"]["amount"] == "30.00"
    assert applied_event["detail"]["creditMemo"]["balance"] == "0.00"
    assert applied_event["detail"]["invoice"]["balance"] == "70.00"
    assert sorted(by_id[applied_event["id"]]["resources"]) == sorted(
        [f"credit-memo/{m['id']}", f"invoice/{inv['id']}"]
    )


def test_payments_publish_payment_recorded_and_reversed_through_the_outbox(
    bus: Bus, publish: Publisher
) -> None:
    api = Api()
    inv = invoice(api, "100.00")
    paid = api.post(
        f"/invoices/{inv['id']}/actions/record-payment", {"amount": "40.00", "paymentReference": "w-1"}
    )
    assert paid.status == 201, paid
    duplicate = api.post(
        f"/invoices/{inv['id']}/actions/record-payment", {"amount": "1.00", "paymentReference": "w-1"}
    )
    assert duplicate.status == 409  # nothing committed, nothing published
    reversed_ = api.post(f"/invoice-payments/{paid.body['id']}/actions/reverse", {})
    assert reversed_.status == 200, reversed_

    records = bus.stream_records()
    expected = outbox_events(records)
    assert publish(records) == {"batchItemFailures": []}
    published = {e["detail"]["eventId"]: e for e in bus.published()}
    assert [e["detailType"] for e in expected] == ["InvoiceCreated", "PaymentRecorded", "PaymentReversed"]
    recorded, reversal = expected[1], expected[2]
    assert recorded["detail"]["sequences"] == {inv["id"]: 2}
    assert reversal["detail"]["sequences"] == {inv["id"]: 3}
    assert recorded["detail"]["payment"] == paid.body
    assert reversal["detail"]["payment"] == reversed_.body
    assert (recorded["detail"]["invoice"]["balance"], reversal["detail"]["invoice"]["balance"]) == (
        "60.00",
        "100.00",
    )
    for event in expected[1:]:
        envelope = published[event["id"]]
        assert envelope["detail-type"] == event["detailType"] and envelope["detail"] == event["detail"]
        assert envelope["resources"] == [f"invoice/{inv['id']}"]


def test_refunds_publish_credit_memo_refunded_and_refund_reversed_through_the_outbox(
    bus: Bus, publish: Publisher
) -> None:
    api = Api()
    m = memo(api, "100.00")
    refunded = api.post(
        f"/credit-memos/{m['id']}/actions/refund", {"amount": "40.00", "refundReference": "a-1"}
    )
    assert refunded.status == 201, refunded
    duplicate = api.post(
        f"/credit-memos/{m['id']}/actions/refund", {"amount": "1.00", "refundReference": "a-1"}
    )
    assert duplicate.status == 409  # nothing committed, nothing published
    reversed_ = api.post(f"/credit-memo-refunds/{refunded.body['id']}/actions/reverse", {})
    assert reversed_.status == 200, reversed_

    records = bus.stream_records()
    expected = outbox_events(records)
    assert publish(records) == {"batchItemFailures": []}
    published = {e["detail"]["eventId"]: e for e in bus.published()}
    kinds = [e["detailType"] for e in expected]
    assert kinds[-2:] == ["CreditMemoRefunded", "RefundReversed"]
    done, undone = expected[-2], expected[-1]
    assert (done["detail"]["refund"], undone["detail"]["refund"]) == (refunded.body, reversed_.body)
    assert (done["detail"]["creditMemo"]["balance"], done["detail"]["creditMemo"]["netRefunds"]) == (
        "60.00",
        "40.00",
    )
    assert undone["detail"]["creditMemo"]["balance"] == "100.00"
    assert undone["detail"]["sequences"][m["id"]] == done["detail"]["sequences"][m["id"]] + 1
    for event in (done, undone):
        envelope = published[event["id"]]
        assert envelope["detail-type"] == event["detailType"] and envelope["detail"] == event["detail"]
        assert envelope["resources"] == [f"credit-memo/{m['id']}"]


def test_one_write_with_more_than_ten_events_goes_out_in_calls_of_ten(bus: Bus, publish: Publisher) -> None:
    api = Api()
    invoices = [invoice(api, "10.00") for _ in range(12)]
    m = memo(api, "500.00")
    bus.stream_records()  # the creations are not this test's concern
    r = api.post(
        f"/credit-memos/{m['id']}/actions/apply", {"applications": [{"invoiceId": i["id"]} for i in invoices]}
    )
    assert r.status == 200, r
    records = bus.stream_records()
    assert len(outbox_events(records)) == 12
    client = FlakyClient(lambda entry, call: False)

    assert publish(records, client) == {"batchItemFailures": []}

    assert [len(call) for call in client.calls] == [10, 2]
    assert len(bus.published()) == 12


# ---------------------------------------------------------------- failure paths


def test_refused_entries_fail_their_record_and_the_records_after_it(bus: Bus, publish: Publisher) -> None:
    api = Api()
    first, second, third = invoice(api, "1.00"), invoice(api, "2.00"), invoice(api, "3.00")
    records = with_events(bus.stream_records())
    assert len(records) == 3
    refuse_second = FlakyClient(lambda entry, call: second["id"] in entry["Detail"])

    response = publish(records, refuse_second)

    failed = [f["itemIdentifier"] for f in response["batchItemFailures"]]
    assert failed == [records[1]["dynamodb"]["SequenceNumber"], records[2]["dynamodb"]["SequenceNumber"]]
    assert len(refuse_second.calls) == 1 + 3  # the first record, then 3 attempts at the second
    assert [e["detail"]["invoice"]["id"] for e in bus.published()] == [first["id"]]

    # Lambda delivers the batch again from the first failed record; now EventBridge accepts.
    assert publish(records[1:]) == {"batchItemFailures": []}
    assert [e["detail"]["invoice"]["id"] for e in bus.published()] == [second["id"], third["id"]]


def test_an_entry_refused_once_is_sent_again_within_the_invocation(bus: Bus, publish: Publisher) -> None:
    api = Api()
    invoice(api, "1.00")
    records = with_events(bus.stream_records())
    refuse_first_call = FlakyClient(lambda entry, call: call == 1)

    assert publish(records, refuse_first_call) == {"batchItemFailures": []}
    assert len(refuse_first_call.calls) == 2
    assert len(bus.published()) == 1


def test_a_put_events_error_fails_the_record(bus: Bus, publish: Publisher) -> None:
    from botocore.exceptions import ClientError

    api = Api()
    invoice(api, "1.00")
    records = with_events(bus.stream_records())

    class Throttled:
        def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "PutEvents")

    response = publish(records, Throttled())

    assert response["batchItemFailures"] == [{"itemIdentifier": records[0]["dynamodb"]["SequenceNumber"]}]
    assert bus.published() == []


def test_records_without_events_and_ttl_removals_are_skipped(bus: Bus, publish: Publisher) -> None:
    api = Api()
    invoice(api, "1.00")
    (record,) = with_events(bus.stream_records())
    without_outbox = json.loads(json.dumps(record))
    del without_outbox["dynamodb"]["NewImage"]["outbox"]
    without_outbox["eventName"] = "MODIFY"
    removal = json.loads(json.dumps(record))
    removal["eventName"] = "REMOVE"
    del removal["dynamodb"]["NewImage"]
    removal["userIdentity"] = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}

    assert publish([without_outbox, removal]) == {"batchItemFailures": []}
    assert bus.published() == []


def test_the_idempotency_record_and_entries_written_with_a_change_carry_no_events(bus: Bus) -> None:
    api = Api()
    inv = invoice(api, "10.00")
    m = memo(api, "10.00")
    bus.stream_records()
    r = api.post(
        f"/credit-memos/{m['id']}/actions/apply",
        {"applications": [{"invoiceId": inv["id"]}]},
        headers={"Idempotency-Key": "k-1"},
    )
    assert r.status == 200
    records = bus.stream_records()
    # One transaction: entry, memo, invoice, journal entry, idempotency record and the outbox
    # item, which alone carries the events.
    assert len(records) == 6
    (outbox,) = with_events(records)
    assert outbox["dynamodb"]["Keys"]["pk"]["S"].startswith("OUTBOX#")
    assert [e["detailType"] for e in outbox_events(records)] == ["CreditApplied"]


def test_an_event_too_large_for_eventbridge_goes_out_with_application_ids_only(
    bus: Bus, publish: Publisher
) -> None:
    api = Api()
    invoice(api, "1.00")
    (record,) = with_events(bus.stream_records())
    (event,) = image_events(record["dynamodb"]["NewImage"])
    applications = [{"id": f"app_x.{i}", "description": "x" * 900} for i in range(1, 301)]
    event["detailType"] = "CreditApplied"
    event["detail"]["applications"] = applications
    record["dynamodb"]["NewImage"]["outbox"] = {"S": json.dumps([event])}

    assert publish([record]) == {"batchItemFailures": []}

    (published,) = bus.published()
    assert published["detail"]["applicationsOmitted"] is True
    assert published["detail"]["applicationIds"] == [a["id"] for a in applications]
    assert "applications" not in published["detail"]
    assert published["detail"]["eventId"] == event["id"]


# ---------------------------------------------------------------- the durable outbox and its replay


def pending(bus: Bus) -> list[dict[str, Any]]:
    from credit_memos.adapters.dynamodb.keys import PENDING_INDEX, PENDING_SHARDS, pending_partition

    found = []
    for shard in range(PENDING_SHARDS):
        found += bus.dynamodb.query(
            TableName=TABLE_NAME,
            IndexName=PENDING_INDEX.name,
            KeyConditionExpression="gsi5pk = :pk",
            ExpressionAttributeValues={":pk": {"S": pending_partition(shard)}},
        )["Items"]
    return found


def test_a_published_write_is_confirmed_and_leaves_nothing_to_replay(bus: Bus, publish: Publisher) -> None:
    api = Api()
    invoice(api, "1.00")
    assert len(pending(bus)) == 1

    assert publish(with_events(bus.stream_records())) == {"batchItemFailures": []}

    assert pending(bus) == []
    assert len(bus.published()) == 1
    replayed = handler_for("ReplayEventsFunction")({}, replay_context())
    assert replayed["eventsPublished"] == 0 and bus.published() == []


def test_events_outlive_an_eventbridge_outage_longer_than_the_stream_and_replay_delivers_them_in_order(
    bus: Bus, publish: Publisher
) -> None:
    from botocore.exceptions import ClientError

    from infra import replay

    class Down:
        def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
            raise ClientError({"Error": {"Code": "InternalFailure", "Message": "down"}}, "PutEvents")

    api = Api()
    inv = invoice(api, "100.00")
    # Delivered before the outage.
    assert publish(with_events(bus.stream_records())) == {"batchItemFailures": []}
    delivered = bus.published()
    assert len(delivered) == 1
    # EventBridge goes down; every later write fails to publish, through all of Lambda's retries.
    m = memo(api, "60.00", status="Draft")
    assert api.post(f"/credit-memos/{m['id']}/actions/post", {}).status == 200
    applied = api.post(
        f"/credit-memos/{m['id']}/actions/apply",
        {"applications": [{"invoiceId": inv["id"], "amount": "25.00"}]},
    )
    assert applied.status == 200
    app_id = applied.body["applications"][0]["id"]
    assert api.post(f"/credit-memo-applications/{app_id}/actions/unapply", {}).status == 200
    assert (
        api.post(
            f"/credit-memos/{m['id']}/actions/apply",
            {"applications": [{"invoiceId": inv["id"], "amount": "60.00"}]},
        ).status
        == 200
    )
    records = with_events(bus.stream_records())
    expected = outbox_events(records)
    assert len(expected) == 5
    for _ in range(3):
        response = publish(records, Down())
        assert len(response["batchItemFailures"]) == len(records)
    assert bus.published() == []
    # ... for longer than the stream keeps records: they are gone; only the table remembers.
    del records
    assert len(pending(bus)) == 5

    report = handler_for("ReplayEventsFunction")({"dryRun": True}, replay_context())
    assert report == {
        "pending": 5,
        "writesPublished": 0,
        "eventsPublished": 0,
        "alreadyConfirmed": 0,
        "held": 0,
        "failed": [],
        "quarantined": [],
        "complete": True,
    }
    assert bus.published() == []

    assert replay.main([]) == 0

    arrived = bus.published()
    assert sorted(e["detail"]["eventId"] for e in arrived) == sorted(e["id"] for e in expected)
    assert {e["detail"]["eventId"]: e["detail"] for e in arrived} == {e["id"]: e["detail"] for e in expected}
    # Each document's events arrive in their sequence order, continuing where delivery stopped.
    seen: dict[str, list[int]] = defaultdict(list)
    for event in delivered + arrived:
        for doc_id, number in event["detail"]["sequences"].items():
            seen[doc_id].append(number)
    assert seen[inv["id"]] == [1, 2, 3, 4]
    assert seen[m["id"]] == [1, 2, 3, 4, 5]
    assert pending(bus) == []

    # Twice is harmless: nothing is pending, nothing new goes out.
    again = handler_for("ReplayEventsFunction")({}, replay_context())
    assert again["pending"] == 0 and again["eventsPublished"] == 0
    assert bus.published() == []


def test_a_replay_stops_at_a_refused_write_and_the_next_run_finishes(bus: Bus) -> None:
    from credit_memos.adapters.outbox_replay import replay_with
    from credit_memos.settings import get_settings

    api = Api()
    first, second, third = invoice(api, "1.00"), invoice(api, "2.00"), invoice(api, "3.00")
    refuse_second = FlakyClient(lambda entry, call: second["id"] in entry["Detail"])
    settings = get_settings()

    report = replay_with(
        settings, dynamodb_client=bus.dynamodb, events_client=refuse_second, sleep=lambda _: None
    )

    assert report.writes_published == 1 and len(report.failed) == 1
    assert [e["detail"]["invoice"]["id"] for e in bus.published()] == [first["id"]]
    assert len(pending(bus)) == 2
    report = replay_with(settings, dynamodb_client=bus.dynamodb, sleep=lambda _: None)
    assert report.writes_published == 2 and report.failed == []
    assert [e["detail"]["invoice"]["id"] for e in bus.published()] == [second["id"], third["id"]]


def replay_context() -> FakeLambdaContext:
    return FakeLambdaContext(template().find_function("ReplayEventsFunction"))
