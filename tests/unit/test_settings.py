"""Settings read from the environment, and the tracer they leave to Powertools."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from credit_memos.settings import Settings

REPO = Path(__file__).resolve().parents[2]
# What Lambda sets for a function with Tracing: Active (the daemon address: nothing listens there).
TRACED_LAMBDA = {
    "LAMBDA_TASK_ROOT": "/var/task",
    "AWS_LAMBDA_FUNCTION_NAME": "f",
    "AWS_REGION": "us-east-1",
    "_X_AMZN_TRACE_ID": "Root=1-67a1b2c3-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1",
    "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
}


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


def test_the_tracer_patches_botocore_only() -> None:
    # In a fresh process (patching is process-wide): traced as deployed, the AWS calls get their
    # subsegments and no other library the X-Ray SDK knows is imported or patched.
    code = (
        "import json, sys; from credit_memos.api import observability; "
        "from aws_xray_sdk.core import patcher; import botocore.client; "
        "print(json.dumps([observability.tracer.disabled, sorted(patcher._PATCHED_MODULES), "
        "hasattr(botocore.client, '_xray_enabled'), 'sqlite3' in sys.modules]))"
    )
    assert json.loads(_child(TRACED_LAMBDA, code)) == [False, ["botocore"], True, False]


def test_publisher_bus_and_endpoint() -> None:
    settings = Settings.from_environment(
        {"EVENT_BUS_NAME": "stack-credit-memos", "EVENTBRIDGE_ENDPOINT_URL": "http://127.0.0.1:4010"}
    )
    assert settings.event_bus_name == "stack-credit-memos"
    assert settings.eventbridge_endpoint_url == "http://127.0.0.1:4010"
    defaults = Settings.from_environment({})
    assert defaults.event_bus_name == "credit-memos"
    assert defaults.eventbridge_endpoint_url is None


def test_unset_or_empty_variables_take_the_defaults() -> None:
    environ = {"AWS_REGION": "", "AWS_DEFAULT_REGION": "eu-west-1", "DYNAMODB_ENDPOINT_URL": ""}
    settings = Settings.from_environment(environ)
    assert (settings.region, settings.dynamodb_endpoint_url, settings.table_name) == (
        "eu-west-1",
        None,
        "credit-memos",
    )
    assert Settings.from_environment({"READ_LEGACY_INDEXES": "true"}).read_legacy_indexes is True


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CREDIT_APPLICATION_LEVEL", "Line"),
        ("IDEMPOTENCY_TTL_HOURS", "23"),
        ("MAX_CONFLICT_RETRIES", "many"),
        ("CREDIT_MEMO_NUMBER_PREFIX", "-CM"),
        ("CREDIT_MEMO_NUMBER_PREFIX", "A" * 17),
    ],
)
def test_a_bad_variable_stops_init_and_is_named(variable: str, value: str) -> None:
    with pytest.raises(RuntimeError, match=variable):
        Settings.from_environment({variable: value})
