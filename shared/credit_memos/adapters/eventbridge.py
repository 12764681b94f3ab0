"""Publishing domain events to an EventBridge bus: the only module that calls EventBridge.

PutEvents takes at most 10 entries and 256 KB per call, and may accept some
entries of a call and refuse others (``FailedEntryCount``). Refused entries are
sent again a few times; if some still fail, ``PublishFailed`` tells the caller, with
``permanent`` when the refusal is about the entry itself (too large, malformed: it is not sent
again, and the caller quarantines the write) rather than the bus (throttling, outage: the stream
publisher fails that stream record, so Lambda delivers it again).
Entries accepted before a failure may thus be published twice: consumers
deduplicate by ``detail.eventId``.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from credit_memos.adapters.event_entries import entry_size, fitted_entry
from credit_memos.adapters.outbox import OutboxEvent
from credit_memos.domain.events import SOURCE
from credit_memos.limits import MAX_EVENT_BYTES

logger = logging.getLogger(__name__)

MAX_ENTRIES_PER_CALL = 10
MAX_REQUEST_BYTES = MAX_EVENT_BYTES
# Refusals about the entry itself, which every later attempt would get too. Others (throttling,
# internal failures, access denied) are about the bus or its configuration and pass.
PERMANENT_ERROR_CODES = frozenset({"InvalidArgument", "MalformedDetail", "ValidationException"})


class PublishFailed(Exception):
    """Some events were not accepted by EventBridge; ``permanent`` when they never will be."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class _Entry:
    """One outbox event as a PutEvents entry, with the entry's size as EventBridge counts it."""

    event: OutboxEvent
    request: dict[str, Any]
    size: int


class EventBridgePublisher:
    def __init__(
        self,
        client: Any,
        bus_name: str,
        *,
        source: str = SOURCE,
        attempts: int = 3,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._bus = bus_name
        self._source = source
        self._attempts = attempts
        self._sleep = sleep

    def _entry(self, event: OutboxEvent, occurred_at: datetime | None) -> _Entry:
        request = {"EventBusName": self._bus} | fitted_entry(event.detail_type, event.detail, self._source)
        if occurred_at is not None:
            request["Time"] = occurred_at
        size = entry_size(request)
        if size > MAX_REQUEST_BYTES:
            raise PublishFailed(
                f"event {event.event_id} is {size} bytes; EventBridge takes at most 256 KB", permanent=True
            )
        return _Entry(event, request, size)

    @staticmethod
    def _calls(entries: Sequence[_Entry]) -> Iterator[list[_Entry]]:
        call: list[_Entry] = []
        size = 0
        for entry in entries:
            if call and (len(call) == MAX_ENTRIES_PER_CALL or size + entry.size > MAX_REQUEST_BYTES):
                yield call
                call, size = [], 0
            call.append(entry)
            size += entry.size
        if call:
            yield call

    def publish(self, events: Sequence[OutboxEvent], occurred_at: datetime | None = None) -> None:
        """Put every event on the bus, in order; PublishFailed if any is finally refused."""
        entries = [self._entry(e, occurred_at) for e in events]
        for call in self._calls(entries):
            self._put(call)

    def _put(self, call: list[_Entry]) -> None:
        pending = call
        codes: list[str] = []
        for attempt in range(self._attempts):
            if attempt:
                self._sleep(random.uniform(0, min(1.0, 0.05 * 2**attempt)))  # noqa: S311 - jitter
            try:
                response = self._client.put_events(Entries=[e.request for e in pending])
            except (ClientError, BotoCoreError) as error:
                code = (
                    error.response.get("Error", {}).get("Code", "") if isinstance(error, ClientError) else ""
                )
                codes = [code or type(error).__name__]
                if code in PERMANENT_ERROR_CODES:
                    break
                logger.warning("PutEvents failed", extra={"error_code": codes[0], "attempt": attempt + 1})
                continue
            if not response.get("FailedEntryCount"):
                return
            results = response.get("Entries", [])
            failed = [(e, r) for e, r in zip(pending, results, strict=False) if r.get("ErrorCode")]
            # A response that does not account for every entry: send them all again.
            pending = [e for e, _ in failed] if len(results) == len(pending) else pending
            codes = sorted({str(r.get("ErrorCode")) for _, r in failed}) or ["Unknown"]
            logger.warning(
                "PutEvents refused entries",
                extra={"failed": len(pending), "error_codes": codes, "attempt": attempt + 1},
            )
            if set(codes) <= PERMANENT_ERROR_CODES:
                break
        ids = ", ".join(e.event.event_id for e in pending)
        raise PublishFailed(
            f"EventBridge did not accept events {ids} ({', '.join(codes)})",
            permanent=set(codes) <= PERMANENT_ERROR_CODES,
        )


def create_client(region: str, endpoint_url: str | None = None) -> Any:
    """An EventBridge client with bounded timeouts and the SDK's standard retries."""
    from botocore.config import Config

    from credit_memos.adapters.aws import EVENTBRIDGE
    from credit_memos.adapters.aws import create_client as create_aws_client

    config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)
    return create_aws_client(EVENTBRIDGE, region=region, endpoint_url=endpoint_url, config=config)
