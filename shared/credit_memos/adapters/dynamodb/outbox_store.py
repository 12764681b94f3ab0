"""The outbox items still to deliver: reading the pending index in pages, confirming delivery,
quarantining a write EventBridge refuses every time, and the documents held behind one.

With the repository, the only module that calls DynamoDB. An OUTBOX item is pending while it
has the pending index's keys in a pending shard (``keys.PENDING_INDEX``); :meth:`OutboxStore.confirm`
removes them (and the events) once EventBridge has accepted the item's events, conditionally, so a
confirmation never resurrects or repeats anything. A quarantined item keeps its events and moves to
the index's quarantine partition (``deliveryState`` Quarantined) until an operator releases or
discards it; meanwhile its documents are held (``keys.HELD_DOCUMENTS_KEY``): their later writes wait.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from credit_memos.adapters.dynamodb.attribute_codec import serialize
from credit_memos.adapters.dynamodb.batch_reads import batch_get
from credit_memos.adapters.dynamodb.errors import translate
from credit_memos.adapters.dynamodb.keys import (
    HELD_DOCUMENTS_KEY,
    PENDING_INDEX,
    PENDING_SHARDS,
    QUARANTINE_PARTITION,
    pending_partition,
)
from credit_memos.adapters.outbox import (
    OUTBOX_ATTRIBUTE,
    OUTBOX_COMMITTED_AT,
    MalformedOutbox,
    OutboxEvent,
    decode_outbox,
    documents_of,
)

# A confirmed item (its events gone) is kept this long for whoever investigates a delivery.
CONFIRMED_TTL_SECONDS = 7 * 24 * 3600


# Index keys read per query page, and writes read per window: what a replay holds at a time.
INDEX_PAGE_KEYS = 100
WINDOW_WRITES = 100
QUARANTINED = "Quarantined"
DISCARDED = "Discarded"


@dataclass(frozen=True)
class PendingWrite:
    """The events of one committed write not yet confirmed delivered (or quarantined: the reason)."""

    key: dict[str, str]
    committed_at: datetime | None
    events: list[OutboxEvent]
    malformed: str | None = None  # why the stored events cannot be read
    documents: frozenset[str] = frozenset()
    quarantine_reason: str | None = None
    quarantined_at: datetime | None = None


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


class OutboxStore:
    def __init__(
        self,
        client: Any,
        table_name: str,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._table = table_name
        self._clock = clock
        self._sleep = sleep

    def _index_keys(self, partition: str) -> Iterator[dict[str, str]]:
        """The keys in one partition of the pending index, oldest commit first, a page at a time."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": PENDING_INDEX.name,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": PENDING_INDEX.pk},
            "ExpressionAttributeValues": {":pk": {"S": partition}},
            "Limit": INDEX_PAGE_KEYS,
        }
        while True:
            try:
                response = self._client.query(**request)
            except (ClientError, BotoCoreError) as error:
                raise translate(error) from error
            for item in response.get("Items", []):
                yield {"pk": item["pk"]["S"], "sk": item["sk"]["S"], "order": item[PENDING_INDEX.sk]["S"]}
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def pending_windows(self, size: int = WINDOW_WRITES) -> Iterator[list[PendingWrite]]:
        """Every pending write, in windows of ``size`` in commit order across the shards (each shard's
        sort key is its commit time), read consistently: memory stays bounded at any backlog.

        The index is eventually consistent: an item confirmed a moment ago may still be listed;
        its consistent read has no ``outbox`` any more and it is left out.
        """
        shards = (self._index_keys(pending_partition(shard)) for shard in range(PENDING_SHARDS))
        merged = heapq.merge(*shards, key=lambda key: key["order"])
        for window in itertools.batched(merged, size, strict=False):
            yield self._read([{"pk": k["pk"], "sk": k["sk"]} for k in window], pending=True)

    def pending(self) -> list[PendingWrite]:
        """Every pending write at once (small outboxes, tests); a replay reads them in windows."""
        return [write for window in self.pending_windows() for write in window]

    def quarantined(self) -> list[PendingWrite]:
        """The quarantined writes, oldest commit first."""
        keys = [{"pk": k["pk"], "sk": k["sk"]} for k in self._index_keys(QUARANTINE_PARTITION)]
        return self._read(keys, pending=False)

    def _read(self, keys: list[dict[str, str]], *, pending: bool) -> list[PendingWrite]:
        items = batch_get(self._client, self._table, keys, consistent=True, sleep=self._sleep)
        by_key = {item["pk"]: item for item in items}
        found: list[PendingWrite] = []
        for key in keys:
            item = by_key.get(key["pk"])
            partition = item.get(PENDING_INDEX.pk) if item else None
            if item is None or OUTBOX_ATTRIBUTE not in item or not isinstance(partition, str):
                continue
            if (partition == QUARANTINE_PARTITION) == pending:
                continue
            found.append(_write(item))
        return found

    def get(self, key: dict[str, str]) -> PendingWrite | None:
        """The write at ``key`` if it is pending or quarantined."""
        items = batch_get(self._client, self._table, [key], consistent=True, sleep=self._sleep)
        if not items or OUTBOX_ATTRIBUTE not in items[0] or PENDING_INDEX.pk not in items[0]:
            return None
        return _write(items[0])

    def confirm(self, key: dict[str, str]) -> bool:
        """Mark the write's events delivered; False if it was confirmed already (or never pending)."""
        now = self._clock()
        try:
            self._client.update_item(
                TableName=self._table,
                Key=serialize(key),
                UpdateExpression="REMOVE #outbox, #ppk, #psk SET publishedAt = :now, expiresAt = :expires",
                ConditionExpression="attribute_exists(#ppk)",
                ExpressionAttributeNames={
                    "#outbox": OUTBOX_ATTRIBUTE,
                    "#ppk": PENDING_INDEX.pk,
                    "#psk": PENDING_INDEX.sk,
                },
                ExpressionAttributeValues=serialize(
                    {
                        ":now": _iso(now),
                        ":expires": int(now.timestamp()) + CONFIRMED_TTL_SECONDS,
                    }
                ),
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise translate(error) from error
        except BotoCoreError as error:
            raise translate(error) from error
        return True

    def quarantine(self, key: dict[str, str], reason: str, documents: Iterable[str]) -> bool:
        """Move a pending write to the quarantine partition, events kept; False if it is no longer
        pending (delivered or quarantined meanwhile)."""
        names = {"#ppk": PENDING_INDEX.pk}
        values: dict[str, Any] = {
            ":quarantine": QUARANTINE_PARTITION,
            ":pending": "OUTBOX#PENDING#",
            ":state": QUARANTINED,
            ":now": _iso(self._clock()),
            ":reason": reason[:1000],
        }
        update = (
            "SET #ppk = :quarantine, deliveryState = :state, quarantinedAt = :now, quarantineReason = :reason"
        )
        if documents := sorted(documents):
            update += ", #docs = :docs"
            names["#docs"] = "documents"
            values[":docs"] = set(documents)
        return self._update(key, update, "begins_with(#ppk, :pending)", names, values)

    def discard(self, key: dict[str, str]) -> bool:
        """Give up on a quarantined write: it leaves the index, its events are kept until its TTL."""
        now = self._clock()
        return self._update(
            key,
            "REMOVE #ppk, #psk SET deliveryState = :state, discardedAt = :now, expiresAt = :expires",
            "#ppk = :quarantine",
            {"#ppk": PENDING_INDEX.pk, "#psk": PENDING_INDEX.sk},
            {
                ":quarantine": QUARANTINE_PARTITION,
                ":state": DISCARDED,
                ":now": _iso(now),
                ":expires": int(now.timestamp()) + CONFIRMED_TTL_SECONDS,
            },
        )

    def held_documents(self) -> set[str]:
        """The documents whose writes wait behind a quarantined one."""
        try:
            response = self._client.get_item(
                TableName=self._table, Key=serialize(HELD_DOCUMENTS_KEY), ConsistentRead=True
            )
        except (ClientError, BotoCoreError) as error:
            raise translate(error) from error
        return set(response.get("Item", {}).get("documents", {}).get("SS", []))

    def hold(self, documents: Iterable[str]) -> None:
        """Hold these documents' later writes (the publisher leaves them pending)."""
        if documents := set(documents):
            self._update(
                HELD_DOCUMENTS_KEY, "ADD #docs :docs", None, {"#docs": "documents"}, {":docs": documents}
            )

    def release_held(self, documents: Iterable[str]) -> None:
        """Let these documents' writes flow again."""
        if documents := set(documents):
            self._update(
                HELD_DOCUMENTS_KEY,
                "DELETE #docs :docs",
                "attribute_exists(pk)",
                {"#docs": "documents"},
                {":docs": documents},
            )

    def _update(
        self,
        key: dict[str, str],
        update: str,
        condition: str | None,
        names: dict[str, str],
        values: dict[str, Any],
    ) -> bool:
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": serialize(key),
            "UpdateExpression": update,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": serialize(values),
        }
        if condition:
            request["ConditionExpression"] = condition
        try:
            self._client.update_item(**request)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise translate(error) from error
        except BotoCoreError as error:
            raise translate(error) from error
        return True


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _write(item: dict[str, Any]) -> PendingWrite:
    """An OUTBOX item as a write; one whose events cannot be read says why (``malformed``)."""
    try:
        events, malformed = decode_outbox(item[OUTBOX_ATTRIBUTE]), None
    except MalformedOutbox as error:
        events, malformed = [], str(error)
    stored = item.get("documents")
    return PendingWrite(
        key={"pk": item["pk"], "sk": item["sk"]},
        committed_at=_parse_time(item.get(OUTBOX_COMMITTED_AT)),
        events=events,
        malformed=malformed,
        documents=frozenset(stored) if isinstance(stored, set | frozenset) else documents_of(events),
        quarantine_reason=item.get("quarantineReason"),
        quarantined_at=_parse_time(item.get("quarantinedAt")),
    )
