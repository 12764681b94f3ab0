"""The Powertools logger, tracer and metrics every function shares, and the one log line of each request."""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from aws_lambda_powertools import Logger, Metrics, Tracer

from credit_memos.access import principal_of
from credit_memos.api.errors import http_status
from credit_memos.errors import DomainError

# The libraries whose calls get X-Ray subsegments: botocore carries every call this service makes
# (DynamoDB, EventBridge). Powertools' default patches every library the X-Ray SDK supports, which
# imports those present (sqlite3 among them) on every cold start for calls never made.
TRACED_MODULES = ("botocore",)

# A read or a refused request publishes no application metric, which is expected: Powertools'
# documented filter silences its warning about it (the metrics that are added still publish).
warnings.filterwarnings("ignore", "No application metrics to publish*")

logger = Logger()
tracer = Tracer(patch_modules=TRACED_MODULES)
metrics = Metrics()


@dataclass
class RequestRecord:
    """What the request log line says; the handler wrapper opens it, the code answering fills it in."""

    operation: str  # the command's operation once one is built, else the route
    actor: str | None = None
    status: int = 200
    error_code: str | None = None
    replayed: bool = False
    dry_run: bool = False  # asked for a dry run: nothing was written, whatever the status
    started: float = field(default_factory=time.perf_counter)

    def failed(self, error: Exception) -> None:
        """The request's answer is ``error`` (anything but a domain error answers 500)."""
        self.status = http_status(error) if isinstance(error, DomainError) else 500
        self.error_code = error.error_code if isinstance(error, DomainError) else "INTERNAL_ERROR"
        self.replayed = isinstance(error, DomainError) and error.replayed

    def fields(self) -> dict[str, object]:
        return {
            "operation": self.operation,
            "status": self.status,
            "errorCode": self.error_code,
            "replayed": self.replayed,
            "dryRun": self.dry_run,
            "durationMs": round((time.perf_counter() - self.started) * 1000, 1),
            "principal": principal_of(self.actor) if self.actor is not None else None,
        }


_request: ContextVar[RequestRecord | None] = ContextVar("request", default=None)


def current_request() -> RequestRecord:
    """The record of the request being handled (a detached one outside a handler, e.g. in a test)."""
    return _request.get() or RequestRecord("")


@contextmanager
def logged_request(operation: str, actor: str | None = None) -> Iterator[RequestRecord]:
    """Write one INFO line for the request handled inside the block, once its answer is known
    (an exception leaving the block is its answer)."""
    record = RequestRecord(operation, actor)
    token = _request.set(record)
    try:
        yield record
    except Exception as error:
        record.failed(error)
        raise
    finally:
        _request.reset(token)
        logger.info("request", extra=record.fields())
