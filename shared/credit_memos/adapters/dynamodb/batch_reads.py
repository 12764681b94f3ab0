"""Reading items by key: BatchGetItem in requests of 100 keys, its unprocessed keys asked again."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from credit_memos.adapters.dynamodb.attribute_codec import deserialize, serialize
from credit_memos.adapters.dynamodb.errors import translate
from credit_memos.errors import ServiceUnavailable

BATCH_GET_KEYS = 100  # DynamoDB's limit per BatchGetItem
BATCH_GET_ATTEMPTS = 8


def batch_get(
    client: Any,
    table: str,
    keys: Sequence[dict[str, Any]],
    *,
    consistent: bool,
    sleep: Callable[[float], None],
) -> list[dict[str, Any]]:
    """The items found under ``keys`` (in no particular order); ServiceUnavailable if DynamoDB
    leaves keys unprocessed through every attempt (throttling)."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(keys), BATCH_GET_KEYS):
        request: dict[str, Any] = {
            table: {
                "Keys": [serialize(k) for k in keys[start : start + BATCH_GET_KEYS]],
                "ConsistentRead": consistent,
            }
        }
        for attempt in range(BATCH_GET_ATTEMPTS):
            try:
                response = client.batch_get_item(RequestItems=request)
            except (ClientError, BotoCoreError) as error:
                raise translate(error) from error
            found += [deserialize(item) for item in response.get("Responses", {}).get(table, [])]
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
            sleep(min(0.5, 0.02 * 2**attempt))
        else:
            raise ServiceUnavailable("the database is busy; retry the request")
    return found
