"""The service: one entry point, ``execute``, and the registry of use cases behind it.

Each use case is a function registered for its command type with ``@use_case``, in the
module of its aggregate (invoices, memos, applications, conversion, settlement). Adding
an operation is a command in ``credit_memos.commands`` and a function here; nothing
else dispatches.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from credit_memos.commands import Request
from credit_memos.ports import Repository
from credit_memos.settings import Settings
from credit_memos.usecases.engine import Engine, Outcome

UseCase = Callable[[Engine, Any, "str | None"], Outcome]

_USE_CASES: dict[type[Request], UseCase] = {}


def use_case[C: Request](
    command_type: type[C],
) -> Callable[[Callable[[Engine, C, str | None], Outcome]], UseCase]:
    """Register the function that carries out ``command_type``."""

    def register(function: Callable[[Engine, C, str | None], Outcome]) -> UseCase:
        if command_type in _USE_CASES:
            raise RuntimeError(f"{command_type.__name__} has two use cases")
        _USE_CASES[command_type] = function
        return function

    return register


def registered() -> dict[type[Request], UseCase]:
    """Every command type with its use case (a copy)."""
    return dict(_USE_CASES)


def utc_now() -> datetime:
    return datetime.now(UTC)


class CreditMemoService:
    def __init__(
        self,
        repository: Repository,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.engine = Engine(repository, settings, clock=clock, sleep=sleep)

    @property
    def repository(self) -> Repository:
        return self.engine.repository

    def execute(self, command: Request, idempotency_key: str | None = None) -> Outcome:
        """Carry out ``command``; a mutation under ``idempotency_key`` takes effect once."""
        try:
            function = _USE_CASES[type(command)]
        except KeyError:
            raise TypeError(f"no use case handles {type(command).__name__}") from None
        return function(self.engine, command, idempotency_key if command.mutates else None)
