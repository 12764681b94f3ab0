from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from infra.local import invoke as invoke_module
from infra.local.server import MAX_BODY_BYTES, LocalApi, LocalHttpServer, split_environment
from infra.local.template import Template

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_TEMPLATE = FIXTURES / "template.yaml"
FAKE_ENDPOINT = "http://127.0.0.1:9"  # never contacted by these functions


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LocalHttpServer]:
    openapi = tmp_path / "openapi.json"
    openapi.write_text('{"openapi": "3.0.3"}')
    logs: list[str] = []
    api = LocalApi(
        Template.load(FIXTURE_TEMPLATE), endpoint_url=FAKE_ENDPOINT, openapi_path=openapi, log=logs.append
    )
    assert api.warm_up() == {}
    http = LocalHttpServer(("127.0.0.1", 0), api, log=logs.append)
    thread = threading.Thread(target=http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    http.logs = logs  # type: ignore[attr-defined]
    yield http
    http.shutdown()
    http.server_close()


def test_routes_a_request_to_the_function_with_a_proxy_event(server: LocalHttpServer) -> None:
    response = requests.post(
        f"{server.base_url}/invoices/INV-1?x=1&x=2",
        json={"amount": "10.00"},
        headers={"X-Test": "yes"},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers["X-Echo"] == "1"
    assert response.headers["Content-Type"] == "application/json"
    assert response.raw.headers.getlist("Set-Cookie") == ["a=1", "b=2"]
    data = response.json()
    event = data["event"]
    assert event["resource"] == "/invoices/{invoiceId}"
    assert event["path"] == "/invoices/INV-1"
    assert event["httpMethod"] == "POST"
    assert event["pathParameters"] == {"invoiceId": "INV-1"}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"]}
    assert event["headers"]["X-Test"] == "yes"
    assert json.loads(event["body"]) == {"amount": "10.00"}
    assert event["requestContext"]["stage"] == "dev"
    assert event["requestContext"]["identity"]["sourceIp"] == "127.0.0.1"
    assert data["functionName"] == "EchoFunction"
    assert data["memory"] == 256
    assert 0 < data["remainingMs"] <= 10_000
    assert data["arn"] == "arn:aws:lambda:us-east-1:123456789012:function:EchoFunction"
    # environment: common variables process-wide, per-function ones at import time
    assert data["tableName"] == "credit-memos-dev"
    assert data["importEnv"] == {
        "TABLE_NAME": "credit-memos-dev",
        "DYNAMODB_ENDPOINT_URL": FAKE_ENDPOINT,
        "POWERTOOLS_SERVICE_NAME": "echo",
        "CREDIT_APPLICATION_LEVEL": "Invoice",
    }
    assert any(line.startswith("POST /invoices/INV-1?x=1&x=2 200 ") for line in server.logs)  # type: ignore[attr-defined]


def test_greedy_any_route(server: LocalHttpServer) -> None:
    response = requests.delete(f"{server.base_url}/echo/a/b", timeout=10)
    assert response.status_code == 200
    assert response.json()["event"]["pathParameters"] == {"proxy": "a/b"}


def test_unknown_route_is_404(server: LocalHttpServer) -> None:
    response = requests.get(f"{server.base_url}/nope", timeout=10)
    assert response.status_code == 404
    assert response.json()["errorCode"] == "NOT_FOUND"


def test_wrong_method_is_405(server: LocalHttpServer) -> None:
    response = requests.delete(f"{server.base_url}/invoices/INV-1", timeout=10)
    assert response.status_code == 405
    assert response.json()["errorCode"] == "METHOD_NOT_ALLOWED"
    assert response.headers["Allow"] == "GET, POST"


def test_large_body_is_413(server: LocalHttpServer) -> None:
    response = requests.post(
        f"{server.base_url}/invoices/INV-1", data=b"x" * (MAX_BODY_BYTES + 1), timeout=10
    )
    assert response.status_code == 413
    assert response.json()["errorCode"] == "PAYLOAD_TOO_LARGE"


def test_handler_exception_is_502(server: LocalHttpServer) -> None:
    response = requests.get(f"{server.base_url}/invoices/summary", timeout=10)
    assert response.status_code == 502
    assert response.json() == {"message": "Internal server error"}
    assert any("InsufficientBalance" in line for line in server.logs)  # type: ignore[attr-defined]


def test_openapi_json_is_served(server: LocalHttpServer) -> None:
    response = requests.get(f"{server.base_url}/openapi.json", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"openapi": "3.0.3"}


def test_concurrent_requests_get_separate_containers(server: LocalHttpServer) -> None:
    with ThreadPoolExecutor(max_workers=3) as pool:
        responses = list(pool.map(lambda _: requests.get(f"{server.base_url}/slow", timeout=10), range(3)))
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert len({r.json()["container"] for r in responses}) == 3


def test_split_environment() -> None:
    common, per_function = split_environment(
        {"A": {"X": "1", "Y": "a", "Z": "only-a"}, "B": {"X": "1", "Y": "b"}}
    )
    assert common == {"X": "1", "Z": "only-a"}
    assert per_function == {"A": {"Y": "a"}, "B": {"Y": "b"}}


def write_event(tmp_path: Path, event: object) -> str:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    return str(path)


def test_invoke_prints_the_result(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.environ["DYNAMODB_ENDPOINT_URL"] = FAKE_ENDPOINT
    event = {"httpMethod": "GET", "pathParameters": {"invoiceId": "INV-1"}}
    code = invoke_module.main(["echo", write_event(tmp_path, event), "--template", str(FIXTURE_TEMPLATE)])
    out = capsys.readouterr().out
    assert code == 0
    result = json.loads(out)
    assert result["statusCode"] == 200
    body = json.loads(result["body"])
    assert body["event"] == event
    assert body["functionName"] == "EchoFunction"
    assert body["importEnv"]["POWERTOOLS_SERVICE_NAME"] == "echo"
    assert body["importEnv"]["DYNAMODB_ENDPOINT_URL"] == FAKE_ENDPOINT


def test_invoke_prints_a_lambda_error_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.environ["DYNAMODB_ENDPOINT_URL"] = FAKE_ENDPOINT
    code = invoke_module.main(
        ["BoomFunction", write_event(tmp_path, {}), "--template", str(FIXTURE_TEMPLATE)]
    )
    assert code == 1
    error = json.loads(capsys.readouterr().out)
    assert error["errorType"] == "InsufficientBalance"
    assert error["errorMessage"] == "memo has 0.00 left"
    assert isinstance(error["stackTrace"], list)


def test_invoke_unknown_function(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.environ["DYNAMODB_ENDPOINT_URL"] = FAKE_ENDPOINT
    code = invoke_module.main(["Nope", write_event(tmp_path, {}), "--template", str(FIXTURE_TEMPLATE)])
    assert code == 2
    assert "no function 'Nope'" in capsys.readouterr().err
