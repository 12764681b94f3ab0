"""A test client that routes requests the way template.yaml maps them, in process.

Requests become real API Gateway proxy events (``infra.local.api_gateway``) and go
to each function's real ``lambda_handler``; direct invocations pass a plain payload.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any
from urllib.parse import urlencode

from credit_memos.api import runtime

from infra.local.api_gateway import RouteMatch, Router, build_event
from infra.local.lambda_runtime import FakeLambdaContext, load_handler
from infra.local.template import FunctionDefinition, Template

TABLE_NAME = "credit-memos-test"


@lru_cache(maxsize=1)
def template() -> Template:
    return Template.load(table_names={"CreditMemoTable": TABLE_NAME})


@cache
def handler_for(logical_id: str) -> Any:
    function: FunctionDefinition = template().find_function(logical_id)
    return load_handler(function, module_name=f"_test_lambda_{function.folder_name}")


def base_environment(endpoint_url: str | None = None, level: str = "Invoice") -> dict[str, str]:
    env = {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "TABLE_NAME": TABLE_NAME,
        "CREDIT_APPLICATION_LEVEL": level,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "CreditMemos",
        "POWERTOOLS_SERVICE_NAME": "credit-memos",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
    if endpoint_url:
        env["DYNAMODB_ENDPOINT_URL"] = endpoint_url
    return env


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(values)
    if "DYNAMODB_ENDPOINT_URL" not in values:
        os.environ.pop("DYNAMODB_ENDPOINT_URL", None)
    runtime.reset()
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        runtime.reset()


def create_table(client: Any) -> None:
    table = template().tables()["CreditMemoTable"]
    client.create_table(**table.create_kwargs)


@dataclass
class HttpResult:
    status: int
    headers: dict[str, str]
    body: Any

    def __repr__(self) -> str:
        return f"HttpResult({self.status}, {self.body!r})"


class Api:
    """``api.post("/credit-memos", {...})`` -> HttpResult with the parsed JSON body."""

    def __init__(self) -> None:
        self._router = Router(template().routes())

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        query: dict[str, Any] | None = None,
        raw_body: str | None = None,
        context: Any = None,
    ) -> HttpResult:
        """``context``: the Lambda context (default: a fresh one with the function's Timeout)."""
        match = self._router.match(method, path)
        if not isinstance(match, RouteMatch):
            return HttpResult(404 if match is None else 405, {}, None)
        text = raw_body if raw_body is not None else (None if body is None else json.dumps(body, default=str))
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        event = build_event(
            route=match.route,
            path_parameters=match.path_parameters,
            method=method,
            raw_path=path,
            query=urlencode({k: v for k, v in (query or {}).items() if v is not None}),
            headers=list(all_headers.items()),
            body=(text or "").encode(),
            source_ip="127.0.0.1",
        )
        result = handler_for(match.route.function)(
            event, context or FakeLambdaContext(template().find_function(match.route.function))
        )
        response_headers = {k: v[-1] for k, v in (result.get("multiValueHeaders") or {}).items()}
        response_headers.update(result.get("headers") or {})
        parsed: Any = None
        body = result.get("body")
        if result.get("isBase64Encoded"):
            parsed = base64.b64decode(body)  # a binary response (a PDF): its bytes
        elif body:
            is_json = "json" in response_headers.get("Content-Type", "application/json")
            parsed = json.loads(body) if is_json else body
        return HttpResult(result["statusCode"], response_headers, parsed)

    def get(self, path: str, **kwargs: Any) -> HttpResult:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> HttpResult:
        return self.request("POST", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> HttpResult:
        return self.request("PUT", path, body, **kwargs)


def invoke(logical_id: str, payload: dict[str, Any]) -> Any:
    """Direct invocation, as Step Functions would: the payload as Lambda parses it."""
    parsed = json.loads(json.dumps(payload, default=str))
    return handler_for(logical_id)(parsed, FakeLambdaContext(template().find_function(logical_id)))


def money(value: str) -> Decimal:
    return Decimal(value)
