"""What every section shares: the DynamoDB engine, the environment, the real handlers, fixtures.

Requests go through each function's real ``lambda_handler`` as API Gateway REST (v1) proxy events
built by ``infra.local.api_gateway`` (the same events the local server sends), so every figure
includes Powertools' resolver, pydantic validation, the service and the DynamoDB adapter.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import urlencode

from infra.local.api_gateway import RouteMatch, Router, build_event
from infra.local.dynamodb_local import DynamoDBLocal, LocalDynamoDB, dynamodb_client
from infra.local.lambda_runtime import (
    FakeLambdaContext,
    apply_process_defaults,
    function_environment,
    load_handler,
)
from infra.local.template import LOCAL_REGION, FunctionDefinition, Template

Handler = Callable[[Any, Any], Any]
TABLE_LOGICAL_ID = "CreditMemoTable"


@dataclass
class Result:
    status: int
    body: Any
    headers: dict[str, str]


@dataclass
class Prepared:
    """One API Gateway event, built ahead of time so that timing loops only run the handler."""

    function: FunctionDefinition
    handler: Handler
    context: Any
    event: dict[str, Any]


class HandlerApi:
    """Builds API Gateway events for ``template.yaml``'s routes and sends them to the real handlers."""

    def __init__(self, template: Template, endpoint_url: str) -> None:
        self.template = template
        self.endpoint_url = endpoint_url
        self.router = Router(template.routes())
        self._handlers: dict[str, tuple[FunctionDefinition, Handler, Any]] = {}

    def handler(self, logical_id: str) -> tuple[FunctionDefinition, Handler, Any]:
        if logical_id not in self._handlers:
            function = self.template.find_function(logical_id)
            handler = load_handler(
                function,
                module_name=f"_bench_lambda_{function.folder_name}",
                import_env=function_environment(function, endpoint_url=self.endpoint_url),
            )
            self._handlers[logical_id] = (function, handler, FakeLambdaContext(function))
        return self._handlers[logical_id]

    def prepare(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        key: str | None = None,
        query: dict[str, Any] | None = None,
    ) -> Prepared:
        match = self.router.match(method, path)
        if not isinstance(match, RouteMatch):
            raise LookupError(f"no route for {method} {path}")
        function, handler, context = self.handler(match.route.function)
        headers = [("Content-Type", "application/json"), ("Host", "127.0.0.1:3000")]
        if key is not None:
            headers.append(("Idempotency-Key", key))
        text = b"" if body is None else json.dumps(body).encode()
        event = build_event(
            route=match.route,
            path_parameters=match.path_parameters,
            method=method,
            raw_path=path,
            query=urlencode({k: v for k, v in (query or {}).items() if v is not None}),
            headers=headers,
            body=text,
            source_ip="127.0.0.1",
        )
        return Prepared(function, handler, context, event)

    @staticmethod
    def send(prepared: Prepared) -> Result:
        raw = prepared.handler(prepared.event, prepared.context)
        headers = {k: v[-1] for k, v in (raw.get("multiValueHeaders") or {}).items()}
        headers.update(raw.get("headers") or {})
        body = json.loads(raw["body"]) if raw.get("body") else None
        return Result(int(raw["statusCode"]), body, headers)

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Result:
        return self.send(self.prepare(method, path, body, **kwargs))

    def ok(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        """Call and insist on a 2xx answer (fixtures): the body."""
        result = self.call(method, path, body, **kwargs)
        if not 200 <= result.status < 300:
            raise RuntimeError(f"{method} {path} answered {result.status}: {result.body}")
        return result.body


def new_key() -> str:
    return str(uuid.uuid4())


def new_account(prefix: str = "bench") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# ---------------------------------------------------------------- document fixtures


def invoice_body(
    account: str,
    amounts: list[str],
    *,
    level: str = "Invoice",
    status: str = "Posted",
    currency: str = "USD",
) -> dict[str, Any]:
    return {
        "billingAccountId": account,
        "currency": currency,
        "status": status,
        "settlementLevel": level,
        "invoiceDate": "2026-11-01",
        "dueDate": "2026-12-01",
        "lines": [
            {
                "chargeAmount": amount,
                "taxAmount": "0.00",
                "productId": f"prod-{index:03d}",
                "productName": f"Product {index}",
                "description": f"Line {index} of the benchmark invoice",
            }
            for index, amount in enumerate(amounts)
        ],
    }


def memo_body(
    account: str, amounts: list[str], *, status: str = "Posted", currency: str = "USD"
) -> dict[str, Any]:
    return {
        "billingAccountId": account,
        "currency": currency,
        "type": status,
        "description": "Benchmark credit",
        "externalReference": "BENCH-1",
        "charges": [
            {
                "chargeAmount": amount,
                "productId": f"prod-{index:03d}",
                "productName": f"Product {index}",
                "description": f"Charge {index} of the benchmark memo",
            }
            for index, amount in enumerate(amounts)
        ],
    }


class Fixtures:
    """Documents made through the real handlers (their cost is never part of a figure)."""

    def __init__(self, api: HandlerApi) -> None:
        self.api = api

    def invoice(self, account: str, amounts: list[str], **kwargs: Any) -> dict[str, Any]:
        return self.api.ok("POST", "/invoices", invoice_body(account, amounts, **kwargs))

    def memo(self, account: str, amounts: list[str], **kwargs: Any) -> dict[str, Any]:
        return self.api.ok("POST", "/credit-memos", memo_body(account, amounts, **kwargs))

    def apply(self, memo_id: str, invoice_id: str, amount: str | None) -> dict[str, Any]:
        target: dict[str, Any] = {"invoiceId": invoice_id}
        if amount is not None:
            target["amount"] = amount
        return self.api.ok("POST", f"/credit-memos/{memo_id}/actions/apply", {"applications": [target]})

    def payment(self, invoice_id: str, amount: str, reference: str) -> dict[str, Any]:
        body = {"amount": amount, "paymentReference": reference}
        return self.api.ok("POST", f"/invoices/{invoice_id}/actions/record-payment", body)

    def refund(self, memo_id: str, amount: str, reference: str) -> dict[str, Any]:
        body = {"amount": amount, "refundReference": reference}
        return self.api.ok("POST", f"/credit-memos/{memo_id}/actions/refund", body)


# ---------------------------------------------------------------- the run


@dataclass
class Bench:
    quick: bool
    engine: LocalDynamoDB
    template: Template
    table_name: str
    api: HandlerApi
    fixtures: Fixtures
    out: IO[str]
    smoke: bool = False
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def endpoint_url(self) -> str:
        return self.engine.endpoint_url

    def raw_client(self) -> Any:
        """A plain low-level client (setup, inspection), not the service's."""
        return dynamodb_client(self.endpoint_url, timeout_s=30.0, retries=3)

    def service_client(self) -> Any:
        """The client the handlers' service uses (the bench observes it with hooks)."""
        from credit_memos.api.runtime import get_dynamodb_client

        return get_dynamodb_client()

    def log(self, message: str) -> None:
        print(message, file=self.out, flush=True)


def configure_process(template: Template, endpoint_url: str) -> None:
    """The environment every function sees (template Globals + local runtime values), process-wide.

    ``credit_memos.settings`` reads it once, at the first request, so it must be in ``os.environ``.
    """
    apply_process_defaults(LOCAL_REGION)
    functions = list(template.functions().values())
    os.environ.update(function_environment(functions[0], endpoint_url=endpoint_url))
    # Powertools Metrics writes one EMF line per invocation to stdout (as in Lambda); the bench
    # sends stdout to /dev/null while it runs and prints its report to the original stream.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    from credit_memos.api import runtime

    runtime.reset()


@contextmanager
def running_engine(out: IO[str]) -> Iterator[LocalDynamoDB]:
    """DynamoDB Local in memory on a free port (never moto: the figures are about the real engine)."""
    started = time.perf_counter()
    engine = DynamoDBLocal(in_memory=True).start()
    print(f"{engine.describe()} (started in {time.perf_counter() - started:.1f} s)", file=out, flush=True)
    try:
        yield engine
    finally:
        engine.stop()


@contextmanager
def quiet_stdout() -> Iterator[IO[str]]:
    """Handlers' stdout (EMF metrics) goes to /dev/null; yields the real stdout for the report."""
    real = sys.stdout
    with open(os.devnull, "w") as devnull:
        sys.stdout = devnull
        try:
            yield real
        finally:
            sys.stdout = real
