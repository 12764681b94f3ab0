"""Credit memo service: domain package shared by every Lambda function.

Cold start and the garbage collector: a handler module's import (boto3, botocore's service
model, pydantic, Powertools, this package) allocates a few hundred thousand objects that live as
long as the process. With the default threshold (2000 new objects) the collector runs a young
collection every 2000 of them and, every so often, a full one that walks everything imported so
far: about a tenth of the import's CPU time, spent proving that nothing is garbage. This package is
the first thing every handler imports, so here, and only here, the young-generation threshold is
raised for the rest of the init; :func:`end_of_init` (the last step of
``api.lambda_handlers.make_lambda_handler`` / ``make_direct_handler``, which every handler module calls at
import) moves what init built to the permanent generation (``gc.freeze``) and restores the
thresholds, so requests are served with the collector as it was. The collector is never disabled:
a process that imports this package without building a handler (a test, a tool) still collects,
only less often. Measured in docs/benchmarks.md (section 3).

The container's DynamoDB client is created on the first request, not at init (its import of
botocore and the client's models are another ~100 000 long-lived objects): :func:`kept_for_the_process`
treats that block the same way.
"""

import gc as _gc
from collections.abc import Callable as _Callable

_THRESHOLDS = _gc.get_threshold()
INIT_THRESHOLD = 100_000  # new objects between young collections while init runs
_gc.set_threshold(max(_THRESHOLDS[0], INIT_THRESHOLD), *_THRESHOLDS[1:])


def end_of_init() -> None:
    """Freeze what init built (a later full collection does not walk it) and restore the thresholds.

    Without the freeze, one warm request in a few hundred paid a ~40 ms full collection over the
    import-time objects (docs/benchmarks.md); nothing else changes, as those objects live as long as
    the process anyway. Idempotent: every handler a module builds calls it.
    """
    _gc.freeze()
    _gc.set_threshold(*_THRESHOLDS)


def kept_for_the_process[T](build: _Callable[[], T]) -> T:
    """``build()`` with the collector as during init: what it allocates lives as long as the
    process (a client: botocore's import, its models), so young collections over it are wasted
    work; it is frozen afterwards. Call it once per process (a cached getter), not per request:
    the freeze also keeps what the request in flight holds out of later collections.
    """
    thresholds = _gc.get_threshold()
    _gc.set_threshold(max(thresholds[0], INIT_THRESHOLD), *thresholds[1:])
    try:
        return build()
    finally:
        _gc.freeze()
        _gc.set_threshold(*thresholds)
