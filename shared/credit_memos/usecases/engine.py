"""The engine every mutation runs on: read, replay, rule, commit, retry.

1. one consistent batch read of the documents the mutation needs and, with an
   idempotency key, that key's record;
2. a replay of the stored outcome if the key was used before (or a mismatch);
3. the domain rule, which validates and then changes the documents in memory;
4. one commit holding every change plus the idempotency record, conditional on the
   versions read; a conflicting writer means back to 1, a bounded number of times.

A rejection that the same request would meet again (a domain error that is not
``retryable``) is stored under the key like a success, so a retry replays it even if
the balances changed since (spec section 6); a transient one is not stored.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from credit_memos import errors
from credit_memos.commands import Command
from credit_memos.domain.documents import CreditMemo, NumberSeries
from credit_memos.domain.memos import number_if_posted
from credit_memos.errors import (
    ConcurrentUpdate,
    DomainError,
    IdempotencyKeyInUse,
    IdempotencyKeyMismatch,
    NotFound,
)
from credit_memos.ids import IdFactory
from credit_memos.ports import (
    ConflictingWrite,
    IdempotencyRecord,
    IdempotencyRecordExists,
    Repository,
    Snapshot,
    UnitOfWork,
)
from credit_memos.settings import Settings
from credit_memos.views import View, json_text

T = TypeVar("T")
Reader = Callable[[tuple[str, str] | None], Snapshot]


# Command fields that are left out of the fingerprint when None (see Idempotency.of).
_FINGERPRINT_IF_SET = ("reason_code",)


@dataclass(frozen=True)
class Idempotency:
    """An idempotency key and the fingerprint of the command it came with."""

    key: str
    fingerprint: str

    @staticmethod
    def of(key: str, command: Command) -> Idempotency:
        """The key and what the command asks for.

        Who asks (``actor``) is not part of it: a retry under the same key by another identity
        replays the first outcome (whose ``createdBy`` names the first caller). Fields added
        since keys were first stored count only when set, so a retry across the deploy that
        added them still matches the record of its first attempt. The text is that of
        ``[operation, dataclasses.asdict(command)]`` (sorted keys, Decimals as str), without
        asdict's deep copy: the encoder takes each nested dataclass's fields.
        """
        fields = {f.name: getattr(command, f.name) for f in dataclasses.fields(command) if f.name != "actor"}
        for name in _FINGERPRINT_IF_SET:
            if fields.get(name, 0) is None:
                del fields[name]
        canonical = _FINGERPRINT_JSON.encode([command.operation, fields])
        return Idempotency(key, hashlib.sha256(canonical.encode()).hexdigest())


def _fields_or_str(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    return str(value)


# Made once: ``json.dumps`` with options builds a new encoder per call.
_FINGERPRINT_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=_fields_or_str)


@dataclass
class Outcome:
    """A use case's answer: status code and body (and whether it was replayed)."""

    status_code: int
    body: Any
    replayed: bool = False
    text: str | None = None  # ``body`` as ``json_text`` made it, if it was already needed


@dataclass
class Attempt:
    """What one try of a mutation produced: the changes and the response."""

    unit: UnitOfWork
    status_code: int
    view: View


