"""The idempotency record (a committed mutation's response) as its item, and back."""

from __future__ import annotations

import json
import zlib
from typing import Any

from credit_memos.adapters.dynamodb.keys import idempotency_key
from credit_memos.ports import IdempotencyRecord

# Stored responses longer than this are compressed.
COMPRESS_BODY_OVER = 16_000

# Made once: ``json.dumps`` with options builds a new encoder per call.
_BODY_JSON = json.JSONEncoder(separators=(",", ":"))


def idempotency_item(record: IdempotencyRecord) -> dict[str, Any]:
    body = record.body_json
    # The API's text (non-ASCII as it is) is the stored text (all of it escaped) when it is
    # printable ASCII; else the body is encoded again.
    if body is None or not body.isascii() or "\x7f" in body:
        body = _BODY_JSON.encode(record.body)
    # The response to a request on 300-line documents can be far larger than an item may be;
    # compressed (JSON of repeated shapes shrinks well) it fits, so a key never makes it a 422.
    stored: dict[str, Any] = (
        {"body": body} if len(body) <= COMPRESS_BODY_OVER else {"bodyZ": zlib.compress(body.encode())}
    )
    return idempotency_key(record.operation, record.key) | {
        "entity": "IdempotencyRecord",
        "operation": record.operation,
        "fingerprint": record.fingerprint,
        "statusCode": record.status_code,
        **({"errorCode": record.error_code} if record.error_code is not None else {}),
        **stored,
        "createdAt": record.created_at,
        "expiresAt": record.expires_at,
    }


def idempotency_from_item(data: dict[str, Any]) -> IdempotencyRecord:
    return IdempotencyRecord(
        operation=data["operation"],
        key=data["pk"].split("#", 2)[2],
        fingerprint=data["fingerprint"],
        status_code=int(data["statusCode"]),
        body=json.loads(zlib.decompress(bytes(data["bodyZ"])).decode() if "bodyZ" in data else data["body"]),
        created_at=data["createdAt"],
        expires_at=int(data["expiresAt"]),
        error_code=data.get("errorCode"),
    )
