"""One request type per operation: what the edge builds, once, and the use case takes.

A command is a frozen dataclass of plain values (ids, Decimals, the ``domain.inputs``
value types). ``operation`` names it in idempotency records and ids; ``metric`` is the
business metric a first (not replayed) success emits. Queries have neither a key nor
a metric.

The commands are grouped by the module of ``credit_memos.usecases`` that carries them out:
``credit_memos.commands.memos`` holds the commands of ``credit_memos.usecases.memos``, and that
name is each type's ``use_cases``. The service imports the use case module on the first command
of a type, and a function imports only its own group of commands (24 frozen dataclasses cost
~9 ms of a cold start together; a function needs one group).
"""

from credit_memos.commands.base import Command, command_types

__all__ = ["Command", "command_types"]