class Engine:
    def __init__(
        self,
        repository: Repository,
        settings: Settings,
        *,
        clock: Callable[[], datetime],
        sleep: Callable[[float], None],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.repository = repository
        self.settings = settings
        self._clock = clock
        self._sleep = sleep
        self._monotonic = monotonic

    def timestamps(self) -> tuple[str, str]:
        """Now as an ISO timestamp (milliseconds, Z) and as today's date."""
        now = self._clock()
        return now.isoformat(timespec="milliseconds").replace("+00:00", "Z"), now.date().isoformat()

    def reader(self, *, numbered: bool = False, **documents: Any) -> Reader:
        """A consistent read of the named documents (and the key's record); with ``numbered``,
        of the number series too (a mutation that may post a memo)."""
        series = self.settings.number_prefix if numbered else None

        def read(key: tuple[str, str] | None) -> Snapshot:
            return self.repository.read(idempotency=key, consistent=True, series=series, **documents)

        return read

    @staticmethod
    def number(snapshot: Snapshot, memo: CreditMemo) -> NumberSeries | None:
        """Number ``memo`` if it is Posted and unnumbered: the series to write with it, or None.

        Called once the rule has accepted the change, before the events are made (they carry
        the number). The snapshot's series was read with the documents (``reader(numbered=True)``).
        """
        if memo.status != "Posted" or memo.document_number is not None:
            return None
        assert snapshot.series is not None, "a posting's reader must read the series"
        return snapshot.series if number_if_posted(memo, snapshot.series) else None

    @staticmethod
    def require(found: T | None, what: str, ident: str) -> T:
        if found is None:
            raise NotFound(f"{what} {ident} does not exist")
        return found

    def mutate(
        self,
        command: Command,
        idempotency_key: str | None,
        read: Reader,
        attempt: Callable[[Snapshot, IdFactory], Attempt],
    ) -> Outcome:
        operation = command.operation
        idempotency = Idempotency.of(idempotency_key, command) if idempotency_key is not None else None
        key = (operation, idempotency.key) if idempotency else None
        retries = self.settings.max_conflict_retries
        # Retries stop once the request has spent its budget, so that a lost race is answered
        # (409 CONCURRENT_UPDATE, retryable) well before the function's timeout would cut it
        # off with no answer: a posting under a burst can lose the series many times in a row.
        give_up_at = self._monotonic() + self.settings.retry_budget_seconds
        try_number = -1
        while try_number < retries:
            try_number += 1
            snapshot = read(key)
            if idempotency is not None and snapshot.idempotency is not None:
                return self._replay(snapshot.idempotency, idempotency)
            ids = IdFactory(self._id_scope(operation, idempotency) if idempotency else None)
            unit: UnitOfWork | None = None
            try:
                result = attempt(snapshot, ids)
                unit = result.unit
                for event in unit.events:
                    event.detail["createdBy"] = command.actor
                body = result.view.body()
                # Keyed: the body's JSON text once, for the stored record and the HTTP response.
                text = json_text(body) if idempotency is not None else None
                unit.idempotency = self._record(operation, idempotency, result.status_code, body)
                if unit.idempotency is not None:
                    unit.idempotency.body_json = text
                self.repository.commit(unit)
            except ConflictingWrite:
                if unit is not None and unit.series is not None:
                    # A posting races every other posting of the deployment for the one series;
                    # each loss is another posting's win, so it waits its turn longer
                    # (docs/design.md "Document numbers"; measured by make bench, section 7).
                    retries = max(retries, self.settings.max_numbering_retries)
                if try_number < retries:
                    pause = self._backoff_pause(try_number)
                    if self._monotonic() + pause >= give_up_at:
                        break
                    self._sleep(pause)  # not after the last try: nobody would read on
                continue
            except IdempotencyRecordExists:
                return self._replay_concurrent(key, idempotency)
            except DomainError as error:
                if idempotency is None or error.retryable:
                    raise
                winner = self._store_rejection(operation, idempotency, error, key)
                if winner is not None:
                    return winner
                raise
            return Outcome(result.status_code, body, text=text)
        raise ConcurrentUpdate("the documents are being changed by other requests; retry later")

    # ------------------------------------------------------------ idempotency

    def _record(
        self, operation: str, idempotency: Idempotency | None, status_code: int, body: dict[str, Any]
    ) -> IdempotencyRecord | None:
        if idempotency is None:
            return None
        now = self._clock()
        return IdempotencyRecord(
            operation=operation,
            key=idempotency.key,
            fingerprint=idempotency.fingerprint,
            status_code=status_code,
            body=body,
            created_at=now.isoformat(),
            expires_at=int((now + timedelta(hours=self.settings.idempotency_ttl_hours)).timestamp()),
        )

    def _store_rejection(
        self, operation: str, idempotency: Idempotency, error: DomainError, key: tuple[str, str] | None
    ) -> Outcome | None:
        """Keep a deterministic rejection under its key; if the key got a record meanwhile, that wins."""
        body = {"message": error.message, "field": list(error.field) if error.field is not None else None}
        record = self._record(operation, idempotency, 0, body)
        assert record is not None
        record.error_code = error.error_code
        try:
            self.repository.commit(UnitOfWork(idempotency=record))
        except IdempotencyRecordExists:
            return self._replay_concurrent(key, idempotency)  # the winner's outcome (or its rejection)
        return None

    def _replay_concurrent(self, key: tuple[str, str] | None, idempotency: Idempotency | None) -> Outcome:
        # Same key committed by a concurrent request: answer as a replay.
        stored = self.repository.read(idempotency=key).idempotency
        if stored is None or idempotency is None:  # pragma: no cover - expired in between
            raise IdempotencyKeyInUse("a request with this Idempotency-Key is in progress") from None
        return self._replay(stored, idempotency)

    @staticmethod
    def _replay(stored: IdempotencyRecord, idempotency: Idempotency) -> Outcome:
        if stored.fingerprint != idempotency.fingerprint:
            raise IdempotencyKeyMismatch(
                "this Idempotency-Key was used with a different request; use a new key for a new request"
            )
        if stored.error_code is not None:
            raise replayed_error(stored)
        return Outcome(stored.status_code, stored.body, replayed=True)

    def _id_scope(self, operation: str, idempotency: Idempotency) -> str:
        """Ids derive from the key, so a retry of a write targets the same items.

        A key may be used again once its record has expired, at least a TTL after its first
        use; the scope therefore also names the TTL-long window the request falls in, and a
        reuse after expiry always lands in a later window, with new ids (not the old documents').
        """
        window = int(self._clock().timestamp()) // (self.settings.idempotency_ttl_hours * 3600)
        return f"{operation}\x00{idempotency.key}\x00{window}"

    @staticmethod
    def _backoff_pause(try_number: int) -> float:
        # Full jitter (AWS architecture blog): spreads racing writers apart.
        cap = min(0.5, 0.01 * (2**try_number))
        return random.uniform(0, cap)  # noqa: S311 - jitter, not security


def _error_classes() -> dict[str, type[DomainError]]:
    found: dict[str, type[DomainError]] = {}
    pending: list[type[DomainError]] = [DomainError]
    while pending:
        cls = pending.pop()
        found.setdefault(cls.error_code, cls)
        pending += cls.__subclasses__()
    return found


def replayed_error(stored: IdempotencyRecord) -> DomainError:
    """The stored rejection, raised again; marked ``replayed`` for the edge."""
    cls = _error_classes().get(stored.error_code or "", errors.InternalError)
    field = stored.body.get("field")
    error = cls(str(stored.body.get("message", "")), field=tuple(field) if field else None)
    error.replayed = True
    return error
