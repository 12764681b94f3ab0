"""The transactional outbox's format: the domain events of one committed write.

Every committed write that produced events writes, in the same transaction, an
``OUTBOX#{first event id}`` item whose attribute ``outbox`` is a JSON list of
``{"id", "detailType", "detail"}``, with ``committedAt`` and the pending index's keys
(``keys.PENDING_INDEX``). No other item carries events, so each stream record (NEW_IMAGE)
with an ``outbox`` carries exactly the events of the write that made it. Once EventBridge
has accepted them the item is confirmed: ``outbox`` and the pending keys are removed, and
``publishedAt`` and a TTL are set. (Before the outbox had items of its own, events rode on a
document item as the same attribute; the publisher still reads those.)

A list of events whose JSON is longer than ``OUTBOX_COMPRESS_OVER`` is stored zlib-compressed, as
a binary attribute: an apply's events (both documents' views) are ~1.5 KB of JSON with the same
keys twice, ~0.6 KB compressed, so the item fits one write unit instead of two, which in the
write's transaction is 2 units fewer, and 1 fewer again when it is confirmed. Shorter lists stay
JSON text (the item is one unit either way). Readers take both, and items written before this.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from credit_memos.adapters.event_entries import check_publishable
from credit_memos.domain.events import DomainEvent

OUTBOX_ATTRIBUTE = "outbox"
OUTBOX_COMMITTED_AT = "committedAt"
# Events whose JSON is longer are stored compressed: past ~800 bytes of events an outbox item
# (keys, committedAt, pending keys: ~200 bytes) no longer fits one 1 KB write unit.
OUTBOX_COMPRESS_OVER = 800


class MalformedOutbox(Exception):
    """The outbox attribute is not the list of events this module writes."""


@dataclass(frozen=True)
class OutboxEvent:
    """An event waiting in the outbox: its id, EventBridge detail type and detail."""

    event_id: str
    detail_type: str
    detail: dict[str, Any]


# Made once: ``json.dumps`` with options builds a new encoder per call.
_OUTBOX_JSON = json.JSONEncoder(separators=(",", ":"))


def encode_outbox(events: Sequence[DomainEvent]) -> str | bytes:
    """The outbox attribute's value: the events' JSON, zlib-compressed (bytes) when it is long;
    ValidationError if an event is too large for EventBridge."""
    text = _OUTBOX_JSON.encode(
        [{"id": e.event_id, "detailType": e.detail_type, "detail": e.detail} for e in events]
    )
    # Before anything is written: an event EventBridge could never take would block delivery.
    check_publishable(events, len(text))
    return text if len(text) <= OUTBOX_COMPRESS_OVER else _compressed(text.encode())


def _compressed(data: bytes) -> bytes:
    """zlib data (any reader's ``zlib.decompress``) made with a 4 KB window and a small memory level:
    for a few KB of events as small as ``zlib.compress``'s (612 bytes for an apply's 1,550), in a
    sixth of its time (11 us instead of 60: setting up its 32 KB window dominates small inputs);
    within 1-2% of it for a 300-record apply's 65 KB."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 12, 4)
    return compressor.compress(data) + compressor.flush()


def stream_outbox(new_image: Mapping[str, Any]) -> str | bytes | None:
    """The outbox attribute of a stream record's ``NewImage`` as Lambda delivers it (DynamoDB
    JSON, binary values base64-encoded), ready for :func:`decode_outbox`; None if there is none."""
    attribute = new_image.get(OUTBOX_ATTRIBUTE)
    if not isinstance(attribute, Mapping):
        return None
    if "B" in attribute:
        value = attribute["B"]
        try:
            return value if isinstance(value, bytes) else base64.b64decode(value, validate=True)
        except (ValueError, TypeError):
            raise MalformedOutbox("the outbox is binary but not base64") from None
    text = attribute.get("S")
    if not isinstance(text, str):
        raise MalformedOutbox(f"the outbox is of DynamoDB type {', '.join(attribute)}, not S or B")
    return text


def decode_outbox(value: Any) -> list[OutboxEvent]:
    """The events of one outbox attribute value (JSON text, or it compressed); MalformedOutbox if
    it is not one."""
    if isinstance(value, bytes | bytearray):
        try:
            value = zlib.decompress(value).decode()
        except (zlib.error, UnicodeDecodeError) as error:
            raise MalformedOutbox(f"the outbox is binary but not compressed JSON: {error}") from None
    if not isinstance(value, str):
        raise MalformedOutbox(f"the outbox is a {type(value).__name__}, not a JSON string")
    try:
        data = json.loads(value)
    except ValueError as error:
        raise MalformedOutbox(f"the outbox is not valid JSON: {error}") from None
    if not isinstance(data, list):
        raise MalformedOutbox("the outbox is not a JSON list")
    events: list[OutboxEvent] = []
    for index, entry in enumerate(data):
        if not isinstance(entry, dict):
            raise MalformedOutbox(f"outbox[{index}] is not an object")
        event_id, detail_type, detail = entry.get("id"), entry.get("detailType"), entry.get("detail")
        if not isinstance(event_id, str) or not event_id:
            raise MalformedOutbox(f"outbox[{index}].id is missing")
        if not isinstance(detail_type, str) or not detail_type:
            raise MalformedOutbox(f"outbox[{index}].detailType is missing")
        if not isinstance(detail, dict) or detail.get("eventId") != event_id:
            raise MalformedOutbox(f"outbox[{index}].detail is not the detail of event {event_id}")
        events.append(OutboxEvent(event_id, detail_type, detail))
    return events


def documents_of(events: Sequence[OutboxEvent]) -> frozenset[str]:
    """The documents the events changed (their ``sequences``): the order of delivery is per document."""
    return frozenset(doc for event in events for doc in (event.detail.get("sequences") or {}))
