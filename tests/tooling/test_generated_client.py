"""A client generated from openapi.json (openapi-python-client) drives a walkthrough on `make run`.

The committed document is turned into a Python package as a client's developer would, its modules
and methods are the operations' tags and names, and a short walkthrough runs through it against
the local server: create an invoice and a credit memo, apply the memo, read the invoice's balance,
and retry a create with its Idempotency-Key.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
OPENAPI = REPO / "openapi.json"
PACKAGE = "credit_memo_client"

pytestmark = pytest.mark.integration


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@pytest.fixture(scope="module")
def client_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    out = tmp_path_factory.mktemp("client")
    venv_bin = Path(sys.executable).parent
    generate = [str(venv_bin / "openapi-python-client"), "generate", "--path", str(OPENAPI)]
    # The credit note document is bytes (PDF or XML): the generator's type for any binary answer.
    config = out / "config.json"
    binary = {"application/pdf": "application/octet-stream", "application/xml": "application/octet-stream"}
    config.write_text(json.dumps({"content_type_overrides": binary}))
    run = subprocess.run(
        [*generate, "--meta", "none", "--config", str(config), "--output-path", str(out / PACKAGE)],
        capture_output=True,
        text=True,
        timeout=120,
        # the generator formats its output with ruff, which it looks for on PATH
        env={**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Warning" not in run.stdout + run.stderr, run.stdout + run.stderr
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def test_the_client_has_a_module_per_tag_and_a_method_per_operation(client_package: ModuleType) -> None:
    document = json.loads(OPENAPI.read_text())
    expected: dict[str, set[str]] = {}
    for operations in document["paths"].values():
        for operation in operations.values():
            (tag,) = operation["tags"]
            expected.setdefault(tag.lower().replace(" ", "_"), set()).add(_snake(operation["operationId"]))
    api = Path(client_package.__file__).parent / "api"
    generated = {
        folder.name: {f.stem for f in folder.glob("*.py") if f.stem != "__init__"}
        for folder in api.iterdir()
        if folder.is_dir() and not folder.name.startswith("__")
    }
    assert generated == expected


def _call(module: ModuleType, client: Any, status: int, **arguments: Any) -> Any:
    response = module.sync_detailed(client=client, **arguments)
    assert response.status_code == status, response.content
    return response


def test_a_walkthrough_through_the_generated_client(client_package: ModuleType, base_url: str) -> None:
    api = f"{PACKAGE}.api"
    invoices = importlib.import_module(f"{api}.invoices")
    create_invoice = importlib.import_module(f"{api}.invoices.create_invoice")
    get_invoice = importlib.import_module(f"{api}.invoices.get_invoice")
    create_credit_memo = importlib.import_module(f"{api}.credit_memos.create_credit_memo")
    apply_credit_memo = importlib.import_module(f"{api}.applications.apply_credit_memo")
    models = importlib.import_module(f"{PACKAGE}.models")
    assert invoices is not None
    # Locally the server takes unsigned requests; a deployed stage wants SigV4 (httpx_args' auth).
    client = client_package.Client(base_url=base_url, raise_on_unexpected_status=True)

    invoice_request = models.CreateInvoiceRequest.from_dict(
        {"billingAccountId": "acct-client", "currency": "USD", "lines": [{"chargeAmount": "300.00"}]}
    )
    created = _call(create_invoice, client, 201, body=invoice_request, idempotency_key="client-invoice-1")
    invoice = created.parsed
    assert isinstance(invoice, models.InvoiceView)
    assert created.headers.get("Idempotent-Replayed") is None

    replay = _call(create_invoice, client, 201, body=invoice_request, idempotency_key="client-invoice-1")
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.parsed.id == invoice.id

    memo_request = models.CreateCreditMemoRequest.from_dict(
        {
            "billingAccountId": "acct-client",
            "currency": "USD",
            "charges": [{"chargeAmount": "50.00", "productName": "Goodwill"}],
        }
    )
    memo = _call(create_credit_memo, client, 201, body=memo_request).parsed
    assert isinstance(memo, models.CreditMemoView)

    apply_request = models.ApplyCreditMemoRequest.from_dict(
        {"applications": [{"invoiceId": invoice.id, "amount": "30.00"}]}
    )
    applied = _call(apply_credit_memo, client, 200, credit_memo_id=memo.id, body=apply_request).parsed
    assert isinstance(applied, models.ApplicationsResult)
    assert applied.credit_memo.balance == "20.00"
    assert [a.amount for a in applied.applications] == ["30.00"]

    read = _call(get_invoice, client, 200, invoice_id=invoice.id).parsed
    assert isinstance(read, models.InvoiceView)
    assert (read.balance, read.net_credits_applied) == ("270.00", "30.00")

    missing = _call(get_invoice, client, 404, invoice_id="inv_missing").parsed
    assert isinstance(missing, models.ErrorResponse)
    assert missing.error_code == "NOT_FOUND"
