"""An outbox event as a PutEvents entry: the detail as sent, and its size as EventBridge counts it.

The publisher, the replay and the commit-time check share it, so an event the service commits is
one the publisher can send (``limits.MAX_EVENT_BYTES``, EventBridge's limit per entry and call).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from credit_memos.domain.events import SOURCE
from credit_memos.errors import ValidationError
from credit_memos.limits import MAX_EVENT_BYTES

_TIME_BYTES = 14  # what EventBridge counts for an entry's Time
# What an entry adds to its detail at most: source, detail type, time and two resources.
_ENVELOPE_BYTES = 1024


def _json(detail: dict[str, Any]) -> str:
    return json.dumps(detail, separators=(",", ":"), ensure_ascii=False)


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


def entry_size(request: dict[str, Any]) -> int:
    """A PutEvents entry's size by EventBridge's own accounting ("Calculating PutEvents entry size")."""
    size = _TIME_BYTES + len(request["Source"].encode()) + len(request["DetailType"].encode())
    size += len(request["Detail"].encode()) + sum(len(r.encode()) for r in request.get("Resources", []))
    return size


def fitted_entry(detail_type: str, detail: dict[str, Any], source: str = SOURCE) -> dict[str, Any]:
    """The entry (without bus and time) of one event, its application records replaced by their ids
    when it would be over the limit: a line-level apply can list hundreds of records, which
    consumers read from the application history instead."""
    request: dict[str, Any] = {
        "Source": source,
        "DetailType": detail_type,
        "Detail": _json(detail),
        "Resources": resources_of(detail),
    }
    if entry_size(request) > MAX_EVENT_BYTES and isinstance(detail.get("applications"), list):
        shortened = {k: v for k, v in detail.items() if k != "applications"}
        shortened["applicationIds"] = [a.get("id") for a in detail["applications"] if isinstance(a, dict)]
        shortened["applicationsOmitted"] = True
        request["Detail"] = _json(shortened)
    return request


def check_publishable(events: Sequence[Any], outbox_text_bytes: int) -> None:
    """ValidationError if one of the events (``event_id``, ``detail_type``, ``detail``) could never
    be published. ``outbox_text_bytes``, the length of all the events' JSON, bounds each one's
    detail, so the usual write is cleared without encoding anything again."""
    if outbox_text_bytes + _ENVELOPE_BYTES <= MAX_EVENT_BYTES:
        return
    for event in events:
        size = entry_size(fitted_entry(event.detail_type, event.detail))
        if size > MAX_EVENT_BYTES:
            raise ValidationError(
                f"the change's {event.detail_type} event would be {size:,} bytes, more than the"
                f" {MAX_EVENT_BYTES:,} EventBridge takes; split it into smaller requests"
            )
