"""Schemathesis against the local server, from the committed OpenAPI document.

Bounded for CI (examples per operation and a time budget); the seed is fixed so a
failure reproduces, and SCHEMATHESIS_SEED / SCHEMATHESIS_MAX_EXAMPLES widen a run.
Checks: no server errors, responses match their declared schemas, status codes
and content types are declared.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port, db_port = _free_port(), _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "infra.local.server",
                "--port",
                str(port),
                "--dynamodb-port",
                str(db_port),
                "--in-memory",
            ],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}/openapi.json", timeout=2).read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"local server did not start:\n{log.read_text()[-3000:]}") from None
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        # The server logs one line per request: "METHOD path STATUS 1.2ms".
        lines = log.read_text().splitlines()
        server_errors = [line for line in lines if re.match(r"^[A-Z]+ \S+ 5\d\d ", line)]
        assert not server_errors, server_errors[:20]


def test_schemathesis_finds_no_server_errors_or_contract_breaks(server_url: str, tmp_path: Path) -> None:
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        str(ROOT / "openapi.json"),
        "--url",
        server_url,
        "--checks",
        "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance",
        "--max-examples",
        os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "15"),
        "--max-time",
        os.environ.get("SCHEMATHESIS_MAX_TIME", "150"),
        "--seed",
        os.environ.get("SCHEMATHESIS_SEED", "20261125"),
        "--phases",
        "examples,coverage,fuzzing",
        "--workers",
        "2",
        "--request-timeout",
        "20",
        "--suppress-health-check",
        "all",
    ]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=400, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
