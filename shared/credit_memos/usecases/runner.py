"""Runs a mutation's use case exactly once per idempotency key, retrying the races it loses.

Each try gets a fresh ``UnitOfWork``; the use case reads, decides and stages, and the runner
commits the staged changes together with the idempotency record, conditional on the versions
read. A lost race (another writer changed what was read) means a new try, a bounded number of
times within a time budget. A key that already has a record replays its outcome instead.

A rejection that the same request would meet again (a domain error that is not ``retryable``)
is stored under the key like a success, so a retry replays it even if the balances changed
since (spec section 6); a transient one is not stored.

A dry run (spec section 10) is the same try up to the commit, which it skips: it answers 200
with what the call would answer now (``UnitOfWork.preview``), or its error, and stores nothing,
not even a rejection; a key that has a record is replayed, as the call would be.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from credit_memos import errors
from credit_memos.commands import Command
from credit_memos.errors import ConcurrentUpdate, DomainError, IdempotencyKeyInUse, IdempotencyKeyMismatch
from credit_memos.ids import IdFactory
from credit_memos.ports import (
    Changes,
    ConflictingWrite,
    IdempotencyRecord,
    IdempotencyRecordExists,
    Repository,
)
from credit_memos.settings import Settings
from credit_memos.usecases.fingerprint import fingerprint
from credit_memos.usecases.unit_of_work import AlreadyDone, Result, UnitOfWork
from credit_memos.views import View, json_text

Mutation = Callable[[UnitOfWork, Any], Result]


@dataclass
class Outcome:
    """A request's answer: status code and JSON body (and whether it was replayed)."""

    status_code: int
    body: Any
    replayed: bool = False
    text: str | None = None  # ``body`` as ``json_text`` made it, if it was already needed
    dry_run: bool = False  # nothing was written: the answer is what the call would answer now


def body_of(result: Result) -> Any:
    return result.body.body() if isinstance(result.body, View) else result.body


