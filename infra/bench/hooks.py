"""Counting DynamoDB requests and consumed capacity with botocore event hooks.

``Recorder`` registers on a client's event system (``client.meta.events``):

- ``before-parameter-build.dynamodb``: one record per API call the code makes (SDK-internal HTTP
  retries are not separate calls); with ``capacity=True`` it adds ``ReturnConsumedCapacity=TOTAL``;
  with ``capture=True`` it keeps a deep copy of the call's parameters (for replaying them bare).
- ``after-call.dynamodb``: the consumed capacity units and the error code, if any.

Registration is per client and undone on exit, so the hot path carries no hooks outside a section
that asked for them.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

CAPACITY_OPERATIONS = frozenset(
    {
        "BatchGetItem",
        "BatchWriteItem",
        "DeleteItem",
        "GetItem",
        "PutItem",
        "Query",
        "Scan",
        "TransactGetItems",
        "TransactWriteItems",
        "UpdateItem",
    }
)
READ_OPERATIONS = frozenset({"BatchGetItem", "GetItem", "Query", "Scan", "TransactGetItems"})
_ids = itertools.count()


@dataclass
class Call:
    operation: str
    items: int  # keys asked for (reads) or items written (writes)
    params: dict[str, Any] | None = None
    error: str | None = None
    cancellation: list[str] = field(default_factory=list)
    capacity_units: float = 0.0
    returned_items: int = 0
    request_bytes: int = 0

    @property
    def is_read(self) -> bool:
        return self.operation in READ_OPERATIONS


def _item_count(operation: str, params: dict[str, Any]) -> int:
    if operation == "BatchGetItem":
        return sum(len(table.get("Keys", [])) for table in params.get("RequestItems", {}).values())
    if operation == "BatchWriteItem":
        return sum(len(requests) for requests in params.get("RequestItems", {}).values())
    if operation in ("TransactWriteItems", "TransactGetItems"):
        return len(params.get("TransactItems", []))
    if operation in ("Query", "Scan"):
        return 0  # counted from the response
    return 1


def _units(consumed: Any) -> float:
    entries = consumed if isinstance(consumed, list) else [consumed] if consumed else []
    return float(sum(entry.get("CapacityUnits", 0.0) for entry in entries))


class Recorder:
    """``with Recorder(client) as calls: ...``: the DynamoDB calls made on ``client`` in the block."""

    def __init__(self, client: Any, *, capacity: bool = False, capture: bool = False) -> None:
        self.client = client
        self.capacity = capacity
        self.capture = capture
        self.calls: list[Call] = []
        self._lock = threading.Lock()
        self._id = f"bench-recorder-{next(_ids)}"
        self._key = f"bench_call_{self._id}"

    def __enter__(self) -> Recorder:
        events = self.client.meta.events
        events.register("before-parameter-build.dynamodb", self._before, unique_id=f"{self._id}-before")
        events.register("before-call.dynamodb", self._sent, unique_id=f"{self._id}-sent")
        events.register("after-call.dynamodb", self._after, unique_id=f"{self._id}-after")
        return self

    def __exit__(self, *exc: object) -> None:
        events = self.client.meta.events
        events.unregister("before-parameter-build.dynamodb", unique_id=f"{self._id}-before")
        events.unregister("before-call.dynamodb", unique_id=f"{self._id}-sent")
        events.unregister("after-call.dynamodb", unique_id=f"{self._id}-after")

    def reset(self) -> None:
        with self._lock:
            self.calls = []

    def _before(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        operation = model.name
        if self.capacity and operation in CAPACITY_OPERATIONS:
            params.setdefault("ReturnConsumedCapacity", "TOTAL")
        call = Call(operation, _item_count(operation, params))
        if self.capture:
            call.params = copy.deepcopy({k: v for k, v in params.items() if k != "ReturnConsumedCapacity"})
        context[self._key] = call
        with self._lock:
            self.calls.append(call)

    def _sent(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        call: Call | None = context.get(self._key)
        body = params.get("body")
        if call is not None and isinstance(body, bytes | str):
            call.request_bytes = len(body)

    def _after(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        call: Call | None = context.get(self._key)
        if call is None:
            return
        call.capacity_units = _units(parsed.get("ConsumedCapacity"))
        if call.operation in ("Query", "Scan"):
            call.returned_items = call.items = int(parsed.get("Count", 0))
        error = parsed.get("Error", {}).get("Code")
        if error:
            call.error = error
            call.cancellation = [r.get("Code", "None") for r in parsed.get("CancellationReasons", [])]

    # ------------------------------------------------------------ summaries

    def operations(self) -> Counter[str]:
        return Counter(call.operation for call in self.calls)

    def summary(self) -> dict[str, Any]:
        reads = [c for c in self.calls if c.is_read]
        writes = [c for c in self.calls if not c.is_read]
        return {
            "requests": len(self.calls),
            "by_operation": dict(self.operations()),
            "read_requests": len(reads),
            "write_requests": len(writes),
            "items_read": sum(c.items for c in reads),
            "items_written": sum(c.items for c in writes),
            "read_units": round(sum(c.capacity_units for c in reads), 2),
            "write_units": round(sum(c.capacity_units for c in writes), 2),
            "errors": dict(Counter(c.error for c in self.calls if c.error)),
            "request_bytes": sum(c.request_bytes for c in self.calls),
            "largest_request_bytes": max((c.request_bytes for c in self.calls), default=0),
        }


def describe_calls(calls: list[Call]) -> str:
    """``BatchGetItem[2] + TransactWriteItems[3]``: each call with its item count, in order."""
    return " + ".join(f"{c.operation}[{c.items}]" for c in calls) or "none"
