"""The Powertools logger, tracer and metrics every function shares, built once per container."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer

from credit_memos.settings import get_settings


class TracingOff:
    """What the handlers use of Powertools' Tracer, doing nothing: stands in when tracing is off.

    A disabled ``Tracer()`` still imports the X-Ray SDK (only to switch it off), and that import
    builds two botocore X-Ray clients: about half of a cold start outside Lambda (see
    docs/benchmarks.md). With tracing on, as deployed (``Tracing: Active``), the real Tracer is used.
    """

    def capture_lambda_handler(self, lambda_handler: Any = None, **_: Any) -> Any:
        return lambda_handler if lambda_handler is not None else (lambda handler: handler)


def make_tracer(enabled: bool) -> Tracer | TracingOff:
    """Powertools' Tracer when tracing is on (``Settings.tracing_enabled``), else the stand-in."""
    return Tracer() if enabled else TracingOff()


logger = Logger()
tracer = make_tracer(get_settings().tracing_enabled)
metrics = Metrics()
