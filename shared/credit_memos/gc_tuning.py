"""The garbage collector during a cold start: fewer collections while init builds what lives as long
as the process, then that frozen out of later collections.

A handler's init (boto3, botocore's models, pydantic, Powertools, this package) allocates a few
hundred thousand objects that are never garbage. With the default young threshold (2000 new objects)
the collector runs young collections every 2000 of them and, every so often, a full one that walks
everything built so far. :func:`start_of_init` (run by ``credit_memos/__init__.py``, the first
import of every handler) raises the young threshold; :func:`end_of_init` (the last step of building a
handler) moves what init built to the permanent generation (``gc.freeze``) and restores the
thresholds, so requests are served with the collector as it was. The collector is never disabled.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

_DEFAULT_THRESHOLDS = gc.get_threshold()
INIT_THRESHOLD = 100_000  # new objects between young collections while init runs


def start_of_init() -> None:
    """Raise the young-generation threshold until :func:`end_of_init`."""
    gc.set_threshold(max(_DEFAULT_THRESHOLDS[0], INIT_THRESHOLD), *_DEFAULT_THRESHOLDS[1:])


def end_of_init() -> None:
    """Freeze what init built (later full collections do not walk it) and restore the thresholds.

    Idempotent: every handler a module builds calls it.
    """
    gc.freeze()
    gc.set_threshold(*_DEFAULT_THRESHOLDS)


def build_long_lived[T](build: Callable[[], T]) -> T:
    """``build()`` with the collector as during init, then frozen: for what lives as long as the
    process (a client: botocore's import and its models). Call it once per process (a cached
    getter), not per request: the freeze also keeps what the request in flight holds out of later
    collections.
    """
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], INIT_THRESHOLD), *thresholds[1:])
    try:
        return build()
    finally:
        gc.freeze()
        gc.set_threshold(*thresholds)
