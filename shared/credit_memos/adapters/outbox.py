"""The transactional outbox's format: the domain events of one committed write.

Every committed write that produced events writes, in the same transaction, an
``OUTBOX#{first event id}`` item whose attribute ``outbox`` is a JSON list of
``{"id", "detailType", "detail"}``, with ``committedAt`` and the pending index's keys
(``keys.PENDING_INDEX``). No other item carries events, so each stream record (NEW_IMAGE)
with an ``outbox`` carries exactly the events of the write that made it. Once EventBridge
has accepted them the item is confirmed: ``outbox`` and the pending keys are removed, and
``publishedAt`` and a TTL are set. (Before the outbox had items of its own, events rode on a
document item as the same attribute; the publisher still reads those.)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from credit_memos.domain.events import DomainEvent

OUTBOX_ATTRIBUTE = "outbox"
OUTBOX_COMMITTED_AT = "committedAt"


class MalformedOutbox(Exception):
    """The outbox attribute is not the list of events this module writes."""


@dataclass(frozen=True)
class OutboxEvent:
    event_id: str
    detail_type: str
    detail: dict[str, Any]


# Made once: ``json.dumps`` with options builds a new encoder per call.
_OUTBOX_JSON = json.JSONEncoder(separators=(",", ":"))


def encode_outbox(events: Sequence[DomainEvent]) -> str:
    return _OUTBOX_JSON.encode(
        [{"id": e.event_id, "detailType": e.detail_type, "detail": e.detail} for e in events]
    )


def decode_outbox(value: Any) -> list[OutboxEvent]:
    """The events of one outbox attribute value; MalformedOutbox if it is not one."""
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


def resources_of(detail: dict[str, Any]) -> list[str]:
    """The documents an event is about, as ``credit-memo/{id}`` and ``invoice/{id}``.

    EventBridge rules can match on them (``"resources": ["invoice/inv_..."]``).
    """
    found: list[str] = []

    def add(kind: str, value: Any) -> None:
        if isinstance(value, str) and f"{kind}/{value}" not in found:
            found.append(f"{kind}/{value}")

    # Version 2 carries the documents as their views ({"id", ...}); version 1 events still in the
    # stream at a deployment carried creditMemoId / invoiceId, at the top or in the summaries.
    add("credit-memo", detail.get("creditMemoId"))
    add("invoice", detail.get("invoiceId"))
    memo, invoice = detail.get("creditMemo"), detail.get("invoice")
    if isinstance(memo, dict):
        add("credit-memo", memo.get("id", memo.get("creditMemoId")))
    if isinstance(invoice, dict):
        add("invoice", invoice.get("id", invoice.get("invoiceId")))
    return found
