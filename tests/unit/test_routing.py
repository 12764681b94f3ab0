"""The router answers every request exactly as Powertools' validating resolver did.

Each routed function's router (``credit_memos.api.routing``, what the handlers serve with) and
Powertools' ``APIGatewayRestResolver`` with OpenAPI validation built from the same route
declarations (what served before, and what generates openapi.json) get the same API Gateway
events: well-formed, malformed and hostile ones, on every route of the template. Refused requests
must come back identical (status, body, headers); accepted ones with the same status, headers and
body fields (ids and timestamps are new on every write). Storage is the in-memory repository.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from credit_memos.api import runtime
from credit_memos.settings import get_settings
from credit_memos.usecases import CreditMemoService

from infra.local.api_gateway import build_event
from infra.local.lambda_runtime import FakeLambdaContext, load_handler
from infra.local.template import Route
from tests.fakes.memory_repository import MemoryRepository
from tests.harness import base_environment, environment, template

GOOD_ID = "inv-0001"
BODIES: dict[str, bytes | None] = {
    "none": None,
    "empty object": b"{}",
    "not json": b"{",
    "json null": b"null",
    "json list": b'[{"billingAccountId": "a"}]',
    "empty list": b"[]",
    "json string": b'"text"',
    "json number": b"12",
    "unknown field": b'{"unknown": 1}',
    "wrong types": b'{"billingAccountId": 5, "currency": "XXX", "lines": "no", "applications": {}}',
    "too deep": b"[" * 80 + b"]" * 80,
    "nan": b'{"amount": NaN, "applications": [{"invoiceId": "x", "amount": NaN}]}',
    "invoice": json.dumps(
        {
            "billingAccountId": "acct-r",
            "currency": "USD",
            "lines": [{"chargeAmount": "10.00", "productName": "p"}],
        }
    ).encode(),
}
HEADER_SETS: dict[str, list[tuple[str, str]]] = {
    "json": [("Content-Type", "application/json")],
    "no content type": [],
    "json charset": [("content-type", "application/json; charset=utf-8")],
    "text": [("Content-Type", "text/plain")],
    "form": [("Content-Type", "application/x-www-form-urlencoded")],
    "multipart no boundary": [("Content-Type", "multipart/form-data")],
    "vendor json": [("Content-Type", "application/vnd.api+json")],
    "key": [("Content-Type", "application/json"), ("Idempotency-Key", "k-1")],
    "bad key": [("Content-Type", "application/json"), ("idempotency-key", "has space")],
    "long key": [("Content-Type", "application/json"), ("Idempotency-Key", "k" * 300)],
    "two keys": [
        ("Content-Type", "application/json"),
        ("Idempotency-Key", "k-1"),
        ("Idempotency-Key", "k-2"),
    ],
}
QUERIES = [
    "",
    "billingAccountId=acct-r",
    "billingAccountId=acct-r&limit=0",
    "billingAccountId=acct-r&limit=abc",
    "billingAccountId=acct-r&limit=1,2",
    "billingAccountId=acct-r&limit=2&limit=3",
    "billingAccountId=acct-r&status=Bogus",
    "billingAccountId=acct-r&status=Posted&limit=5",
    "billingAccountId=" + "x" * 300,
    "billingAccountId=acct-r&nextToken=" + "t" * 5000,
    "billingAccountId=acct-r&nextToken=garbled",
    "documentNumber=CM-1",
    "reasonCode=Nope&billingAccountId=acct-r",
]


def _routed_functions() -> dict[str, list[Route]]:
    routes: dict[str, list[Route]] = {}
    for route in template().routes():
        routes.setdefault(route.function, []).append(route)
    return routes


def _event(
    route: Route, path: str, method: str, query: str, headers: list[tuple[str, str]], body: bytes | None
) -> dict[str, Any]:
    event = build_event(
        route=route,
        path_parameters={},
        method=method,
        raw_path=path,
        query=query,
        headers=headers,
        body=body or b"",
        source_ip="127.0.0.1",
        request_id="req-1",
    )
    if body is None:
        event["body"] = None
    return event


def _cases(
    routes: list[Route],
) -> Iterator[tuple[str, Route, str, str, str, list[tuple[str, str]], bytes | None]]:
    for route in routes:
        parameters = [part[1:-1] for part in route.path.split("/") if part.startswith("{")]
        good = route.path
        bad = route.path
        for name in parameters:
            good = good.replace("{" + name + "}", GOOD_ID)
            bad = bad.replace("{" + name + "}", "%25bad id!")
        paths = {"good ids": good, "malformed ids": bad} if parameters else {"path": good}
        for what, path in paths.items():
            if route.method == "GET":
                for query in QUERIES:
                    yield (
                        f"{route.method} {what} ?{query}",
                        route,
                        path,
                        route.method,
                        query,
                        HEADER_SETS["json"],
                        None,
                    )
            else:
                for body_name, body in BODIES.items():
                    for headers_name, headers in HEADER_SETS.items():
                        if headers_name in ("form", "multipart no boundary"):
                            continue  # Powertools reads forms; the router refuses them (415)
                        if body and headers_name in ("text", "vendor json"):
                            continue  # refused before routing (415), by the handler, not the router
                        label = f"{route.method} {what} body={body_name} headers={headers_name}"
                        yield label, route, path, route.method, "", headers, body
        yield (
            f"{route.method} unknown path",
            route,
            route.path.rsplit("/", 1)[0] + "/nowhere/x",
            route.method,
            "",
            HEADER_SETS["json"],
            None,
        )
        other = "DELETE" if route.method == "GET" else "GET"
        yield f"{other} wrong method", route, good, other, "", HEADER_SETS["json"], None


def _comparable(result: dict[str, Any]) -> dict[str, Any]:
    headers = {k: list(v) for k, v in result.get("multiValueHeaders", {}).items()}
    return {**result, "multiValueHeaders": headers}


def _same_shape(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_shape(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_shape(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b)


@pytest.mark.parametrize("function_id", sorted(_routed_functions()))
def test_router_answers_as_powertools_validating_resolver(function_id: str) -> None:
    routes = _routed_functions()[function_id]
    function = template().find_function(function_id)
    with environment(base_environment()):
        name = f"_routing_test_{function.folder_name}"
        load_handler(function, module_name=name)
        router = sys.modules[name].app
        powertools = router.openapi_resolver()
        context = FakeLambdaContext(function)
        compared = 0
        for label, route, path, method, query, headers, body in _cases(routes):
            answers = []
            for resolver in (router, powertools):
                # the same stored state for both: a fresh in-memory table each time
                service = CreditMemoService(MemoryRepository(), get_settings())
                with runtime.use_service(service):
                    answers.append(
                        _comparable(
                            resolver.resolve(_event(route, path, method, query, headers, body), context)
                        )
                    )
            ours, theirs = answers
            if 200 <= theirs["statusCode"] < 300:
                assert ours["statusCode"] == theirs["statusCode"], label
                assert ours["multiValueHeaders"] == theirs["multiValueHeaders"], label
                assert _same_shape(json.loads(ours["body"]), json.loads(theirs["body"])), label
            else:
                assert ours == theirs, label
            compared += 1
        assert compared > 10
