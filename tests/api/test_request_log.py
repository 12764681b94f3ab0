"""Each request writes exactly one INFO log line saying what was asked, by whom, and how it ended."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from credit_memos.api import runtime

from tests.harness import Api, base_environment, invoke

ROOT = Path(__file__).resolve().parents[2]

LogLines = Callable[[], list[dict[str, Any]]]
# Powertools leaves out a key whose value is None: errorCode on a success, principal without a caller.
FIELDS = {"operation", "status", "replayed", "dryRun", "durationMs"}
READER = "arn:aws:iam::111122223333:role/billing-audit"
ACCOUNT = "acct-log"
INVOICE = {
    "billingAccountId": ACCOUNT,
    "currency": "USD",
    "settlementLevel": "Invoice",
    "lines": [{"chargeAmount": "100.00", "productName": "Tablet"}],
}


@pytest.fixture
def log_lines(api: Api) -> Iterator[LogLines]:
    """The JSON lines the shared logger writes (at INFO), taken since the last call."""
    # Imported here, in the test's environment: Powertools reads its settings when they are built.
    from credit_memos.api.observability import logger

    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    stream, level = io.StringIO(), logger.log_level
    # Not setStream: it flushes the stream it replaces, which a test that built the logger under
    # captured output may have left closed.
    saved, handler.stream = handler.stream, stream
    logger.setLevel("INFO")

    def taken() -> list[dict[str, Any]]:
        lines = [json.loads(line) for line in stream.getvalue().splitlines()]
        stream.seek(0)
        stream.truncate()
        return lines

    yield taken
    handler.stream = saved
    logger.setLevel(level)


def the_request_line(lines: list[dict[str, Any]]) -> dict[str, Any]:
    requests = [line for line in lines if line.get("message") == "request"]
    assert len(requests) == 1, lines
    line = requests[0]
    assert line["level"] == "INFO"
    assert line.keys() >= FIELDS
    assert isinstance(line["durationMs"], int | float) and line["durationMs"] >= 0
    assert "function_request_id" in line and "cold_start" in line  # Powertools' injected context
    return line


def test_a_success(api: Api, log_lines: LogLines) -> None:
    created = api.post("/invoices", INVOICE)
    assert created.status == 201
    line = the_request_line(log_lines())
    assert line["operation"] == "CreateInvoice"
    assert (line["status"], line.get("errorCode"), line["replayed"]) == (201, None, False)
    assert line["principal"]  # the local server's caller


def test_a_replay(api: Api, log_lines: LogLines) -> None:
    key = {"Idempotency-Key": "log-replay-1"}
    assert api.post("/invoices", INVOICE, headers=key).status == 201
    log_lines()
    again = api.post("/invoices", INVOICE, headers=key)
    assert again.headers.get("Idempotent-Replayed") == "true"
    line = the_request_line(log_lines())
    assert (line["operation"], line["status"], line["replayed"]) == ("CreateInvoice", 201, True)


def test_a_dry_run(api: Api, log_lines: LogLines) -> None:
    assert api.post("/invoices", INVOICE, query={"dryRun": "true"}).status == 200
    line = the_request_line(log_lines())
    assert (line["operation"], line["status"], line["dryRun"]) == ("CreateInvoice", 200, True)


def test_a_document_not_found(api: Api, log_lines: LogLines) -> None:
    missing = api.get("/invoices/inv_0000000000000000000000000000")
    assert missing.status == 404
    line = the_request_line(log_lines())
    assert (line["operation"], line["status"], line["errorCode"]) == ("GetInvoice", 404, "NOT_FOUND")


def test_a_request_refused_before_a_command_is_named_after_its_route(api: Api, log_lines: LogLines) -> None:
    refused = api.post("/invoices", raw_body="<xml/>", headers={"Content-Type": "application/xml"})
    assert refused.status == 415
    line = the_request_line(log_lines())
    assert (line["operation"], line["status"], line["errorCode"]) == (
        "POST /invoices",
        415,
        "UNSUPPORTED_MEDIA_TYPE",
    )


def test_a_conflict(api: Api, log_lines: LogLines) -> None:
    invoice = api.post("/invoices", INVOICE).body  # created Posted
    log_lines()
    again = api.post(f"/invoices/{invoice['id']}/actions/post")
    assert again.status == 409
    line = the_request_line(log_lines())
    assert (line["operation"], line["status"], line["errorCode"]) == (
        "PostInvoice",
        409,
        again.body["errorCode"],
    )


def test_a_validation_error(api: Api, log_lines: LogLines) -> None:
    invalid = api.post("/invoices", {**INVOICE, "currency": 7})
    assert invalid.status == 422
    line = the_request_line(log_lines())
    assert (line["operation"], line["status"], line["errorCode"]) == (
        "POST /invoices",
        422,
        "VALIDATION_ERROR",
    )


def test_a_caller_the_access_policy_forbids(
    api: Api, log_lines: LogLines, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = tmp_path / "policy.json"
    grant = {"match": READER, "role": "Reader", "billingAccounts": ["*"]}
    policy.write_text(json.dumps({"principals": [grant]}))
    monkeypatch.setenv("ACCESS_POLICY_FILE", str(policy))
    runtime.reset()
    session = READER.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/someone"
    try:
        forbidden = api.post("/invoices", INVOICE, headers={"X-Local-Principal": session})
    finally:
        runtime.reset()
    assert forbidden.status == 403
    line = the_request_line(log_lines())
    assert (line["operation"], line["status"], line["errorCode"]) == ("CreateInvoice", 403, "FORBIDDEN")
    assert line["principal"] == READER  # the session counts as its role


def test_a_direct_invocation(api: Api, log_lines: LogLines) -> None:
    created = invoke("CreateInvoiceFunction", {**INVOICE, "actor": "arn:aws:states:::execution:settle:1"})
    assert created["id"]
    line = the_request_line(log_lines())
    assert (line["operation"], line["status"], line.get("errorCode"), line["replayed"]) == (
        "CreateInvoice",
        200,
        None,
        False,
    )
    assert line["principal"] == "arn:aws:states:::execution:settle:1"


def test_a_direct_invocation_that_fails(api: Api, log_lines: LogLines) -> None:
    with pytest.raises(Exception) as raised:
        invoke("PostInvoiceFunction", {"invoiceId": "inv_0000000000000000000000000000"})
    assert type(raised.value).__name__ == "NotFound"
    line = the_request_line(log_lines())
    assert (line["operation"], line["status"], line["errorCode"]) == ("PostInvoice", 404, "NOT_FOUND")
    assert line["principal"].startswith("lambda:")


def test_a_direct_invocation_refused_before_its_command_is_named_after_its_function(
    api: Api, log_lines: LogLines
) -> None:
    with pytest.raises(Exception) as raised:
        invoke("CreateInvoiceFunction", {**INVOICE, "currency": 7, "actor": "arn:aws:states:::execution:x:1"})
    assert type(raised.value).__name__ == "ValidationError"
    line = the_request_line(log_lines())
    assert (line["operation"], line["status"], line["errorCode"]) == (
        "CreateInvoiceFunction",
        422,
        "VALIDATION_ERROR",
    )
    assert line["principal"] == "arn:aws:states:::execution:x:1"


def test_no_warning_for_a_request_that_publishes_no_metric() -> None:
    # In a fresh process: pytest resets warning filters around each test and module import.
    script = (
        "from tests.harness import invoke\n"
        "try:\n"
        "    invoke('ReadInvoicesFunction', [])\n"
        "except Exception as error:\n"
        "    print(type(error).__name__)\n"
    )
    env = {**os.environ, **base_environment()}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "BadRequest"  # the direct invocation ran and added no metric
    assert "No application metrics to publish" not in done.stderr + done.stdout


def test_metrics_that_are_added_still_publish(
    api: Api, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from credit_memos.api.observability import metrics

    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    monkeypatch.setattr(metrics, "namespace", "CreditMemos")
    metrics.clear_metrics()  # disabled metrics are never flushed, so earlier tests' are still held
    capsys.readouterr()
    assert api.get("/invoices/inv_0000000000000000000000000000").status == 404
    published = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [m.get("Error404") for m in published] == [[1.0]]
