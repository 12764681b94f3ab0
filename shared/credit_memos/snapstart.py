"""Lambda SnapStart runtime hooks, registered with Lambda's ``snapshot_restore_py`` where it exists.

With SnapStart, Lambda runs a function's init once, snapshots the memory of the initialised
interpreter and resumes every new execution environment from that snapshot. So:

- what is slow and the same for every environment (settings read, clients created) belongs before
  the snapshot: :func:`before_snapshot` hooks run once, at the end of init;
- whatever must differ between environments must not come from the snapshot: :func:`after_restore`
  hooks run in each restored environment before its first request. The ``random`` module's global
  generator (retry jitter in the service and the event publisher, Powertools' log sampling) holds a
  state seeded at import: every environment restored from one snapshot would draw the same numbers,
  so it is re-seeded from the OS here. Ids (:mod:`credit_memos.ids`) read ``os.urandom`` and the
  clock on every call and keep no state, so they need no hook.

``snapshot_restore_py`` ships with Lambda's Python runtimes only. Elsewhere the hooks are kept
here, and :func:`simulate_snapshot` / :func:`simulate_restore` run them (tests, local tools).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

Hook = Callable[[], Any]

try:  # Lambda's Python runtimes (python3.12 and later) ship this module; nothing else does.
    from snapshot_restore_py import (  # type: ignore[import-not-found, unused-ignore]
        register_after_restore as _lambda_after_restore,
    )
    from snapshot_restore_py import (  # type: ignore[import-not-found, unused-ignore]
        register_before_snapshot as _lambda_before_snapshot,
    )
except ImportError:
    _lambda_before_snapshot = None
    _lambda_after_restore = None

_before: list[Hook] = []
_after: list[Hook] = []


def in_lambda_runtime() -> bool:
    """True where Lambda's own hook registry is present (hooks then run in Lambda's hands)."""
    return _lambda_before_snapshot is not None


def before_snapshot(hook: Hook) -> Hook:
    """Register ``hook`` to run once before the snapshot (hooks run in reverse order of registration)."""
    return _register(hook, _before, _lambda_before_snapshot)


def after_restore(hook: Hook) -> Hook:
    """Register ``hook`` to run in every restored environment (in order of registration)."""
    return _register(hook, _after, _lambda_after_restore)


def _register(hook: Hook, hooks: list[Hook], lambda_register: Callable[[Hook], Any] | None) -> Hook:
    if hook not in hooks:
        hooks.append(hook)
        if lambda_register is not None:
            lambda_register(hook)
    return hook


def simulate_snapshot() -> None:
    """Run the before-snapshot hooks as Lambda does (reverse order of registration)."""
    for hook in reversed(_before):
        hook()


def simulate_restore() -> None:
    """Run the after-restore hooks as Lambda does (order of registration)."""
    for hook in _after:
        hook()


@after_restore
def reseed_random() -> None:
    """Give this environment its own ``random`` state (seeded from ``os.urandom``)."""
    random.seed()
