"""Exactly-once mutations: replays, mismatches, and a crash right after the commit."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from credit_memos.adapters.dynamodb.keys import idempotency_key
from credit_memos.api.runtime import get_dynamodb_client
from credit_memos.usecases.runner import stored_key

from tests.builders import create_invoice, create_memo
from tests.harness import TABLE_NAME, Api, invoke


class SimulatedCrash(BaseException):
    """The Lambda process dying: not an Exception, so no handler code catches it."""


def _seed(api: Api, level: str = "Invoice") -> tuple[dict[str, Any], dict[str, Any]]:
    return create_invoice(api, "300.00", "-100.00", "50.00", level=level), create_memo(api, "80.00")


def _crash_after_commit(operation: str) -> Callable[[], None]:
    """Kill the request right after DynamoDB committed ``operation`` (once)."""
    events = get_dynamodb_client().meta.events
    fired = {"done": False}

    def crash(**_: Any) -> None:
        if not fired["done"]:
            fired["done"] = True
            raise SimulatedCrash

    events.register(f"after-call.dynamodb.{operation}", crash, unique_id="crash-after-commit")
    return lambda: events.unregister(f"after-call.dynamodb.{operation}", unique_id="crash-after-commit")


def _count_items(prefix: str) -> int:
    """Documents stored under ``prefix`` (their headers: a document's line chunks share its pk)."""
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(TABLE_NAME)
    return sum(
        1 for item in table.scan()["Items"] if item["pk"].startswith(prefix) and item["sk"] == prefix[:-1]
    )


def test_replay_returns_the_first_response_and_changes_nothing(api: Api) -> None:
    inv, memo = _seed(api)
    body = {"applications": [{"invoiceId": inv["id"], "amount": "30.00"}]}
    headers = {"Idempotency-Key": "apply-1"}
    first = api.post(f"/credit-memos/{memo['id']}/actions/apply", body, headers=headers)
    second = api.post(f"/credit-memos/{memo['id']}/actions/apply", body, headers=headers)
    assert first.status == second.status == 200
    assert second.body == first.body
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert api.get(f"/credit-memos/{memo['id']}").body["balance"] == "50.00"
    assert api.get(f"/invoices/{inv['id']}").body["balance"] == "220.00"


def test_same_key_other_body_is_a_mismatch(api: Api) -> None:
    inv, memo = _seed(api)
    headers = {"Idempotency-Key": "apply-2"}
    ok = api.post(
        f"/credit-memos/{memo['id']}/actions/apply",
        {"applications": [{"invoiceId": inv["id"], "amount": "10.00"}]},
        headers=headers,
    )
    assert ok.status == 200
    other = api.post(
        f"/credit-memos/{memo['id']}/actions/apply",
        {"applications": [{"invoiceId": inv["id"], "amount": "11.00"}]},
        headers=headers,
    )
    assert other.status == 422 and other.body["errorCode"] == "IDEMPOTENCY_KEY_MISMATCH"
    assert api.get(f"/credit-memos/{memo['id']}").body["balance"] == "70.00"


def test_create_replays_with_the_same_id(api: Api) -> None:
    body = {"billingAccountId": "acct-9", "currency": "EUR", "lines": [{"chargeAmount": "10"}]}
    first = api.post("/invoices", body, headers={"Idempotency-Key": "create-1"})
    again = api.post("/invoices", body, headers={"Idempotency-Key": "create-1"})
    assert first.status == again.status == 201 and first.body["id"] == again.body["id"]
    assert len(api.get("/invoices", query={"billingAccountId": "acct-9"}).body["items"]) == 1


def test_keys_live_at_least_24_hours(api: Api) -> None:
    api.post(
        "/invoices",
        {"billingAccountId": "acct-9", "currency": "EUR", "lines": [{"chargeAmount": "10"}]},
        headers={"Idempotency-Key": "ttl-1"},
    )
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(TABLE_NAME)
    record = table.get_item(Key=idempotency_key("CreateInvoice", stored_key("local", "ttl-1")))["Item"]
    assert int(record["expiresAt"]) >= time.time() + 24 * 3600


def test_invalid_keys_are_rejected(api: Api) -> None:
    body = {"billingAccountId": "acct-9", "currency": "EUR", "lines": [{"chargeAmount": "10"}]}
    for key in ["x" * 256, "has space", "tab\tkey"]:
        r = api.post("/invoices", body, headers={"Idempotency-Key": key})
        assert r.status == 422 and r.body["errorCode"] == "VALIDATION_ERROR", (key, r)
    assert api.get("/invoices", query={"billingAccountId": "acct-9"}).body["items"] == []


MUTATIONS: list[tuple[str, str, Callable[[dict[str, Any], dict[str, Any]], tuple[str, dict[str, Any]]]]] = [
    (
        "create invoice",
        "TransactWriteItems",
        lambda inv, memo: (
            "/invoices",
            {"billingAccountId": "acct-1", "currency": "USD", "lines": [{"chargeAmount": "5.00"}]},
        ),
    ),
    (
        "create memo",
        "TransactWriteItems",
        lambda inv, memo: (
            "/credit-memos",
            {
                "billingAccountId": "acct-1",
                "currency": "USD",
                "charges": [{"chargeAmount": "5.00", "productId": "x"}],
            },
        ),
    ),
    (
        "apply",
        "TransactWriteItems",
        lambda inv, memo: (
            f"/credit-memos/{memo['id']}/actions/apply",
            {"applications": [{"invoiceId": inv["id"], "amount": "25.00"}]},
        ),
    ),
    (
        "credit",
        "TransactWriteItems",
        lambda inv, memo: (
            f"/invoices/{inv['id']}/actions/credit",
            {
                "taxStrategy": "Ignore",
                "invoiceLines": [{"invoiceLineId": inv["lines"][0]["id"], "amountToCredit": "40"}],
            },
        ),
    ),
    (
        "convert",
        "TransactWriteItems",
        lambda inv, memo: (f"/invoices/{inv['id']}/actions/convert-to-credit", {}),
    ),
    ("void", "TransactWriteItems", lambda inv, memo: (f"/credit-memos/{memo['id']}/actions/void", {})),
    (
        "record payment",
        "TransactWriteItems",
        lambda inv, memo: (
            f"/invoices/{inv['id']}/actions/record-payment",
            {"amount": "30.00", "paymentReference": "crash-wire"},
        ),
    ),
]


@pytest.mark.parametrize(("name", "operation", "request_for"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_crash_after_commit_then_retry_has_one_effect(
    api: Api, name: str, operation: str, request_for: Callable[..., tuple[str, dict[str, Any]]]
) -> None:
    inv, memo = _seed(api)
    path, body = request_for(inv, memo)
    headers = {"Idempotency-Key": f"crash-{name.replace(' ', '-')}"}
    before_memos = _count_items("MEMO#")
    before_invoices = _count_items("INVOICE#")
    before_payments = _count_items("PAYMENT#")
    stop = _crash_after_commit(operation)
    try:
        with pytest.raises(SimulatedCrash):
            api.post(path, body, headers=headers)
    finally:
        stop()
    retry = api.post(path, body, headers=headers)
    assert retry.status in (200, 201), retry
    assert retry.headers.get("Idempotent-Replayed") == "true"
    again = api.post(path, body, headers=headers)
    assert again.body == retry.body
    # Exactly one effect, whichever operation it was.
    created_memos = _count_items("MEMO#") - before_memos
    created_invoices = _count_items("INVOICE#") - before_invoices
    assert created_invoices == (1 if name == "create invoice" else 0)
    assert created_memos == (1 if name in ("create memo", "credit", "convert") else 0)
    assert _count_items("PAYMENT#") - before_payments == (1 if name == "record payment" else 0)
    invoice = api.get(f"/invoices/{inv['id']}").body
    memo_now = api.get(f"/credit-memos/{memo['id']}").body
    expected_invoice_balance = {
        "apply": "225.00",
        "credit": "210.00",
        "convert": "250.00",
        "record payment": "220.00",
    }.get(name, "250.00")
    assert invoice["balance"] == expected_invoice_balance, (name, invoice["balance"])
    expected_memo = {"apply": ("55.00", "Posted"), "void": ("0.00", "Voided")}.get(name, ("80.00", "Posted"))
    assert (memo_now["balance"], memo_now["status"]) == expected_memo


def test_direct_invocation_is_idempotent_too(api: Api) -> None:
    inv, memo = _seed(api)
    payload = {"creditMemoId": memo["id"], "applications": [{"invoiceId": inv["id"], "amount": "5.00"}]}
    first = invoke("ApplyCreditMemoFunction", {**payload, "idempotencyKey": "sfn-exec-1:0"})
    second = invoke("ApplyCreditMemoFunction", {**payload, "idempotencyKey": "sfn-exec-1:0"})
    assert first == second
    assert api.get(f"/credit-memos/{memo['id']}").body["balance"] == "75.00"
