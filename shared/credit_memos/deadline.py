"""The time a request has left before Lambda stops it, which every DynamoDB attempt must fit in.

The edge (``api.lambda_handlers``) opens ``request_deadline(context)`` around each invocation, HTTP
or direct, from the Lambda context's ``get_remaining_time_in_millis``: the function's Timeout in
template.yaml is the one fact, read at run time. Inside, the DynamoDB client checks before every
attempt (``adapters.dynamodb.client``) and the runner before every retry of a lost race that the
attempt still ends, with time to answer, before the function does; when it would not, the request
is answered 503 SERVICE_UNAVAILABLE (retryable) instead of being cut off mid-call
(docs/design.md "Deadlines").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from credit_memos.errors import ServiceUnavailable

# Seconds kept after the last DynamoDB attempt to build the answer, log it and flush metrics.
ANSWER_SECONDS = 1.0
OUT_OF_TIME = "the request ran out of time; retry the request"


class Deadline:
    """A request's remaining time, as the Lambda context reports it (milliseconds)."""

    def __init__(self, remaining_ms: Callable[[], int]) -> None:
        self._remaining_ms = remaining_ms

    def remaining(self) -> float:
        """Seconds until the function is stopped."""
        return self._remaining_ms() / 1000

    def allows(self, seconds: float) -> bool:
        """Whether something taking at most ``seconds`` ends in time to answer."""
        return self.remaining() >= seconds + ANSWER_SECONDS

    def require(self, seconds: float) -> None:
        """Raise 503 (retryable) unless something taking at most ``seconds`` ends in time to answer."""
        if not self.allows(seconds):
            raise ServiceUnavailable(OUT_OF_TIME)


def ran_out(error: ServiceUnavailable) -> bool:
    """Whether ``error`` is the deadline's refusal (no attempt was made), not DynamoDB's."""
    return error.message == OUT_OF_TIME


_current: ContextVar[Deadline | None] = ContextVar("credit_memos_deadline", default=None)


def current() -> Deadline | None:
    """The deadline of the request being handled (None outside a Lambda invocation: no limit)."""
    return _current.get()


@contextmanager
def request_deadline(context: Any) -> Iterator[Deadline | None]:
    """The invocation's deadline, from its Lambda context, for the code inside the block (none if
    the context cannot tell the remaining time, as in a local server without one)."""
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    deadline = Deadline(remaining_ms) if callable(remaining_ms) else None
    token = _current.set(deadline)
    try:
        yield deadline
    finally:
        _current.reset(token)
