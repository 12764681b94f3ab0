from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.local.dynamodb_local import java_executable
from infra.local.template import Template

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_TEMPLATE = FIXTURES / "template.yaml"


@pytest.fixture(autouse=True)
def _restore_environ() -> Iterator[None]:
    """The local tooling sets os.environ (as the real server does); undo it after each test."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def template() -> Template:
    return Template.load(FIXTURE_TEMPLATE)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """What `make run` serves (the real template on DynamoDB Local), on ports of its own."""
    if java_executable() is None:
        pytest.skip("DynamoDB Local needs Java")
    port, dynamodb_port = _free_port(), _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    command = [sys.executable, "-m", "infra.local.server", "--port", str(port)]
    command += ["--dynamodb-port", str(dynamodb_port), "--in-memory"]
    with log.open("w") as out:
        server = subprocess.Popen(command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while "Listening on" not in log.read_text():
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start:\n{log.read_text()}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=60)