class Runner:
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

    def run(
        self, use_case: Mutation, command: Command, idempotency_key: str | None, *, dry_run: bool = False
    ) -> Outcome:
        key = _Key(command, idempotency_key) if idempotency_key is not None else None
        retries = self.settings.max_conflict_retries
        # Retries stop once the request has spent its budget, so that a lost race is answered
        # (409 CONCURRENT_UPDATE, retryable) well before the function's timeout cuts it off.
        give_up_at = self._monotonic() + self.settings.retry_budget_seconds
        try_number = 0
        while True:
            uow = self._unit_of_work(key)
            try:
                result = use_case(uow, command)
                body = body_of(result)
                if dry_run:
                    return Outcome(200, uow.preview(body), dry_run=True)
                # Keyed: the body's JSON text once, for the stored record and the HTTP response.
                text = json_text(body) if key is not None else None
                uow.commit(self._record(key, result.status_code, body, text), command.actor)
                return Outcome(result.status_code, body, text=text)
            except AlreadyDone as done:
                replay = _replay(done.record, key)
                replay.dry_run = dry_run
                return replay
            except IdempotencyRecordExists:
                return self._replay_winner(key)
            except DomainError as error:
                if key is None or error.retryable:
                    raise
                if dry_run:
                    return self._dry_rejection(key, error)
                return self._store_rejection(key, error)
            except ConflictingWrite:
                if uow.changes.series is not None:
                    # A posting races every other posting for the one series; each loss is
                    # another posting's win, so it waits its turn longer (docs/design.md).
                    retries = max(retries, self.settings.max_numbering_retries)
                if try_number >= retries:
                    break
                pause = _backoff_pause(try_number)
                if self._monotonic() + pause >= give_up_at:
                    break
                self._sleep(pause)
                try_number += 1
        raise ConcurrentUpdate("the documents are being changed by other requests; retry later")

    def replay(self, command: Command, idempotency_key: str) -> Outcome | None:
        """The outcome stored under the key, replayed, if there is one (a request of items
        each on its own, ``usecases.each``, stores it last, apart from its items' writes)."""
        key = _Key(command, idempotency_key)
        stored = self.repository.read(idempotency=(key.operation, key.key), consistent=True).idempotency
        return _replay(stored, key) if stored is not None else None

    def store(self, command: Command, idempotency_key: str, status_code: int, body: Any) -> Outcome:
        """Store an outcome under the key on its own; if the key got a record meanwhile, that wins."""
        key = _Key(command, idempotency_key)
        text = json_text(body)
        try:
            self.repository.commit(Changes(idempotency=self._record(key, status_code, body, text)))
        except IdempotencyRecordExists:
            return self._replay_winner(key)
        return Outcome(status_code, body, text=text)

    def _unit_of_work(self, key: _Key | None) -> UnitOfWork:
        now = self._clock()
        # Ids derive from the key, so a retry of a write targets the same items. A key may be used
        # again once its record expired (a TTL after its first use): the scope also names the
        # TTL-long window of the request, so a reuse after expiry gets new ids.
        window = int(now.timestamp()) // (self.settings.idempotency_ttl_hours * 3600)
        scope = f"{key.operation}\x00{key.key}\x00{window}" if key is not None else None
        return UnitOfWork(
            self.repository,
            settings=self.settings,
            now=now,
            ids=IdFactory(scope),
            idempotency=(key.operation, key.key) if key is not None else None,
        )

    def _record(
        self, key: _Key | None, status_code: int, body: Any, text: str | None
    ) -> IdempotencyRecord | None:
        if key is None:
            return None
        now = self._clock()
        return IdempotencyRecord(
            operation=key.operation,
            key=key.key,
            fingerprint=key.fingerprint,
            status_code=status_code,
            body=body,
            created_at=now.isoformat(),
            expires_at=int((now + timedelta(hours=self.settings.idempotency_ttl_hours)).timestamp()),
            body_json=text,
        )

    def _store_rejection(self, key: _Key, error: DomainError) -> Outcome:
        """Keep a deterministic rejection under its key; if the key got a record meanwhile, that wins."""
        body = {"message": error.message, "field": list(error.field) if error.field is not None else None}
        record = self._record(key, 0, body, None)
        assert record is not None
        record.error_code = error.error_code
        try:
            self.repository.commit(Changes(idempotency=record))
        except IdempotencyRecordExists:
            return self._replay_winner(key)
        raise error

    def _dry_rejection(self, key: _Key, error: DomainError) -> Outcome:
        """A dry run's rejection, stored nowhere; a record the key has already answers instead,
        as it would win the real call's store (a use case that reads nothing never checked it)."""
        stored = self.repository.read(idempotency=(key.operation, key.key)).idempotency
        if stored is None:
            raise error
        replay = _replay(stored, key)
        replay.dry_run = True
        return replay

    def _replay_winner(self, key: _Key | None) -> Outcome:
        """The outcome of a concurrent request that committed the same key first."""
        stored = self.repository.read(idempotency=(key.operation, key.key)).idempotency if key else None
        if stored is None:  # pragma: no cover - expired in between
            raise IdempotencyKeyInUse("a request with this Idempotency-Key is in progress") from None
        return _replay(stored, key)


@dataclass(frozen=True)
class _Key:
    """An idempotency key as stored: the operation, the caller's principal and the key the caller
    sent (keys belong to their principal: another principal's same key is another request), and
    the fingerprint of the command."""

    operation: str
    key: str
    fingerprint: str

    def __init__(self, command: Command, key: str) -> None:
        principal = command.caller.principal if command.caller is not None else None
        object.__setattr__(self, "operation", command.operation)
        object.__setattr__(self, "key", stored_key(principal, key))
        object.__setattr__(self, "fingerprint", fingerprint(command))


def stored_key(principal: str | None, key: str) -> str:
    """The key as its record stores it: the principal's, if the caller has one. Keys are visible
    ASCII without spaces, so the last space ends the principal."""
    return key if principal is None else f"{principal} {key}"


def _replay(stored: IdempotencyRecord, key: _Key | None) -> Outcome:
    if key is None or stored.fingerprint != key.fingerprint:
        raise IdempotencyKeyMismatch(
            "this Idempotency-Key was used with a different request; use a new key for a new request"
        )
    if stored.error_code is not None:
        raise replayed_error(stored)
    return Outcome(stored.status_code, stored.body, replayed=True)


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
