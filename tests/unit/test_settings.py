"""Settings read from the environment: the publisher's bus, and when X-Ray tracing is on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from credit_memos.settings import Settings, tracing_enabled

REPO = Path(__file__).resolve().parents[2]
LAMBDA = {"LAMBDA_TASK_ROOT": "/var/task", "AWS_LAMBDA_FUNCTION_NAME": "f", "AWS_REGION": "us-east-1"}

CASES: list[tuple[str, dict[str, str], bool]] = [
    ("in Lambda", LAMBDA, True),
    ("in Lambda, POWERTOOLS_TRACE_DISABLED=true", LAMBDA | {"POWERTOOLS_TRACE_DISABLED": "true"}, False),
    ("in Lambda, POWERTOOLS_TRACE_DISABLED=1", LAMBDA | {"POWERTOOLS_TRACE_DISABLED": "1"}, False),
    ("in Lambda, POWERTOOLS_TRACE_DISABLED=false", LAMBDA | {"POWERTOOLS_TRACE_DISABLED": "false"}, True),
    ("under sam local", LAMBDA | {"AWS_SAM_LOCAL": "true"}, False),
    ("under chalice local", LAMBDA | {"AWS_CHALICE_CLI_MODE": "true"}, False),
    ("outside Lambda", {"AWS_REGION": "us-east-1"}, False),
]


@pytest.mark.parametrize(("environ", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_tracing_follows_the_powertools_rule(environ: dict[str, str], expected: bool) -> None:
    assert tracing_enabled(environ) is expected
    assert Settings.from_environment(environ).tracing_enabled is expected


def _child(environ: dict[str, str], code: str) -> str:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "SYSTEMROOT", "PYTHONPATH")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=keep | environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize(("environ", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_powertools_tracer_agrees(environ: dict[str, str], expected: bool) -> None:
    # What a real Tracer() decides in that environment (its public ``disabled``), in a fresh process:
    # the rule above must not drift from Powertools' when Powertools is upgraded.
    disabled = _child(environ, "from aws_lambda_powertools import Tracer; print(bool(Tracer().disabled))")
    assert disabled == str(not expected)


def test_no_xray_sdk_is_imported_when_tracing_is_off() -> None:
    # The cold-start saving: the stand-in tracer, and the X-Ray SDK never imported.
    code = (
        "import json, sys; from credit_memos.api import observability; "
        "print(json.dumps([type(observability.tracer).__name__, 'aws_xray_sdk' in sys.modules]))"
    )
    off = json.loads(_child(LAMBDA | {"POWERTOOLS_TRACE_DISABLED": "true"}, code))
    assert off == ["TracingOff", False]
    on = json.loads(_child(LAMBDA, code))
    assert on == ["Tracer", True]


def test_publisher_bus_and_endpoint() -> None:
    settings = Settings.from_environment(
        {"EVENT_BUS_NAME": "stack-credit-memos", "EVENTBRIDGE_ENDPOINT_URL": "http://127.0.0.1:4010"}
    )
    assert settings.event_bus_name == "stack-credit-memos"
    assert settings.eventbridge_endpoint_url == "http://127.0.0.1:4010"
    defaults = Settings.from_environment({})
    assert defaults.event_bus_name == "credit-memos"
    assert defaults.eventbridge_endpoint_url is None
