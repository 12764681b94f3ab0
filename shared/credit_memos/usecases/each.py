"""Requests of items each carried out on its own, in its own transaction, and exactly once as a
whole under the request's Idempotency-Key (spec section 10's write-off).

Each item is a mutation of its own, run by the runner under a key derived from the request's
key and the item's position, so its transaction stores the item's idempotency record with its
writes. The whole answer is stored under the request's key last. A retry after a crash halfway
replays the items already done from their records and carries out the rest, then stores the
answer; a retry after that replays the answer whole. An item's refusal is its result, not the
request's; a transient one (a lost race) leaves the answer unstored, so that a retry tries that
item again. A dry run runs every item as a dry run and stores nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from credit_memos.commands import Command
from credit_memos.errors import DomainError, IdempotencyKeyMismatch, ValidationError
from credit_memos.usecases.runner import Mutation, Outcome, Runner
from credit_memos.usecases.unit_of_work import Result

ItemResult = Outcome | DomainError


def item_key(key: str, index: int) -> str:
    """The key of a request's item: the request's key and the item's position."""
    return f"{key}#{index}"


class Each:
    """What a use case of items each on its own gets: runs its items, answers their outcomes."""

    def __init__(self, runner: Runner, key: str | None, dry_run: bool) -> None:
        self._runner, self._key, self.dry_run = runner, key, dry_run
        # An item refused for a transient cause (a lost race): the answer is not final.
        self.transient = False

    def run(self, use_case: Mutation, items: Sequence[Command]) -> list[ItemResult]:
        """Each item's outcome (done, replayed or, in a dry run, previewed), or its refusal."""
        results: list[ItemResult] = []
        for index, item in enumerate(items):
            key = item_key(self._key, index) if self._key is not None else None
            try:
                results.append(self._runner.run(use_case, item, key, dry_run=self.dry_run))
            except IdempotencyKeyMismatch:
                raise  # the key was used for another request: the whole request's answer
            except DomainError as error:
                self.transient = self.transient or error.retryable
                results.append(error)
        return results


def run_each(
    runner: Runner,
    use_case: Callable[[Each, Any], Result],
    command: Command,
    key: str | None,
    *,
    dry_run: bool,
) -> Outcome:
    """Carry out ``command``'s items with ``use_case``, exactly once as a whole under ``key``."""
    if key is not None:
        stored = runner.replay(command, key)
        if stored is not None:
            stored.dry_run = dry_run
            return stored
    each = Each(runner, key, dry_run)
    result = use_case(each, command)
    if dry_run:
        return Outcome(result.status_code, result.body, dry_run=True)
    if key is None or each.transient:
        return Outcome(result.status_code, result.body)
    try:
        return runner.store(command, key, result.status_code, result.body)
    except ValidationError:
        # An answer too large for one item (many large invoices): each item's own record still
        # replays it, so a retry does nothing twice; it is only not replayed as one.
        return Outcome(result.status_code, result.body)
