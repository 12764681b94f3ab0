"""Payments on invoices (spec section 8) over HTTP and direct invocation, on moto.

Status codes and error bodies, idempotent replays, the account's settlement plan once invoices
are paid, and what the invoice, its lines and its lists show.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.builders import create_invoice
from tests.harness import Api, invoke

ACCOUNT = "acct-pay"


def new_invoice(api: Api, *amounts: str, level: str = "Invoice", status: str = "Posted") -> dict[str, Any]:
    return create_invoice(api, *amounts, account=ACCOUNT, level=level, status=status)


def pay(api: Api, invoice_id: str, amount: str, reference: str = "wire-1", **extra: Any) -> Any:
    return api.post(
        f"/invoices/{invoice_id}/actions/record-payment",
        {"amount": amount, "paymentReference": reference},
        **extra,
    )


def test_record_reverse_and_list_over_http(api: Api) -> None:
    invoice = new_invoice(api, "60.00", "40.00", level="InvoiceLine")
    r = api.post(
        f"/invoices/{invoice['id']}/actions/record-payment",
        {
            "amount": "70.00",
            "paymentReference": "wire-1",
            "effectiveDate": "2026-11-30",
            "description": "wire",
        },
    )
    assert r.status == 201, r
    payment = r.body
    assert payment["effectiveDate"] == "2026-11-30" and payment["description"] == "wire"
    assert payment["createdBy"] is not None
    lines = [line["id"] for line in invoice["lines"]]
    assert payment["lineAllocations"] == [
        {"invoiceLineId": lines[0], "amount": "60.00"},
        {"invoiceLineId": lines[1], "amount": "10.00"},
    ]
    got = api.get(f"/invoices/{invoice['id']}").body
    assert (got["balance"], got["netPaymentsApplied"], got["settlementStatus"]) == (
        "30.00",
        "70.00",
        "PartiallySettled",
    )
    listed = api.get("/invoices", query={"billingAccountId": ACCOUNT}).body["items"]
    assert [(i["netPaymentsApplied"], i["balance"]) for i in listed] == [("70.00", "30.00")]

    reversed_ = api.post(f"/invoice-payments/{payment['id']}/actions/reverse", None)
    assert reversed_.status == 200, reversed_
    assert reversed_.body["associatedPaymentId"] == payment["id"]
    again = api.post(f"/invoice-payments/{payment['id']}/actions/reverse", {})
    assert (again.status, again.body["errorCode"]) == (409, "ALREADY_REVERSED")
    got = api.get(f"/invoices/{invoice['id']}").body
    assert (got["balance"], got["netPaymentsApplied"], got["settlementStatus"]) == (
        "100.00",
        "0.00",
        "NotSettled",
    )
    history = api.get(f"/invoices/{invoice['id']}/payments").body
    assert [(x["type"], x["hasBeenReversed"]) for x in history["items"]] == [
        ("Payment", "Yes"),
        ("Reversal", "NA"),
    ]
    assert history["nextToken"] is None
    # Payments are not credit applications.
    assert api.get(f"/invoices/{invoice['id']}/applications").body["items"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "0", "paymentReference": "r"}, "amount"),
        ({"amount": "-1.00", "paymentReference": "r"}, "amount"),
        ({"amount": "1.001", "paymentReference": "r"}, "amount"),
        ({"amount": "1.00"}, "paymentReference"),
        ({"amount": "1.00", "paymentReference": ""}, "paymentReference"),
        ({"amount": "1.00", "paymentReference": "r" * 129}, "paymentReference"),
        ({"amount": "1.00", "paymentReference": "a\u0000b"}, "paymentReference"),
        ({"amount": "1.00", "paymentReference": "r", "reasonCode": "Goodwill"}, "reasonCode"),
        ({"amount": "1.00", "paymentReference": "r", "effectiveDate": "2026-13-01"}, "effectiveDate"),
    ],
)
def test_bad_payment_requests_are_422_and_change_nothing(api: Api, body: dict[str, Any], field: str) -> None:
    invoice = new_invoice(api)
    r = api.post(f"/invoices/{invoice['id']}/actions/record-payment", body)
    assert (r.status, r.body["errorCode"]) == (422, "VALIDATION_ERROR"), r
    assert any(
        field in (d.get("field") or "") for d in r.body.get("details") or [{"field": ""}]
    ) or field in str(r.body), r
    assert api.get(f"/invoices/{invoice['id']}").body == invoice


def test_payment_conflicts_and_not_found(api: Api) -> None:
    invoice = new_invoice(api, "50.00")
    draft = new_invoice(api, "50.00", status="Draft")
    assert pay(api, invoice["id"], "20.00", "chk").status == 201
    cases = [
        (pay(api, invoice["id"], "1.00", "chk"), 409, "DUPLICATE_REFERENCE"),
        (pay(api, invoice["id"], "30.01", "chk-2"), 409, "INSUFFICIENT_BALANCE"),
        (pay(api, draft["id"], "1.00"), 409, "INVALID_STATUS"),
        (pay(api, "inv_nope", "1.00"), 404, "NOT_FOUND"),
        (api.post("/invoice-payments/pay_nope/actions/reverse", {}), 404, "NOT_FOUND"),
        (api.get("/invoices/inv_nope/payments"), 404, "NOT_FOUND"),
        (
            api.get(f"/invoices/{invoice['id']}/payments", query={"nextToken": "garbage"}),
            422,
            "VALIDATION_ERROR",
        ),
        (
            api.post("/invoice-payments/pay_x/actions/reverse", {"reasonCode": "Nope"}),
            422,
            "VALIDATION_ERROR",
        ),
    ]
    for r, status, code in cases:
        assert (r.status, r.body["errorCode"]) == (status, code), r
    assert api.get(f"/invoices/{invoice['id']}").body["balance"] == "30.00"


def test_a_reversal_of_a_reversal_is_invalid_status(api: Api) -> None:
    invoice = new_invoice(api)
    payment = pay(api, invoice["id"], "5.00").body
    reversal = api.post(f"/invoice-payments/{payment['id']}/actions/reverse", {}).body
    r = api.post(f"/invoice-payments/{reversal['id']}/actions/reverse", {})
    assert (r.status, r.body["errorCode"]) == (409, "INVALID_STATUS")


def test_replays_under_an_idempotency_key(api: Api) -> None:
    invoice = new_invoice(api)
    headers = {"Idempotency-Key": "pay-once"}
    first = pay(api, invoice["id"], "10.00", headers=headers)
    again = pay(api, invoice["id"], "10.00", headers=headers)
    assert (first.status, again.status) == (201, 201)
    assert again.body == first.body and again.headers.get("Idempotent-Replayed") == "true"
    other = pay(api, invoice["id"], "11.00", headers=headers)
    assert (other.status, other.body["errorCode"]) == (422, "IDEMPOTENCY_KEY_MISMATCH")
    # A stored rejection replays even after the reference is freed.
    refused = pay(api, invoice["id"], "1.00", headers={"Idempotency-Key": "dup"})
    assert refused.body["errorCode"] == "DUPLICATE_REFERENCE"
    undo = {"Idempotency-Key": "undo-once"}
    reversed_ = api.post(f"/invoice-payments/{first.body['id']}/actions/reverse", {}, headers=undo)
    replay = api.post(f"/invoice-payments/{first.body['id']}/actions/reverse", {}, headers=undo)
    assert (reversed_.status, replay.status, replay.body) == (200, 200, reversed_.body)
    assert pay(api, invoice["id"], "1.00", headers={"Idempotency-Key": "dup"}).body["errorCode"] == (
        "DUPLICATE_REFERENCE"
    )
    assert pay(api, invoice["id"], "1.00").status == 201  # the reference is free again
    assert api.get(f"/invoices/{invoice['id']}").body["balance"] == "99.00"
    assert len(api.get(f"/invoices/{invoice['id']}/payments").body["items"]) == 3


def test_direct_invocation_returns_the_same_json_and_raises_by_error_code(api: Api) -> None:
    invoice = new_invoice(api)
    payment: Any = invoke(
        "RecordInvoicePaymentFunction",
        {"invoiceId": invoice["id"], "amount": 12.5, "paymentReference": "ach-1", "idempotencyKey": "k1"},
    )
    assert (payment["amount"], payment["createdBy"]) == ("12.50", "lambda:RecordInvoicePaymentFunction")
    replay: Any = invoke(
        "RecordInvoicePaymentFunction",
        {"invoiceId": invoice["id"], "amount": 12.5, "paymentReference": "ach-1", "idempotencyKey": "k1"},
    )
    assert replay == payment
    with pytest.raises(Exception) as raised:
        invoke(
            "RecordInvoicePaymentFunction",
            {"invoiceId": invoice["id"], "amount": "1000", "paymentReference": "x"},
        )
    assert type(raised.value).__name__ == "InsufficientBalance"
    reversal: Any = invoke(
        "ReverseInvoicePaymentFunction", {"paymentId": payment["id"], "reasonCode": "Other", "actor": "ops"}
    )
    assert (reversal["type"], reversal["createdBy"], reversal["reasonCode"]) == ("Reversal", "ops", "Other")
    with pytest.raises(Exception) as raised:
        invoke("ReverseInvoicePaymentFunction", {"paymentId": payment["id"]})
    assert type(raised.value).__name__ == "AlreadyReversed"
    listed: Any = invoke("ListInvoicePaymentsFunction", {"invoiceId": invoice["id"], "limit": 1})
    assert [x["id"] for x in listed["items"]] == [payment["id"]] and listed["nextToken"]
    rest: Any = invoke(
        "ListInvoicePaymentsFunction", {"invoiceId": invoice["id"], "nextToken": listed["nextToken"]}
    )
    assert [x["id"] for x in rest["items"]] == [reversal["id"]]


def test_the_settlement_plan_never_puts_credit_onto_what_was_paid(api: Api) -> None:
    paid = new_invoice(api, "100.00")
    partly = new_invoice(api, "100.00")
    assert pay(api, paid["id"], "100.00").status == 201
    assert pay(api, partly["id"], "65.00").status == 201
    memo = api.post(
        "/credit-memos",
        {
            "billingAccountId": ACCOUNT,
            "currency": "USD",
            "charges": [{"chargeAmount": "500.00", "productName": "x"}],
        },
    ).body
    plan: Any = invoke(
        "PlanAccountCreditsFunction",
        {"action": "plan", "executionId": "exec-1", "request": {"billingAccountId": ACCOUNT}},
    )
    assert [(i["invoiceId"], i["amount"]) for i in plan["items"]] == [(partly["id"], "35.00")]
    assert plan["plannedTotals"] == {"USD": "35.00"}
    # Applying the plan leaves the partly paid invoice settled, the memo with the rest.
    item = plan["items"][0]
    applied = api.post(f"/credit-memos/{memo['id']}/actions/apply", {"applications": item["applications"]})
    assert applied.status == 200, applied
    assert api.get(f"/invoices/{partly['id']}").body["settlementStatus"] == "Settled"
    assert Decimal(api.get(f"/credit-memos/{memo['id']}").body["balance"]) == Decimal("465.00")
