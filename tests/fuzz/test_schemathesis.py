"""Schemathesis against the local server, from the OpenAPI document the server serves.

Only schema-valid requests are generated (positive mode), and each must get an answer the
document could not have prevented: a success, or a rejection that depends on stored state or
on a rule between fields that JSON Schema cannot state (the list below, each with its reason).
A 4xx for anything else means the document is looser than the service.
Also checked: no server errors; status codes, bodies and content types are declared.

Bounded for CI (examples per operation); derandomized so a failure reproduces, and
SCHEMATHESIS_SEED / SCHEMATHESIS_MAX_EXAMPLES change or widen a run.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

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


# Rejections a schema-valid request may get, and why the document cannot prevent them. Each is
# (status, errorCode, message fragment): every detail of the answer must be one of these.
_STATEFUL_CODES = {
    # Random ids name documents that do not exist (path ids and invoiceId in a body).
    404: {"NOT_FOUND"},
    # The state of stored documents (or of a key another generated request used first).
    409: {
        "INVALID_STATUS",
        "INSUFFICIENT_BALANCE",
        "CURRENCY_MISMATCH",
        "ACCOUNT_MISMATCH",
        "LEVEL_MISMATCH",
        "ALREADY_UNAPPLIED",
        "ALREADY_CONVERTED",
        "HAS_ACTIVE_APPLICATIONS",
        "DUPLICATE_REFERENCE",
        "ALREADY_REVERSED",
        "HAS_ACTIVE_REFUNDS",
        "PERIOD_CLOSED",
        "IDEMPOTENCY_KEY_IN_USE",
        # A document's parties as stored (the buyer's profile, the seller's settings; section 12).
        "PROFILE_INCOMPLETE",
        "NOT_REPRESENTABLE",
    },
}
_UNSTATABLE_422 = (
    # The minor-unit digits depend on the currency field (JPY 0, USD 2, KWD 3); the document
    # states only what holds for every currency (at most 4 significant decimals).
    "more decimal places than",
    # Rules between fields or over a whole list.
    "a line's tax must have the sign of its charge",
    "an invoice's total may not be negative",
    "dueDate: must not be before the invoice date",  # invoiceDate defaults to today
    # Sums: a line's charge plus its taxes, a document's totals (spec section 6), below 10^15.
    "must be less than 10^15 in absolute value (it is",
    # An opaque token: any string of the declared length is well-formed, few are real.
    "nextToken: is not valid for this query",
    # A rule between two query parameters of GET /credit-memos (billingAccountId or
    # documentNumber; OpenAPI 3 cannot require one of two parameters, the description says it).
    "is required unless documentNumber is given",
    # A write-off names each invoice once (uniqueness of one property over a list's objects).
    "is named twice",
    # The Salesforce-compatible credit: a line's taxStrategy must be the request's (a rule between
    # fields; docs/salesforce.md).
    "one tax strategy per request here",
    # The stored item's size in bytes, over all text fields and lines together.
    "too large to store",
    # A body's invoiceLineId names no line of the (real) invoice in the path: a reference to
    # stored state, like a 404 (the spec makes it a 422).
    "has no line",
    # The same invoice twice in one write-off (JSON Schema's uniqueItems compares whole items).
    "is named twice",
    # A rule between two query parameters of GET /journal-entries.
    "must not be after to",
    # The trial balance's currency query parameter: its document states the ISO 4217 pattern, and
    # the list of currencies with minor units only in request bodies.
    "unknown currency",
)


def _unstated_rejection(response: Any) -> str | None:
    """Why this answer to a schema-valid request shows the document is too loose, or None."""
    status = response.status_code
    if status < 400 or status >= 500:
        return None
    try:
        body = response.json()
    except ValueError:
        return f"{status} without a JSON error body"
    if isinstance(body, list) and body:  # Salesforce's error list (the Salesforce-compatible routes)
        body = body[0]
    elif isinstance(body, dict) and "errorCode" not in body:  # a Salesforce resource's envelope
        errors = body.get("errors") or next(
            (
                result["errors"]
                for results in body.values()
                if isinstance(results, list)
                for result in results[:1]
            ),
            None,
        )
        if isinstance(errors, dict):  # a Salesforce write-off result's {errorcode, errorMessage}
            errors = [{"errorCode": errors.get("errorcode"), "message": errors.get("errorMessage")}]
        body = errors[0] if isinstance(errors, list) and errors else body
    code = body.get("errorCode")
    if code in _STATEFUL_CODES.get(status, ()):
        return None
    if status == 422 and code == "IDEMPOTENCY_KEY_MISMATCH":
        return None  # another generated request used the same key first
    if status == 422 and code == "VALIDATION_ERROR":
        messages = [body.get("message", "")] + [d.get("message") or "" for d in body.get("details") or []]
        if any(fragment in message for message in messages for fragment in _UNSTATABLE_422):
            return None
    return f"{status} {code}: {body.get('message')} {body.get('details')}"


@pytest.fixture(scope="module")
def served_schema(server_url: str) -> Any:
    schema = schemathesis.openapi.from_url(f"{server_url}/openapi.json")
    schema.config.update(base_url=server_url)
    return schema


def _operations() -> list[str]:
    """Test ids, from the committed document; the server serves the same file (and is fuzzed)."""
    document = json.loads((ROOT / "openapi.json").read_text())
    return [f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item]


_SEED = os.environ.get("SCHEMATHESIS_SEED")
_SETTINGS = settings(
    max_examples=int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "40")),
    derandomize=_SEED is None,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: the first failure is reported as is
    suppress_health_check=list(HealthCheck),
)


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=20) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def stored_ids(server_url: str) -> dict[str, str]:
    """Real documents for the operations that take ids, so their bodies reach the domain rules."""
    account = {"billingAccountId": "fuzz-acct", "currency": "USD"}
    invoice = _post(
        f"{server_url}/invoices",
        {**account, "lines": [{"chargeAmount": "100.00", "taxAmount": "10.00"}, {"chargeAmount": "-20.00"}]},
    )
    line_invoice = _post(
        f"{server_url}/invoices",
        {**account, "settlementLevel": "InvoiceLine", "lines": [{"chargeAmount": "100.00"}]},
    )
    memo = _post(
        f"{server_url}/credit-memos", {**account, "charges": [{"chargeAmount": "500.00", "productName": "x"}]}
    )
    applied = _post(
        f"{server_url}/credit-memos/{memo['id']}/actions/apply",
        {"applications": [{"invoiceId": invoice["id"], "amount": "1.00"}]},
    )
    line_applied = _post(
        f"{server_url}/credit-memos/{memo['id']}/lines/{memo['lines'][0]['id']}/actions/apply",
        {
            "applications": [
                {
                    "invoiceId": line_invoice["id"],
                    "invoiceLineId": line_invoice["lines"][0]["id"],
                    "amount": "1",
                }
            ]
        },
    )
    payment = _post(
        f"{server_url}/invoices/{invoice['id']}/actions/record-payment",
        {"amount": "1.00", "paymentReference": "fuzz-wire"},
    )
    refund = _post(
        f"{server_url}/credit-memos/{memo['id']}/actions/refund",
        {"amount": "1.00", "refundReference": "fuzz-ach"},
    )
    return {
        "paymentId": payment["id"],
        "refundId": refund["id"],
        # A month long closed to nothing: closing it (and every month before) blocks no request.
        "period": "2001-01",
        "invoiceId": invoice["id"],
        "creditMemoId": memo["id"],
        "creditMemoLineId": memo["lines"][0]["id"],
        "invoice-applicationId": applied["applications"][0]["id"],
        "line-applicationId": line_applied["applications"][0]["id"],
        # The account of all of them: its summary (kept from the stream by the server's consumer).
        "billingAccountId": account["billingAccountId"],
        # The Salesforce-compatible routes: a served version, the memo as a request's status.
        "version": "v67.0",
        "requestIdentifier": memo["id"],
        "actionName": "applyCredit",
    }


def _fuzz(operation: Any, server_url: str, path_parameters: dict[str, str] | None = None) -> None:
    checks = [
        not_a_server_error,
        status_code_conformance,
        response_schema_conformance,
        content_type_conformance,
    ]
    dry_run_checks = [not_a_server_error, content_type_conformance]
    strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE, path_parameters=path_parameters)

    @_SETTINGS
    @given(case=strategy)
    def request_is_answered_as_declared(case: Any) -> None:
        response = case.call(base_url=server_url, timeout=20)
        # A dry run answers 200 with null ids where the document declares the real call's answer
        # (tests/unit/test_dry_runs.py holds it to that answer); here it must only be answered.
        dry_run = str((case.query or {}).get("dryRun")).lower() == "true"
        case.validate_response(response, checks=dry_run_checks if dry_run else checks)
        reason = _unstated_rejection(response)
        assert reason is None, f"a schema-valid request was rejected: {reason}\n{case.as_curl_command()}"

    if _SEED is not None:
        request_is_answered_as_declared = hypothesis_seed(int(_SEED))(request_is_answered_as_declared)
    request_is_answered_as_declared()


# Closing a random month closes every month before it for the whole deployment, so every later
# fuzzed movement would be PERIOD_CLOSED: the books' actions are fuzzed on a fixed month below.
_GLOBAL_STATE = (
    "POST /accounting-periods/{period}/actions/close",
    "POST /accounting-periods/{period}/actions/reopen",
)


@pytest.mark.parametrize("label", [label for label in _operations() if label not in _GLOBAL_STATE])
def test_schema_valid_requests_are_answered_as_the_document_says(
    served_schema: Any, server_url: str, label: str
) -> None:
    operation = served_schema.find_operation_by_label(label)
    assert operation is not None, label
    _fuzz(operation, server_url)


@pytest.mark.parametrize("label", [label for label in _operations() if "{" in label])
def test_schema_valid_requests_on_stored_documents_are_answered_as_the_document_says(
    served_schema: Any, server_url: str, stored_ids: dict[str, str], label: str
) -> None:
    """The same, with the path naming real documents: the body then reaches the domain's rules,
    and the documents' state changes as the run goes (409s are expected, not 4xx for the body)."""
    operation = served_schema.find_operation_by_label(label)
    assert operation is not None, label
    names = re.findall(r"\{(\w+)\}", label)
    prefix = "line-" if "line-applications" in label or "line-invoice-line" in label else "invoice-"
    ids = {name: stored_ids.get(name) or stored_ids[prefix + name] for name in names}
    if "/credit-memo-lines/" in label:  # a memo line is named through its memo there
        ids["creditMemoLineId"] = f"{stored_ids['creditMemoId']}.{stored_ids['creditMemoLineId']}"
    _fuzz(operation, server_url, ids)
