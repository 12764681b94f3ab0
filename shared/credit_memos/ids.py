"""Identifiers: time-ordered random ids, or ids derived from an idempotency key.

Deriving from the key makes a retried write target the very same items, so even a
write whose idempotency record went missing could not create a second document.

SnapStart: nothing here keeps state between calls (each id reads the clock and ``os.urandom``,
which Lambda re-seeds on restore), so environments restored from one snapshot never share an id;
do not cache randomness here (a seeded ``random.Random``, a precomputed node id). See
``credit_memos.snapstart`` and tests/snapstart.
"""

from __future__ import annotations

import hashlib
import os
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case


_PAIRS = [high + low for high in _ALPHABET for low in _ALPHABET]  # two digits per 10 bits


def _encode(value: int, length: int) -> str:
    """The low ``length`` base-32 digits of ``value``, most significant first."""
    chars = []
    if length % 2:
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    for _ in range(length // 2):
        value, rem = divmod(value, 1024)
        chars.append(_PAIRS[rem])
    return "".join(reversed(chars))


def new_id(prefix: str) -> str:
    """``prefix`` + 26 chars: 48-bit millisecond time then 80 random bits (ULID layout)."""
    millis = time.time_ns() // 1_000_000
    return f"{prefix}_{_encode(millis, 10)}{_encode(int.from_bytes(os.urandom(10), 'big'), 16)}"


class IdFactory:
    """Makes the ids of one request: random, or derived from its idempotency key."""

    def __init__(self, scope: str | None = None) -> None:
        self._scope = scope
        self._counter = 0

    def __call__(self, prefix: str) -> str:
        if self._scope is None:
            return new_id(prefix)
        self._counter += 1
        digest = hashlib.sha256(f"{self._scope}\x00{prefix}\x00{self._counter}".encode()).digest()
        return f"{prefix}_{_encode(int.from_bytes(digest[:17], 'big'), 26)}"
