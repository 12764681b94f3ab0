"""The documented local command: `python -m infra.statemachines.run` against DynamoDB Local."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.local.create_tables import create_tables
from infra.local.dynamodb_local import start_local_dynamodb
from infra.local.template import Template

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    engine = start_local_dynamodb(in_memory=True)  # moto's server where Java is missing
    try:
        create_tables(engine.endpoint_url, Template.load(), log=lambda _: None)
        yield engine.endpoint_url
    finally:
        engine.stop()


def _run(endpoint: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {"DYNAMODB_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=REPO,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _invoke(endpoint: str, function: str, payload: dict[str, Any]) -> dict[str, Any]:
    result = _run(endpoint, "infra.local.invoke", function, "-", stdin=json.dumps(payload))
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_run_settles_an_account_in_dynamodb_local(endpoint: str) -> None:
    invoice = _invoke(
        endpoint,
        "create_invoice",
        {"billingAccountId": "acct-cli", "currency": "USD", "lines": [{"chargeAmount": "100.00"}]},
    )
    memo = _invoke(
        endpoint,
        "create_credit_memo",
        {
            "billingAccountId": "acct-cli",
            "currency": "USD",
            "charges": [{"chargeAmount": "40", "productName": "x"}],
        },
    )

    result = _run(
        endpoint, "infra.statemachines.run", "ApplyAccountCredits", '{"billingAccountId": "acct-cli"}'
    )

    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "SUCCEEDED"
    assert [(r["creditMemoId"], r["invoiceId"], r["amount"]) for r in report["output"]["records"]] == [
        (memo["id"], invoice["id"], "40.00")
    ]
    after = _invoke(endpoint, "read_invoices", {"invoiceId": invoice["id"]})
    assert after["balance"] == "60.00"  # written to DynamoDB Local, not to moto


def test_run_reports_a_failed_execution_with_exit_code_1(endpoint: str) -> None:
    result = _run(
        endpoint, "infra.statemachines.run", "ConvertAndSettleInvoice", '{"invoiceId": "inv_missing"}'
    )
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "FAILED" and report["error"] == "NotFound"


def test_run_names_the_state_machines_it_knows(endpoint: str) -> None:
    result = _run(endpoint, "infra.statemachines.run", "NoSuchMachine", "{}")
    assert result.returncode == 2
    assert "ApplyAccountCredits, ConvertAndSettleInvoice" in result.stderr
