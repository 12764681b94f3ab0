from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from infra.local.api_gateway import (
    MalformedProxyResponse,
    MethodNotAllowed,
    RouteMatch,
    Router,
    build_event,
    response_from_result,
)
from infra.local.template import Route


def route(method: str, path: str, function: str = "F") -> Route:
    return Route(method, path, function, "Event", "Api", "Prod")


ROUTER = Router(
    [
        route("POST", "/invoices/{invoiceId}", "ApplyOrCreate"),
        route("GET", "/invoices/{invoiceId}", "GetInvoice"),
        route("GET", "/invoices/summary", "Summary"),
        route("GET", "/invoices", "ListInvoices"),
        route("POST", "/memos/{memoId}/applications/{invoiceId}", "Apply"),
        route("ANY", "/files/{path+}", "Files"),
        route("GET", "/", "Root"),
    ]
)


def matched(method: str, path: str) -> RouteMatch:
    result = ROUTER.match(method, path)
    assert isinstance(result, RouteMatch), result
    return result


def test_path_parameters() -> None:
    result = matched("POST", "/memos/M-1/applications/INV-9")
    assert result.route.function == "Apply"
    assert result.path_parameters == {"memoId": "M-1", "invoiceId": "INV-9"}


def test_literal_segment_beats_parameter() -> None:
    assert matched("GET", "/invoices/summary").route.function == "Summary"
    assert matched("GET", "/invoices/INV-1").route.function == "GetInvoice"


def test_method_not_allowed_on_the_most_specific_resource() -> None:
    # Like API Gateway: the resource is chosen first (/invoices/summary), then the method on it.
    result = ROUTER.match("POST", "/invoices/summary")
    assert result == MethodNotAllowed("/invoices/summary", ("GET",))
    assert ROUTER.match("DELETE", "/invoices/INV-1") == MethodNotAllowed(
        "/invoices/{invoiceId}", ("GET", "POST")
    )


def test_not_found() -> None:
    assert ROUTER.match("GET", "/nope") is None
    assert ROUTER.match("GET", "/invoices/a/b") is None
    assert ROUTER.match("GET", "/invoices//x") is None


def test_greedy_any_and_root_and_trailing_slash() -> None:
    files = matched("PATCH", "/files/a/b%20c/d")
    assert files.route.function == "Files"
    assert files.path_parameters == {"path": "a/b c/d"}
    assert ROUTER.match("GET", "/files") is None
    assert matched("GET", "/").route.function == "Root"
    assert matched("GET", "/invoices/").route.function == "ListInvoices"


def test_path_parameters_are_decoded() -> None:
    assert matched("GET", "/invoices/INV%2F1%20x").path_parameters == {"invoiceId": "INV/1 x"}


def test_conflicting_routes_are_rejected() -> None:
    with pytest.raises(ValueError, match="routed to both"):
        Router([route("GET", "/a", "X"), route("GET", "/a", "Y")])


def test_event_has_the_rest_api_proxy_shape() -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    event = build_event(
        route=route("POST", "/invoices/{invoiceId}"),
        path_parameters={"invoiceId": "INV 1"},
        method="POST",
        raw_path="/invoices/INV%201",
        query="a=1&a=2&b=&c=x%20y",
        headers=[
            ("Host", "127.0.0.1:3000"),
            ("Content-Type", "application/json"),
            ("X-Multi", "1"),
            ("x-multi", "2"),
        ],
        body=b'{"amount": "1.00"}',
        source_ip="127.0.0.1",
        request_id="req-1",
        now=now,
    )
    assert set(event) == {
        "resource",
        "path",
        "httpMethod",
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
        "requestContext",
        "body",
        "isBase64Encoded",
    }
    assert event["resource"] == "/invoices/{invoiceId}"
    assert event["path"] == "/invoices/INV 1"
    assert event["httpMethod"] == "POST"
    assert event["headers"]["Content-Type"] == "application/json"
    assert event["headers"]["X-Multi"] == "2"
    assert event["multiValueHeaders"]["X-Multi"] == ["1", "2"]
    assert event["headers"]["X-Forwarded-Proto"] == "http"
    assert event["headers"]["X-Forwarded-Port"] == "3000"
    assert event["queryStringParameters"] == {"a": "2", "b": "", "c": "x y"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": [""], "c": ["x y"]}
    assert event["pathParameters"] == {"invoiceId": "INV 1"}
    assert event["stageVariables"] is None
    assert event["body"] == '{"amount": "1.00"}'
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["requestId"] == "req-1"
    assert context["resourcePath"] == "/invoices/{invoiceId}"
    assert context["httpMethod"] == "POST"
    assert context["stage"] == "Prod"
    assert context["path"] == "/Prod/invoices/INV 1"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["requestTimeEpoch"] == int(now.timestamp() * 1000)
    assert context["requestTime"] == "02/Jan/2026:03:04:05 +0000"
    assert context["accountId"] == "123456789012"


def test_event_without_query_body_or_parameters_uses_nulls() -> None:
    event = build_event(
        route=route("GET", "/invoices"),
        path_parameters={},
        method="GET",
        raw_path="/invoices",
        query="",
        headers=[("Host", "localhost")],
        body=b"",
        source_ip="127.0.0.1",
    )
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None
    assert event["body"] is None
    assert event["isBase64Encoded"] is False


def test_binary_body_is_base64() -> None:
    event = build_event(
        route=route("POST", "/x"),
        path_parameters={},
        method="POST",
        raw_path="/x",
        query="",
        headers=[],
        body=b"\xff\x00",
        source_ip="127.0.0.1",
    )
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\xff\x00"


def test_response_merges_headers_like_api_gateway() -> None:
    response = response_from_result(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "application/json", "X-A": "1", "X-B": 2},
            "multiValueHeaders": {"X-A": ["1", "3"], "Set-Cookie": ["a=1", "b=2"]},
            "body": '{"ok": true}',
        }
    )
    assert response.status == 201
    assert response.body == b'{"ok": true}'
    assert sorted(response.headers) == sorted(
        [
            ("X-A", "1"),
            ("X-A", "3"),
            ("Set-Cookie", "a=1"),
            ("Set-Cookie", "b=2"),
            ("Content-Type", "application/json"),
            ("X-B", "2"),
        ]
    )


def test_response_defaults_and_base64() -> None:
    response = response_from_result(
        {"statusCode": 200, "body": base64.b64encode(b"\x01").decode(), "isBase64Encoded": True}
    )
    assert response.body == b"\x01"
    assert ("Content-Type", "application/json") in response.headers
    assert response_from_result({"statusCode": 204}).body == b""


@pytest.mark.parametrize(
    "result",
    [
        None,
        "text",
        {"statusCode": "abc"},
        {"statusCode": 200, "body": {"not": "a string"}},
        {"statusCode": 200, "headers": ["x"]},
        {"statusCode": 200, "multiValueHeaders": {"X": "not-a-list"}},
        {"statusCode": 200, "body": "%%%", "isBase64Encoded": True},
        {"statusCode": 42},
    ],
)
def test_malformed_results(result: object) -> None:
    with pytest.raises(MalformedProxyResponse):
        response_from_result(result)
