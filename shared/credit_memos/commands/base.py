"""The base of every command, and the list of them all (derived from the package, not kept)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from credit_memos.access import Caller, Role


@dataclass(frozen=True)
class Command:
    """What every command has: its operation's name, use case module, whether it mutates, and the actor."""

    operation: ClassVar[str]
    # The module of credit_memos.usecases that registers this type's use case (checked there):
    # the name of the module of credit_memos.commands that defines the type, set here.
    use_cases: ClassVar[str]
    # Whether the request changes state (and may carry an idempotency key).
    mutates: ClassVar[bool] = True
    metric: ClassVar[str | None] = None
    # A request of items each carried out on its own, in its own transaction (usecases.each): its
    # use case takes an ``Each`` instead of a unit of work.
    each_on_its_own: ClassVar[bool] = False
    # The least role that may ask for it (spec section 9): Reader for a query, Operator for a
    # mutation unless the type names another.
    role: ClassVar[Role]
    # Who asks (spec sections 7 and 9): set by the edge from the caller's identity (API Gateway's
    # request context, a direct payload's ``actor``, the function), never from a request body, and
    # what the access policy makes of them. Neither is part of the idempotency fingerprint.
    actor: str | None = field(default=None, kw_only=True)
    caller: Caller | None = field(default=None, kw_only=True, compare=False, repr=False)

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        package, _, module = cls.__module__.rpartition(".")
        if package == __package__:
            cls.use_cases = module
        if "role" not in cls.__dict__:
            cls.role = "Operator" if cls.mutates else "Reader"


def command_types() -> list[type[Command]]:
    """Every request type: each module of this package imported, then the subclasses of ``Command``."""
    import pkgutil  # only here (the SnapStart warm-up, tests): not on a cold start's path

    for module in pkgutil.iter_modules(importlib.import_module(__package__).__path__):
        importlib.import_module(f"{__package__}.{module.name}")
    found: list[type[Command]] = []
    pending = list(Command.__subclasses__())
    while pending:
        command_type = pending.pop(0)
        found.append(command_type)
        pending.extend(command_type.__subclasses__())
    return found
