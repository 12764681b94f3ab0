"""Fault injection: throttling, transaction conflicts and timeouts at every DynamoDB call.

For each mutating operation, each DynamoDB call it makes, and each fault, the first
attempt meets the fault. Afterwards the client has a success or a retryable error
(never a 500), every invariant holds, and a retry with the same Idempotency-Key
leaves the documents exactly as one clean request does.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from credit_memos.api.runtime import get_dynamodb_client

from tests.builders import apply_memo, create_invoice, create_memo, refund_memo
from tests.harness import Api

Scenario = Callable[[Api], tuple[str, dict[str, Any], list[str], list[str]]]


def _invoice(api: Api, level: str = "Invoice", status: str = "Posted") -> dict[str, Any]:
    return create_invoice(api, ("300.00", "30.00"), "-100.00", "50.00", level=level, status=status)


def _memo(api: Api, status: str = "Posted") -> dict[str, Any]:
    return create_memo(api, "60.00", "40.00", status=status)


def _applied(api: Api, level: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    inv, memo = _invoice(api, level), _memo(api)
    r = apply_memo(api, memo, (inv, None))
    return inv, memo, r.body["applications"][0]["id"]


def scenario_create_invoice(api: Api) -> tuple[str, dict[str, Any], list[str], list[str]]:
    body = {"billingAccountId": "acct-2", "currency": "USD", "lines": [{"chargeAmount": "10.00"}]}
    return "/invoices", body, [], []


def scenario_create_memo(api: Api) -> tuple[str, dict[str, Any], list[str], list[str]]:
    body = {
        "billingAccountId": "acct-2",
        "currency": "USD",
        "charges": [{"chargeAmount": "1", "productId": "p"}],
    }
    return "/credit-memos", body, [], []


def scenario_post_invoice(api: Api) -> tuple[str, dict[str, Any], list[str], list[str]]:
    inv = _invoice(api, status="Draft")
    return f"/invoices/{inv['id']}/actions/post", {}, [], [inv["id"]]


def scenario_post_memo(api: Api) -> tuple[str, dict[str, Any], list[str], list[str]]:
    memo = _memo(api, status="Draft")
    return f"/credit-memos/{memo['id']}/actions/post", {}, [memo["id"]], []


def scenario_void(api: Api) -> tuple[str, dict[str, Any], list[str], list[str]]:
    memo = _memo(api)
    return f"/credit-memos/{memo['id']}/actions/void", {}, [memo["id"]], []


def scenario_apply(api: Api) -> tuple[str, dict[str, Any], list[str], list[str]]:
    inv, memo = _invoice(api), _memo(api)
    body = {"applications": [{"invoiceId": inv["id"], "amount": "70.00"}]}
    return f"/credit-memos/{memo['id']}/actions/apply", body, [memo["id"]], [inv["id"]]


def scenario_apply_line_level(api: Api) -> tuple[str, dict[str, Any], list[str], list[str]]:
    inv, memo = _invoice(api, "InvoiceLine"), _memo(api)
    body = {"applications": [{"invoiceId": inv["id"]}]}
    return f"/credit-memos/{memo['id']}/actions/apply", body, [memo["id"]], [inv["id"]]


def scenario_apply_memo_line(api: Api) -> tuple[str, dict[str, Any], list[str], list[str]]:
    inv, memo = _invoice(api, "InvoiceLine"), _memo(api)
    target = {"invoiceId": inv["id"], "invoiceLineId": inv["lines"][2]["id"], "amount": "20.00"}
    path = f"/credit-memos/{memo['id']}/lines/{memo['lines'][0]['id']}/actions/apply"
    return path, {"applications": [target]}, [memo["id"]], [inv["id"]]


def scenario_unapply(api: Api) -> tuple[str, dict[str, Any], list[str], list[str]]:
    inv, memo, application_id = _applied(api, "Invoice")
    return f"/credit-memo-applications/{application_id}/actions/unapply", {}, [memo["id"]], [inv["id"]]


def scenario_unapply_line(api: Api) -> tuple[str, dict[str, Any], list[str], list[str]]:
    inv, memo, application_id = _applied(api, "InvoiceLine")
    return f"/credit-memo-line-applications/{application_id}/actions/unapply", {}, [memo["id"]], [inv["id"]]


def scenario_credit(api: Api) -> tuple[str, dict[str, Any], list[str], list[str]]:
    inv = _invoice(api, "InvoiceLine")
    line = {"invoiceLineId": inv["lines"][0]["id"], "amountToCredit": "100.00"}
    body = {"taxStrategy": "CopyFromInvoiceLine", "invoiceLines": [line]}
    return f"/invoices/{inv['id']}/actions/credit", body, [], [inv["id"]]


def scenario_convert(api: Api) -> tuple[str, dict[str, Any], list[str], list[str]]:
    inv = _invoice(api)
    return f"/invoices/{inv['id']}/actions/convert-to-credit", {}, [], [inv["id"]]


def scenario_record_payment(api: Api) -> tuple[str, dict[str, Any], list[str], list[str]]:
    inv = _invoice(api, "InvoiceLine")
    body = {"amount": "150.00", "paymentReference": "wire-1"}
    return f"/invoices/{inv['id']}/actions/record-payment", body, [], [inv["id"]]


def scenario_reverse_payment(api: Api) -> tuple[str, dict[str, Any], list[str], list[str]]:
    inv = _invoice(api, "InvoiceLine")
    paid = api.post(
        f"/invoices/{inv['id']}/actions/record-payment", {"amount": "150.00", "paymentReference": "w"}
    )
    return f"/invoice-payments/{paid.body['id']}/actions/reverse", {}, [], [inv["id"]]


def scenario_refund(api: Api) -> tuple[str, dict[str, Any], list[str], list[str]]:
    memo = _memo(api)
    body = {"amount": "20.00", "refundReference": "ach-1"}
    return f"/credit-memos/{memo['id']}/actions/refund", body, [memo["id"]], []


def scenario_reverse_refund(api: Api) -> tuple[str, dict[str, Any], list[str], list[str]]:
    memo = _memo(api)
    refund = refund_memo(api, memo, "20.00", "ach-1")
    return f"/credit-memo-refunds/{refund.body['id']}/actions/reverse", {}, [memo["id"]], []


def scenario_write_off(api: Api) -> tuple[str, dict[str, Any], list[str], list[str]]:
    invoices = [_invoice(api), _invoice(api, "InvoiceLine")]
    body = {"invoices": [{"invoiceId": inv["id"], "reasonCode": "BadDebt"} for inv in invoices]}
    return "/invoices/actions/write-off", body, [], [inv["id"] for inv in invoices]


SCENARIOS: dict[str, Scenario] = {
    name.removeprefix("scenario_"): fn for name, fn in globals().items() if name.startswith("scenario_")
}


def _throttle(operation: str) -> Exception:
    error = {"Code": "ProvisionedThroughputExceededException", "Message": "Rate exceeded"}
    return ClientError({"Error": error}, operation)


def _conflict(operation: str) -> Exception:
    if operation == "TransactWriteItems":
        response = {
            "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
            "CancellationReasons": [{"Code": "TransactionConflict"}, {"Code": "None"}],
        }
        return ClientError(response, operation)  # type: ignore[arg-type]
    return ClientError({"Error": {"Code": "TransactionConflictException", "Message": "conflict"}}, operation)


def _timeout(operation: str) -> Exception:
    return ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")


FAULTS: dict[str, tuple[str, Callable[[str], Exception]]] = {
    "throttled": ("before-call", _throttle),
    "conflict": ("before-call", _conflict),
    "timeout": ("before-call", _timeout),
    # The write reached DynamoDB and committed, but its answer never came back.
    "timeout-after-commit": ("after-call", _timeout),
}


class _Injector:
    """Counts DynamoDB calls; raises ``fault`` at call number ``at`` (once)."""

    def __init__(self, stage: str, fault: Callable[[str], Exception] | None, at: int) -> None:
        self.stage, self.fault, self.at, self.calls = stage, fault, at, 0
        self.events = get_dynamodb_client().meta.events
        self.events.register(f"{stage}.dynamodb", self, unique_id="fault-injector")

    def __call__(self, event_name: str, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        self.calls += 1
        if self.fault is not None and self.calls == self.at:
            raise self.fault(operation)

    def stop(self) -> None:
        self.events.unregister(f"{self.stage}.dynamodb", unique_id="fault-injector")


def _state(api: Api, memo_ids: list[str], invoice_ids: list[str]) -> dict[str, Any]:
    """What a user sees of the documents, with the invariants of spec section 2 checked."""
    state: dict[str, Any] = {}
    for memo_id in memo_ids:
        memo = api.get(f"/credit-memos/{memo_id}").body
        records = api.get(f"/credit-memos/{memo_id}/applications").body["items"]
        active = sum(Decimal(r["amount"]) for r in records if r["hasBeenUnapplied"] == "No")
        refunds = api.get(f"/credit-memos/{memo_id}/refunds").body["items"]
        refunded = sum(Decimal(r["amount"]) for r in refunds if r["hasBeenReversed"] == "No")
        assert Decimal(memo["netRefunds"]) == refunded
        assert Decimal(memo["balance"]) == (
            Decimal(memo["totalAmountWithTax"]) - active - refunded if memo["status"] != "Voided" else 0
        )
        for line in memo["lines"]:
            line_active = sum(
                Decimal(r["amount"])
                for r in records
                if r["hasBeenUnapplied"] == "No" and r.get("creditMemoLineId") == line["id"]
            )
            if memo["status"] != "Voided":
                line_refunded = sum(
                    Decimal(a["amount"])
                    for r in refunds
                    if r["hasBeenReversed"] == "No"
                    for a in r["lineAllocations"]
                    if a["creditMemoLineId"] == line["id"]
                )
                assert Decimal(line["netRefunds"]) == line_refunded
                assert (
                    Decimal(line["balance"]) == Decimal(line["amountWithTax"]) - line_active - line_refunded
                )
        state[f"memo{len(state)}"] = (
            memo["status"],
            memo["balance"],
            [x["balance"] for x in memo["lines"]],
            len(records),
            [(r["type"], r["amount"], r["hasBeenReversed"]) for r in refunds],
        )
    for invoice_id in invoice_ids:
        invoice = api.get(f"/invoices/{invoice_id}").body
        records = api.get(f"/invoices/{invoice_id}/applications").body["items"]
        active = sum(Decimal(r["amount"]) for r in records if r["hasBeenUnapplied"] == "No")
        payments = api.get(f"/invoices/{invoice_id}/payments").body["items"]
        paid = sum(Decimal(p["amount"]) for p in payments if p["hasBeenReversed"] == "No")
        expected = (
            Decimal(invoice["totalAmountWithTax"])
            - Decimal(invoice["totalConvertedNegAmount"])
            - active
            - paid
        )
        assert Decimal(invoice["balance"]) == expected >= 0
        assert Decimal(invoice["netPaymentsApplied"]) == paid
        if invoice["settlementLevel"] == "InvoiceLine":
            assert Decimal(invoice["balance"]) == sum(Decimal(x["balance"]) for x in invoice["lines"])
        state[f"invoice{len(state)}"] = (
            invoice["status"],
            invoice["balance"],
            [x["balance"] for x in invoice["lines"]],
            len(records),
            [(p["type"], p["amount"], p["hasBeenReversed"]) for p in payments],
        )
    return state


def _calls_made(api: Api, scenario: Scenario) -> int:
    path, body, _, _ = scenario(api)
    counter = _Injector("before-call", None, 0)
    try:
        api.post(path, body, headers={"Idempotency-Key": "count-calls"})
    finally:
        counter.stop()
    return counter.calls


@pytest.mark.parametrize("fault_name", list(FAULTS))
@pytest.mark.parametrize("scenario_name", list(SCENARIOS))
def test_fault_at_every_call_leaves_one_effect_or_none(api: Api, scenario_name: str, fault_name: str) -> None:
    scenario = SCENARIOS[scenario_name]
    stage, fault = FAULTS[fault_name]
    calls = _calls_made(api, scenario)
    assert calls >= 1
    # What one clean request leaves behind, on documents of its own.
    path, body, memo_ids, invoice_ids = scenario(api)
    clean = api.post(path, body, headers={"Idempotency-Key": "clean"})
    assert clean.status in (200, 201), clean
    expected = _state(api, memo_ids, invoice_ids)
    for at in range(1, calls + 1):
        path, body, memo_ids, invoice_ids = scenario(api)
        key = {"Idempotency-Key": f"{scenario_name}-{fault_name}-{at}"}
        injector = _Injector(stage, fault, at)
        try:
            first = api.post(path, body, headers=key)
        finally:
            injector.stop()
        assert first.status < 500 or first.status == 503, (at, first)
        if first.status >= 400:
            assert first.body["errorCode"] in ("SERVICE_UNAVAILABLE", "CONCURRENT_UPDATE"), (at, first)
            assert first.headers.get("Retry-After"), first
        _state(api, memo_ids, invoice_ids)  # invariants hold in between
        retry = api.post(path, body, headers=key)
        assert retry.status == clean.status, (at, retry)
        assert _state(api, memo_ids, invoice_ids) == expected, (scenario_name, fault_name, at)


@pytest.mark.parametrize("fault_name", list(FAULTS))
@pytest.mark.parametrize("scenario_name", ["apply", "credit", "write_off"])
def test_a_fault_in_a_dry_run_writes_nothing_and_leaves_the_key_unused(
    api: Api, scenario_name: str, fault_name: str
) -> None:
    """A dry run meeting a fault at any of its calls answers what it would do or a retryable
    error; either way nothing is written, and the real call under the same key then does the work."""
    scenario = SCENARIOS[scenario_name]
    stage, fault = FAULTS[fault_name]
    path, body, _, _ = scenario(api)
    counter = _Injector("before-call", None, 0)
    try:
        api.post(path, body, headers={"Idempotency-Key": "count-dry-calls"}, query={"dryRun": "true"})
    finally:
        counter.stop()
    for at in range(1, counter.calls + 1):
        path, body, memo_ids, invoice_ids = scenario(api)
        before = _state(api, memo_ids, invoice_ids)
        key = {"Idempotency-Key": f"dry-{scenario_name}-{fault_name}-{at}"}
        injector = _Injector(stage, fault, at)
        try:
            dry = api.post(path, body, headers=key, query={"dryRun": "true"})
        finally:
            injector.stop()
        if dry.status >= 400:
            assert dry.body["errorCode"] in ("SERVICE_UNAVAILABLE", "CONCURRENT_UPDATE"), (at, dry)
        else:
            assert dry.status == 200 and dry.headers.get("Dry-Run") == "true", (at, dry)
        assert _state(api, memo_ids, invoice_ids) == before, (at, "a dry run wrote")
        real = api.post(path, body, headers=key)
        assert real.status in (200, 201) and "Idempotent-Replayed" not in real.headers, (at, real)
