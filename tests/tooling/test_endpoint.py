"""``make invoke`` finds DynamoDB at ``DYNAMODB_PORT`` and refuses a service there that is not DynamoDB."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from infra.local import invoke as invoke_module
from infra.local.create_tables import create_tables
from infra.local.dynamodb_local import MotoDynamoDB
from infra.local.template import Template

FIXTURE_TEMPLATE = Path(__file__).parent / "fixtures" / "template.yaml"


class _Foreign(BaseHTTPRequestHandler):
    """Some other web app: 200 and a page, whatever it is asked."""

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        page = b"<html><body>Not a database</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def foreign_port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Foreign)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def _event_file(tmp_path: Path, event: object) -> str:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    return str(path)


@pytest.mark.parametrize("start_db", [True, False], ids=["--start-db", "running"])
def test_invoke_refuses_a_foreign_service_on_dynamodb_port(
    tmp_path: Path, foreign_port: int, start_db: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    os.environ.pop("DYNAMODB_ENDPOINT_URL", None)
    os.environ["DYNAMODB_PORT"] = str(foreign_port)
    argv = ["echo", _event_file(tmp_path, {}), "--template", str(FIXTURE_TEMPLATE)]
    code = invoke_module.main(argv + (["--start-db", "--in-memory"] if start_db else []))
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""  # the handler never ran
    assert f"127.0.0.1:{foreign_port} but it is not DynamoDB" in captured.err
    assert "HTTP 200" in captured.err and "text/html" in captured.err


def test_invoke_uses_the_dynamodb_on_dynamodb_port(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    os.environ.pop("DYNAMODB_ENDPOINT_URL", None)
    with MotoDynamoDB() as engine:
        create_tables(engine.endpoint_url, Template.load(FIXTURE_TEMPLATE), log=lambda _: None)
        os.environ["DYNAMODB_PORT"] = str(engine.port)
        event = {"httpMethod": "GET", "pathParameters": {"id": "nothing-here"}}
        code = invoke_module.main(
            ["ItemsFunction", _event_file(tmp_path, event), "--template", str(FIXTURE_TEMPLATE)]
        )
    result = json.loads(capsys.readouterr().out)
    assert code == 0
    assert result["statusCode"] == 404  # the table at DYNAMODB_PORT was read; the item is not there
    assert json.loads(result["body"]) == {"errorCode": "NOT_FOUND", "message": "nothing-here"}
