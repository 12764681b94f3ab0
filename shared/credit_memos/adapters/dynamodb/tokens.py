"""Pagination tokens: opaque, bound to the query they continue, checked before use."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from credit_memos.adapters.dynamodb.keys import INDEXES
from credit_memos.errors import ValidationError
from credit_memos.limits import MAX_TOKEN_LENGTH

# A start key names the table's keys and a list index's (the legacy indexes have the same).
_KEY_NAMES = frozenset(("pk", "sk", *(name for index in INDEXES for name in (index.pk, index.sk))))


def encode_token(last_key: dict[str, Any], partition: str) -> str:
    raw = json.dumps({"p": partition, "k": last_key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def invalid_token() -> ValidationError:
    return ValidationError("is not valid for this query", field=("next_token",))


def decode_token(token: str, partition: str) -> dict[str, Any]:
    invalid = invalid_token()
    if len(token) > MAX_TOKEN_LENGTH:
        raise invalid
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise invalid from None
    if not isinstance(data, dict) or data.get("p") != partition or not isinstance(data.get("k"), dict):
        raise invalid
    key = data["k"]
    if not key or not all(
        name in _KEY_NAMES and isinstance(value, dict) and set(value) == {"S"} and isinstance(value["S"], str)
        for name, value in key.items()
    ):
        raise invalid
    return key
