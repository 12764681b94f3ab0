"""The outbox items still to deliver: reading the pending index, confirming delivery.

With the repository, the only module that calls DynamoDB. An OUTBOX item is pending while it
has the pending index's keys (``keys.PENDING_INDEX``); :meth:`OutboxStore.confirm` removes them
(and the events) once EventBridge has accepted the item's events, conditionally, so a confirmation
never resurrects or repeats anything.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from credit_memos.adapters.dynamodb.attribute_codec import serialize
from credit_memos.adapters.dynamodb.batch_reads import batch_get
from credit_memos.adapters.dynamodb.errors import translate
from credit_memos.adapters.dynamodb.keys import PENDING_INDEX, PENDING_SHARDS, pending_partition
from credit_memos.adapters.outbox import (
    OUTBOX_ATTRIBUTE,
    OUTBOX_COMMITTED_AT,
    OutboxEvent,
    decode_outbox,
)

# A confirmed item (its events gone) is kept this long for whoever investigates a delivery.
CONFIRMED_TTL_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class PendingWrite:
    """The events of one committed write not yet confirmed delivered."""

    key: dict[str, str]
    committed_at: datetime | None
    events: list[OutboxEvent]


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

    def _pending_keys(self) -> Iterator[dict[str, Any]]:
        for shard in range(PENDING_SHARDS):
            request: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": PENDING_INDEX.name,
                "KeyConditionExpression": "#pk = :pk",
                "ExpressionAttributeNames": {"#pk": PENDING_INDEX.pk},
                "ExpressionAttributeValues": {":pk": {"S": pending_partition(shard)}},
            }
            while True:
                try:
                    response = self._client.query(**request)
                except (ClientError, BotoCoreError) as error:
                    raise translate(error) from error
                for item in response.get("Items", []):
                    yield {"pk": item["pk"]["S"], "sk": item["sk"]["S"]}
                if "LastEvaluatedKey" not in response:
                    break
                request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def pending(self) -> list[PendingWrite]:
        """Every write whose events are not confirmed delivered (consistent reads of the items).

        The index is eventually consistent: an item confirmed a moment ago may still be listed;
        its consistent read has no ``outbox`` any more and it is left out.
        """
        keys = list(self._pending_keys())
        found: list[PendingWrite] = []
        for item in batch_get(self._client, self._table, keys, consistent=True, sleep=self._sleep):
            if OUTBOX_ATTRIBUTE not in item or PENDING_INDEX.pk not in item:
                continue
            found.append(
                PendingWrite(
                    key={"pk": item["pk"], "sk": item["sk"]},
                    committed_at=_parse_time(item.get(OUTBOX_COMMITTED_AT)),
                    events=decode_outbox(item[OUTBOX_ATTRIBUTE]),
                )
            )
        return found

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
                        ":now": now.astimezone(UTC).isoformat(timespec="microseconds"),
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
