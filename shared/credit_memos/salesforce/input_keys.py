"""The idempotency key of each input of an invocable action, derived from the request's key."""

from __future__ import annotations

import hashlib


def input_key(key: str | None, action: str, index: int) -> str | None:
    """The same request key, action and position give the same key; any other, another key
    (64 hex characters, a valid Idempotency-Key whatever the request key's length)."""
    if key is None:
        return None
    return hashlib.sha256(f"{key}\x00{action}\x00{index}".encode()).hexdigest()
