"""The packaged artifact answers the events of events/ under Lambda's Runtime Interface Emulator.

RIE from aws-sam-cli, awslambdaric as the runtime client, the function's folder + layer + stdlib
as the path, DynamoDB Local behind: create an invoice and a credit memo, apply the memo to the
invoice, unapply it; the balances the responses report are the ones a user would see.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from infra.build.artifacts import Packaged
from infra.build.rie import EmulatorUnavailable, emulator_binary, invoke_built, runtime_client_dir
from infra.local.create_tables import create_tables
from infra.local.dynamodb_local import start_local_dynamodb
from infra.local.template import REPO_ROOT, FunctionDefinition, Template


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    strict = bool(os.environ.get("CI")) or os.environ.get("REQUIRE_DYNAMODB_LOCAL", "") not in ("", "0")
    engine = start_local_dynamodb(in_memory=True, allow_moto_fallback=not strict)
    try:
        create_tables(engine.endpoint_url, Template.load(), log=lambda _: None)
        yield engine.endpoint_url
    finally:
        engine.stop()


@pytest.fixture(scope="module")
def emulated(packaged: Packaged) -> Packaged:
    try:
        emulator_binary()
        runtime_client_dir()
    except EmulatorUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    return packaged


def _event(folder: str, **ids: str) -> Any:
    text = (REPO_ROOT / "events" / folder / "http.json").read_text(encoding="utf-8")
    for placeholder, value in ids.items():
        text = text.replace(f"{placeholder}-REPLACE-ME", value)
    return json.loads(text)


def _call(packaged: Packaged, function: FunctionDefinition, event: Any, endpoint: str) -> tuple[int, Any]:
    ok, result = invoke_built(function, event, endpoint_url=endpoint, packaged=packaged)
    assert ok, result
    return int(result["statusCode"]), json.loads(result["body"])


def test_create_apply_unapply_through_the_emulator(
    emulated: Packaged, endpoint: str, template_functions: dict[str, FunctionDefinition]
) -> None:
    def call(logical_id: str, event: Any) -> tuple[int, Any]:
        return _call(emulated, template_functions[logical_id], event, endpoint)

    status, invoice = call("CreateInvoiceFunction", _event("create_invoice"))
    assert status == 201, invoice
    status, memo = call("CreateCreditMemoFunction", _event("create_credit_memo"))
    assert status == 201 and memo["status"] == "Posted", memo
    memo_balance, invoice_balance = Decimal(memo["balance"]), Decimal(invoice["balance"])

    event = _event("apply_credit_memo", cm=memo["id"], inv=invoice["id"])
    status, applied = call("ApplyCreditMemoFunction", event)
    assert status == 200, applied
    (record,) = applied["applications"]
    amount = Decimal(record["amount"])
    assert amount > 0
    assert Decimal(applied["creditMemo"]["balance"]) == memo_balance - amount
    assert Decimal(record["invoiceBalance"]) == invoice_balance - amount

    event = _event("unapply_credit_memo_application", cma=record["id"])
    status, unapplied = call("UnapplyCreditMemoApplicationFunction", event)
    assert status == 200, unapplied
    assert unapplied["type"] == "Unapplied" and unapplied["associatedApplicationId"] == record["id"]
    assert Decimal(unapplied["creditMemoBalance"]) == memo_balance
    assert Decimal(unapplied["invoiceBalance"]) == invoice_balance
