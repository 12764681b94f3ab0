"""Idempotency of failures (spec section 6): deterministic rejections are kept under their key."""

from __future__ import annotations

from typing import Any

import boto3
from credit_memos.adapters.dynamodb.keys import idempotency_key
from credit_memos.usecases.runner import stored_key

from tests.builders import create_invoice, create_memo
from tests.harness import TABLE_NAME, Api, invoke, template

ACCOUNT = "acct-rejections"


def _table() -> Any:
    return boto3.resource("dynamodb", region_name="us-east-1").Table(TABLE_NAME)


def _invoice(api: Api, amount: str) -> dict[str, Any]:
    return create_invoice(api, amount, account=ACCOUNT)


def _memo(api: Api, amount: str) -> dict[str, Any]:
    return create_memo(api, amount, account=ACCOUNT)


def test_insufficient_balance_is_replayed_even_after_the_balance_came_back(api: Api) -> None:
    invoice, first, second = _invoice(api, "30.00"), _memo(api, "25.00"), _memo(api, "20.00")
    applied = api.post(
        f"/credit-memos/{first['id']}/actions/apply", {"applications": [{"invoiceId": invoice["id"]}]}
    )
    assert applied.status == 200 and applied.body["applications"][0]["invoiceBalance"] == "5.00"
    request = {"applications": [{"invoiceId": invoice["id"], "amount": "20.00"}]}
    key = {"Idempotency-Key": "apply-20-after-5-left"}
    rejected = api.post(f"/credit-memos/{second['id']}/actions/apply", request, headers=key)
    assert (rejected.status, rejected.body["errorCode"]) == (409, "INSUFFICIENT_BALANCE")

    # The balance comes back: the same request without a key would now succeed...
    record = applied.body["applications"][0]["id"]
    assert api.post(f"/credit-memo-applications/{record}/actions/unapply", {}).status == 200
    # ...but under its key it gets the first answer again, and changes nothing.
    again = api.post(f"/credit-memos/{second['id']}/actions/apply", request, headers=key)
    assert (again.status, again.body, again.headers.get("Idempotent-Replayed")) == (
        409,
        rejected.body,
        "true",
    )
    assert api.get(f"/invoices/{invoice['id']}").body["balance"] == "30.00"
    assert api.get(f"/credit-memos/{second['id']}").body["balance"] == "20.00"
    # A different request under the key is a mismatch, as after a success.
    other = api.post(
        f"/credit-memos/{second['id']}/actions/apply",
        {"applications": [{"invoiceId": invoice["id"]}]},
        headers=key,
    )
    assert (other.status, other.body["errorCode"]) == (422, "IDEMPOTENCY_KEY_MISMATCH")


def test_a_rejection_by_the_rules_is_stored_with_its_field(api: Api) -> None:
    body = {"billingAccountId": ACCOUNT, "currency": "USD", "lines": [{"chargeAmount": "1.001"}]}
    key = {"Idempotency-Key": "too-precise"}
    first = api.post("/invoices", body, headers=key)
    assert (first.status, first.body["errorCode"]) == (422, "VALIDATION_ERROR")
    assert first.body["details"] == [{"field": "lines[0].chargeAmount"}]
    again = api.post("/invoices", body, headers=key)
    assert (again.status, again.body, again.headers.get("Idempotent-Replayed")) == (422, first.body, "true")


def test_not_found_is_stored_and_replayed_on_direct_invocation_too(api: Api) -> None:
    memo = _memo(api, "5.00")
    payload = {
        "creditMemoId": memo["id"],
        "idempotencyKey": "apply-to-nothing",
        "applications": [{"invoiceId": "inv_does_not_exist"}],
    }
    for attempt in range(2):
        try:
            invoke("ApplyCreditMemoFunction", dict(payload))
        except Exception as error:  # the function raises the error named after its code
            assert type(error).__name__ == "NotFound"
        else:
            raise AssertionError("expected NotFound")
        # A direct invocation without an actor is made by its function.
        principal = f"lambda:{template().find_function('ApplyCreditMemoFunction').function_name}"
        stored = _table().get_item(
            Key=idempotency_key("ApplyCreditMemo", stored_key(principal, "apply-to-nothing"))
        )
        assert stored["Item"]["errorCode"] == "NOT_FOUND", attempt


def test_a_request_that_failed_schema_validation_is_not_stored(api: Api) -> None:
    key = {"Idempotency-Key": "first-try-was-malformed"}
    bad = api.post("/invoices", {"billingAccountId": ACCOUNT, "currency": "USD", "lines": []}, headers=key)
    assert bad.status == 422
    good = api.post(
        "/invoices",
        {"billingAccountId": ACCOUNT, "currency": "USD", "lines": [{"chargeAmount": "1.00"}]},
        headers=key,
    )
    assert good.status == 201 and "Idempotent-Replayed" not in good.headers
    stored = _table().get_item(
        Key=idempotency_key("CreateInvoice", stored_key("local", "first-try-was-malformed"))
    )
    assert "errorCode" not in stored["Item"]
