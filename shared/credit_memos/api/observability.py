"""The Powertools logger, tracer and metrics every function shares, built once per container."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

# The libraries whose calls get X-Ray subsegments: botocore carries every call this service makes
# (DynamoDB, EventBridge). Powertools' default patches every library the X-Ray SDK supports, which
# imports those present (sqlite3 among them) on every cold start for calls never made.
TRACED_MODULES = ("botocore",)

logger = Logger()
tracer = Tracer(patch_modules=TRACED_MODULES)
metrics = Metrics()
