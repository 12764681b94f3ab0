"""The service: one entry point, ``execute``, and the registry of use cases behind it.

Each use case is a function registered for its command type with ``@use_case``, in the
module of its aggregate (invoices, memos, applications, conversion, settlement), which the
command type names (``Command.use_cases``). That module is imported on the first command of
its type (:func:`use_case_of`), so a function loads only the use cases and domain modules its
operation needs; ``load`` imports them ahead (the SnapStart warm-up).

A mutation's use case takes a ``UnitOfWork`` and the command; a query's takes the repository
and the command. Both return a ``Result``. Adding an operation is a command in
``credit_memos.commands`` and a function here; nothing else dispatches.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from credit_memos.access import authorize
from credit_memos.commands import Command
from credit_memos.ports import Repository
from credit_memos.settings import Settings
from credit_memos.usecases.runner import Outcome, Runner, body_of
from credit_memos.usecases.scope import ScopedRepository
from credit_memos.usecases.unit_of_work import Result

# (UnitOfWork, command) for a mutation, (Repository, command) for a query.
UseCase = Callable[[Any, Any], Result]

_USE_CASES: dict[type[Command], UseCase] = {}


def use_case[C: Command, F: UseCase](command_type: type[C]) -> Callable[[F], F]:
    """Register the function that carries out ``command_type``."""

    def register(function: F) -> F:
        if function.__module__ != _module_of(command_type):
            raise RuntimeError(
                f"{command_type.__name__} names {_module_of(command_type)} (use_cases), "
                f"not {function.__module__}"
            )
        if command_type in _USE_CASES:
            raise RuntimeError(f"{command_type.__name__} has two use cases")
        _USE_CASES[command_type] = function
        return function

    return register


def _module_of(command_type: type[Command]) -> str:
    return f"{__package__}.{command_type.use_cases}"


def use_case_of(command_type: type[Command]) -> UseCase:
    """The use case of ``command_type``, its module imported on first use."""
    function = _USE_CASES.get(command_type)
    if function is None:
        try:
            importlib.import_module(_module_of(command_type))
        except (AttributeError, ModuleNotFoundError):  # no use_cases, or no such module
            raise TypeError(f"no use case handles {command_type.__name__}") from None
        function = _USE_CASES.get(command_type)
        if function is None:
            raise TypeError(f"no use case handles {command_type.__name__}")
    return function


def load(command_types: Iterable[type[Command]]) -> None:
    """Import the use cases of ``command_types`` now (before a SnapStart snapshot)."""
    for command_type in command_types:
        use_case_of(command_type)


def registered() -> dict[type[Command], UseCase]:
    """Every command type whose use case module has been imported, with its use case (a copy)."""
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
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.repository = repository
        self.settings = settings
        self._clock, self._sleep, self._monotonic = clock, sleep, monotonic

    def execute(
        self, command: Command, idempotency_key: str | None = None, *, dry_run: bool = False
    ) -> Outcome:
        """Carry out ``command``; a mutation under ``idempotency_key`` takes effect once, and a
        ``dry_run`` of one answers what it would answer now and writes nothing (``Runner.run``).

        A command that names its caller is checked against the access policy first (spec section
        9): the caller's role and the account it names; a caller limited to some billing accounts
        sees the others' documents as not existing.
        """
        function = use_case_of(type(command))
        caller, repository = command.caller, self.repository
        if caller is not None:
            authorize(caller, command)
            if not caller.sees_every_account:
                repository = ScopedRepository(repository, caller.sees)
        if command.mutates:
            runner = Runner(
                repository, self.settings, clock=self._clock, sleep=self._sleep, monotonic=self._monotonic
            )
            if command.each_on_its_own:
                from credit_memos.usecases.each import run_each  # only its function loads it

                return run_each(runner, function, command, idempotency_key, dry_run=dry_run)
            return runner.run(function, command, idempotency_key, dry_run=dry_run)
        result = function(repository, command)
        return Outcome(result.status_code, body_of(result))
