"""Publish the transactional outbox: the table's stream in, EventBridge PutEvents out.

Triggered by the table's stream (NEW_IMAGE). A record whose new image has an
``outbox`` attribute carries the events of exactly one committed write; they go
to the bus (``Settings.event_bus_name``, from ``EVENT_BUS_NAME``) in order, with
``Source`` ``credit-memos`` and ``DetailType`` the event's type. A write EventBridge refuses for
good (too large, malformed) is quarantined and its documents held: their later writes stay pending
(held) until an operator releases or discards it (``python -m infra.outbox_quarantine``), while
every other document's events flow. A record whose events are refused for now (throttling,
EventBridge down) is reported in ``batchItemFailures`` (partial batch response); the records after
it in the batch are reported too, without being published, so Lambda resumes from the first failure
in stream order. Records that carry no events
(and TTL removals, and the confirmations below) are done at once.

Once EventBridge has accepted an OUTBOX item's events the item is confirmed (its events and
pending keys removed, conditionally): what is never confirmed stays on the table's pending index,
where ``python -m infra.replay`` and ReplayEventsFunction find it (docs/orchestration-and-events.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import credit_memos
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)
from credit_memos.adapters.dynamodb.keys import PENDING_INDEX
from credit_memos.adapters.dynamodb.outbox_store import OutboxStore, PendingWrite
from credit_memos.adapters.eventbridge import EventBridgePublisher, PublishFailed, create_client
from credit_memos.adapters.outbox import MalformedOutbox, decode_outbox, documents_of, stream_outbox
from credit_memos.adapters.outbox_replay import quarantine
from credit_memos.api import runtime
from credit_memos.api.observability import logger, metrics, tracer
from credit_memos.settings import Settings, get_settings


class EarlierRecordFailed(Exception):
    """Not attempted: an earlier record of this batch failed, and order is kept."""


def build_publisher(settings: Settings, client: Any = None) -> EventBridgePublisher:
    """The publisher to ``settings``' bus, through ``client`` (default: one built from ``settings``)."""
    if client is None:
        client = create_client(settings.region, settings.eventbridge_endpoint_url)
    return EventBridgePublisher(client, settings.event_bus_name)


@lru_cache(maxsize=1)
def get_publisher() -> EventBridgePublisher:
    return build_publisher(get_settings())


def build_store(settings: Settings, client: Any = None) -> OutboxStore:
    """Where delivered OUTBOX items are confirmed: ``settings``' table (default client: the runtime's)."""
    return OutboxStore(client if client is not None else runtime.get_dynamodb_client(), settings.table_name)


class Batch:
    """What one invocation knows across its records: the documents held, read once, when needed."""

    def __init__(self, store: OutboxStore) -> None:
        self.store = store
        self._held: set[str] | None = None

    @property
    def held(self) -> set[str]:
        if self._held is None:
            self._held = self.store.held_documents()
        return self._held


def publish_record(record: DynamoDBRecord, publisher: EventBridgePublisher, batch: Batch) -> int:
    """Publish one stream record's events; the number published.

    A write touching a held document stays pending (held too, its documents with it); a write
    EventBridge refuses for good is quarantined. Either way the records after it go on.
    """
    if record.event_name == DynamoDBRecordEventName.REMOVE:
        return 0
    image = record.dynamodb.new_image if record.dynamodb else None
    # the raw image: a compressed outbox is binary, which Lambda delivers base64-encoded
    outbox = stream_outbox(record.dynamodb.raw_event.get("NewImage") or {}) if record.dynamodb else None
    if not image or outbox is None or "deliveryState" in image:  # quarantined or discarded
        return 0
    created = record.dynamodb.approximate_creation_date_time if record.dynamodb else None
    occurred_at = datetime.fromtimestamp(float(created), UTC) if created is not None else None
    if PENDING_INDEX.pk not in image:  # events on a document item (before OUTBOX items): as they come
        events = decode_outbox(outbox)
        publisher.publish(events, occurred_at)
        return len(events)
    try:
        events, malformed = decode_outbox(outbox), None
    except MalformedOutbox as error:
        events, malformed = [], str(error)
    write = PendingWrite(
        {"pk": image["pk"], "sk": image["sk"]}, occurred_at, events, malformed, documents_of(events)
    )
    if write.documents & batch.held:
        batch.store.hold(write.documents)
        batch.held.update(write.documents)
        metrics.add_metric(name="OutboxWritesHeld", unit=MetricUnit.Count, value=1)
        return 0
    try:
        if malformed:
            raise PublishFailed(malformed, permanent=True)
        publisher.publish(events, occurred_at)
    except PublishFailed as error:
        if not error.permanent:
            raise
        quarantine(batch.store, write, str(error))
        batch.held.update(write.documents)
        metrics.add_metric(name="OutboxWritesQuarantined", unit=MetricUnit.Count, value=1)
        return 0
    try:
        batch.store.confirm(write.key)
    except Exception as error:  # delivered all the same; a replay would deliver it again
        logger.warning("outbox item not confirmed", extra={"outbox": image["pk"], "reason": str(error)})
        metrics.add_metric(name="OutboxConfirmFailed", unit=MetricUnit.Count, value=1)
    return len(events)


def handle(
    event: dict[str, Any], context: Any, publisher: EventBridgePublisher, store: OutboxStore | None = None
) -> dict[str, Any]:
    batch = Batch(store if store is not None else build_store(get_settings()))
    processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
    failed_at: list[str] = []
    published = [0]

    def record_handler(record: DynamoDBRecord) -> None:
        if failed_at:
            raise EarlierRecordFailed(f"record {failed_at[0]} before this one failed")
        try:
            published[0] += publish_record(record, publisher, batch)
        except Exception as error:
            failed_at.append(str(record.dynamodb.sequence_number if record.dynamodb else "?"))
            logger.warning(
                "stream record not published",
                extra={
                    "sequence_number": failed_at[0],
                    "error_type": type(error).__name__,
                    "reason": str(error),
                },
            )
            raise

    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    metrics.add_metric(name="EventsPublished", unit=MetricUnit.Count, value=published[0])
    failures = len(response.get("batchItemFailures", []))
    if failures:
        metrics.add_metric(name="StreamRecordsFailed", unit=MetricUnit.Count, value=failures)
    return dict(response)


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, context, get_publisher())


credit_memos.end_of_init()  # the collector as it was before init (credit_memos/__init__.py)
