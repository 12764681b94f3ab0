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
from infra.local.server import MAX_BODY_BYTES, LocalApi, LocalHttpServer
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
    api.seen_pids = api.container_pids()  # type: ignore[attr-defined]
    http = LocalHttpServer(("127.0.0.1", 0), api, log=logs.append)
    thread = threading.Thread(target=http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    http.logs = logs  # type: ignore[attr-defined]
    yield http
    http.shutdown()
    http.server_close()
    assert_stopped(api)


def assert_stopped(api: LocalApi) -> None:
    """The containers of a closed server are gone (no orphan processes)."""
    pids = [pid for pool in api.pools.values() for pid in pool.pids()]
    assert pids == []
    for pid in api.seen_pids:  # type: ignore[attr-defined]
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


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
    # environment: the function's own, at import time and while it runs
    assert data["tableName"] == "credit-memos-dev"
    assert data["serviceName"] == "echo"
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


def test_concurrent_requests_run_in_parallel_in_separate_containers(server: LocalHttpServer) -> None:
    with ThreadPoolExecutor(max_workers=3) as pool:
        responses = list(pool.map(lambda _: requests.get(f"{server.base_url}/slow", timeout=10), range(3)))
    assert [r.status_code for r in responses] == [200, 200, 200]
    containers = {r.json()["container"] for r in responses}
    assert len(containers) == 3  # three processes, each with its own module state
    assert [r.json()["invocations"] for r in responses] == [1, 1, 1]
    assert os.getpid() not in containers
    again = requests.get(f"{server.base_url}/slow", timeout=10).json()
    assert again["container"] in containers and again["invocations"] == 2  # a warm container


def test_functions_do_not_share_a_process_or_environment(server: LocalHttpServer) -> None:
    echo = requests.get(f"{server.base_url}/invoices/INV-1", timeout=10).json()
    slow = requests.get(f"{server.base_url}/slow", timeout=10).json()
    assert echo["serviceName"] == "echo"
    assert slow["container"] != os.getpid()
    assert os.environ.get("POWERTOOLS_SERVICE_NAME") != "echo"  # nothing leaked into the server


def test_requests_beyond_the_concurrency_limit_queue(tmp_path: Path) -> None:
    api = LocalApi(
        Template.load(FIXTURE_TEMPLATE),
        endpoint_url=FAKE_ENDPOINT,
        openapi_path=None,
        max_concurrency=2,
        log=lambda _: None,
    )
    http = LocalHttpServer(("127.0.0.1", 0), api, log=lambda _: None)
    threading.Thread(target=http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        with ThreadPoolExecutor(max_workers=6) as pool:
            responses = list(pool.map(lambda _: requests.get(f"{http.base_url}/slow", timeout=30), range(6)))
        assert [r.status_code for r in responses] == [200] * 6
        assert len({r.json()["container"] for r in responses}) <= 2
        assert sorted(r.json()["invocations"] for r in responses)[-1] >= 3
        seen = api.container_pids()
    finally:
        http.shutdown()
        http.server_close()
    api.seen_pids = seen  # type: ignore[attr-defined]
    assert_stopped(api)


def test_timeout_is_enforced(server: LocalHttpServer) -> None:
    response = requests.get(f"{server.base_url}/slow?seconds=5", timeout=30)
    assert response.status_code == 502
    assert response.json() == {"message": "Internal server error"}
    assert any("Task timed out after 2.00 seconds" in line for line in server.logs)  # type: ignore[attr-defined]
    assert requests.get(f"{server.base_url}/slow", timeout=10).status_code == 200  # a new container


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
