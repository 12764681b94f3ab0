"""The fingerprint of a command: what an idempotency key's later uses must ask for again."""

from __future__ import annotations

import dataclasses
import hashlib
import json

from credit_memos.commands import Command

# Who asks: the same request by another session of the same principal is the same request.
_WHO = ("actor", "caller")
# Command fields that are left out of the fingerprint when None (see fingerprint).
_FINGERPRINT_IF_SET = ("reason_code", "status")


def fingerprint(command: Command) -> str:
    """The SHA-256 of what the command asks for.

    Who asks (``actor``, ``caller``) is not part of it: keys belong to their principal (the
    runner), and a retry by another session of the same principal replays the first outcome
    (whose ``createdBy`` names the first session). Fields added since
    keys were first stored count only when set, so a retry across the deploy that added them
    still matches the record of its first attempt. The text is that of
    ``[operation, dataclasses.asdict(command)]`` (sorted keys, Decimals as str).
    """
    fields = dataclasses.asdict(command)
    for name in _WHO:
        del fields[name]
    for name in _FINGERPRINT_IF_SET:
        if fields.get(name, 0) is None:
            del fields[name]
    canonical = _FINGERPRINT_JSON.encode([command.operation, fields])
    return hashlib.sha256(canonical.encode()).hexdigest()


_FINGERPRINT_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str)
