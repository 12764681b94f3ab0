"""Documents at the contract's limit (300 lines) on DynamoDB Local, over HTTP through the real handlers.

Each request below is one DynamoDB transaction on the real engine, so it is all-or-nothing within
the engine's real limits (400 KB per item, 100 items and 4 MB per transaction). A request either
works, with exact balances, or is refused with a clean 422; never a 500, and never half done.
"""

from __future__ import annotations

import json
from decimal import ROUND_DOWN, Decimal
from typing import Any

import pytest

from tests.builders import create_invoice, create_memo
from tests.harness import Api
from tests.integration.support import (
    apply_with_long_description,
    check,
    check_invoice,
    check_memo,
    money,
    multibyte_invoice,
    new_account,
)

pytestmark = pytest.mark.integration

MAX_LINES = 300
LONG_NAME = "N" * 255
LONG_DESCRIPTION = "D" * 255
LONG_PRODUCT_ID = "P" * 128


def spread(
    invoice_balances: list[Decimal], memo_balances: list[Decimal], amount: Decimal
) -> list[tuple[int, int, Decimal]]:
    """The contract's spreading, independently: (memo line, invoice line, amount) in order.

    Both sides are drawn highest balance first, ties in document order.
    """
    invoice = sorted((i for i, b in enumerate(invoice_balances) if b > 0), key=lambda i: -invoice_balances[i])
    memo = sorted((m for m, b in enumerate(memo_balances) if b > 0), key=lambda m: -memo_balances[m])
    invoice_left, memo_left = list(invoice_balances), list(memo_balances)
    moves: list[tuple[int, int, Decimal]] = []
    i = m = 0
    while amount > 0:
        step = min(amount, invoice_left[invoice[i]], memo_left[memo[m]])
        moves.append((memo[m], invoice[i], step))
        amount -= step
        invoice_left[invoice[i]] -= step
        memo_left[memo[m]] -= step
        i += invoice_left[invoice[i]] == 0
        m += memo_left[memo[m]] == 0
    return moves


def line_balances(document: dict[str, Any]) -> list[Decimal]:
    return [money(line["balance"]) for line in document["lines"]]


# ---------------------------------------------------------------- apply and unapply


def test_apply_a_300_line_memo_across_a_300_line_invoice_in_one_request(api: Api) -> None:
    account = new_account()
    invoice = create_invoice(
        api,
        *[
            {"chargeAmount": "10.00", "taxAmount": "1.00", "productName": f"Seat {n}"}
            for n in range(MAX_LINES)
        ],
        account=account,
        level="InvoiceLine",
    )
    # Line amounts that never line up with the invoice's, so almost every step splits a line.
    memo = create_memo(
        api,
        *[
            {"chargeAmount": f"{9 + n % 3}.{n % 100:02d}", "productName": f"Seat {n}"}
            for n in range(MAX_LINES)
        ],
        account=account,
    )
    assert len(invoice["lines"]) == len(memo["lines"]) == MAX_LINES
    amount = money(memo["totalAmountWithTax"])
    assert amount < money(invoice["totalAmountWithTax"])
    expected = spread(line_balances(invoice), line_balances(memo), amount)
    assert len(expected) > MAX_LINES  # records span every memo line and most invoice lines

    body = {"applications": [{"invoiceId": invoice["id"], "description": "Year-end true-up"}]}
    headers = {"Idempotency-Key": f"large-apply-{account}"}
    result = check(api.post(f"/credit-memos/{memo['id']}/actions/apply", body, headers=headers), 200)

    records = result["applications"]
    assert [(r["creditMemoLineId"], r["invoiceLineId"], money(r["amount"])) for r in records] == [
        (memo["lines"][m]["id"], invoice["lines"][i]["id"], step) for m, i, step in expected
    ]
    assert len({r["id"] for r in records}) == len(records)
    assert all(r["level"] == "InvoiceLine" and r["type"] == "Applied" for r in records)
    assert result["creditMemo"]["balance"] == "0.00"
    invoice_after, stored = check_invoice(api, invoice["id"])
    memo_after, _ = check_memo(api, memo["id"])
    assert len(stored) == len(records)
    assert money(invoice_after["balance"]) == money(invoice["totalAmountWithTax"]) - amount
    assert all(line["balance"] == "0.00" for line in memo_after["lines"])
    applied_per_line = [Decimal(0)] * MAX_LINES
    for _, i, step in expected:
        applied_per_line[i] += step
    assert line_balances(invoice_after) == [Decimal("11.00") - a for a in applied_per_line]

    replay = api.post(f"/credit-memos/{memo['id']}/actions/apply", body, headers=headers)
    assert replay.status == 200 and replay.body == result
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert check_invoice(api, invoice["id"])[0] == invoice_after

    # Unapply one record out of the middle: only its two lines move, by exactly its amount.
    record = records[len(records) // 2]
    on_level_route = api.post(f"/credit-memo-applications/{record['id']}/actions/unapply", {})
    assert on_level_route.status == 409 and on_level_route.body["errorCode"] == "LEVEL_MISMATCH"
    unapplied = check(api.post(f"/credit-memo-line-applications/{record['id']}/actions/unapply", {}), 200)
    assert unapplied["type"] == "Unapplied" and unapplied["associatedApplicationId"] == record["id"]
    assert unapplied["amount"] == record["amount"]
    invoice_final, history = check_invoice(api, invoice["id"])
    memo_final, _ = check_memo(api, memo["id"])
    assert len(history) == len(records) + 1
    delta = money(record["amount"])
    assert money(invoice_final["balance"]) == money(invoice_after["balance"]) + delta
    assert money(memo_final["balance"]) == delta
    for before, after in zip(invoice_after["lines"], invoice_final["lines"], strict=True):
        change = delta if before["id"] == record["invoiceLineId"] else 0
        assert money(after["balance"]) == money(before["balance"]) + change
    for before, after in zip(memo_after["lines"], memo_final["lines"], strict=True):
        change = delta if before["id"] == record["creditMemoLineId"] else 0
        assert money(after["balance"]) == money(before["balance"]) + change
    again = api.post(f"/credit-memo-line-applications/{record['id']}/actions/unapply", {})
    assert again.status == 409 and again.body["errorCode"] == "ALREADY_UNAPPLIED"


# ---------------------------------------------------------------- credit from invoice lines


@pytest.mark.parametrize("level", ["Invoice", "InvoiceLine"])
def test_credit_all_300_lines_of_an_invoice_with_copied_tax(api: Api, level: str) -> None:
    account = new_account()
    invoice = create_invoice(
        api,
        *[{"chargeAmount": "10.00", "taxAmount": "0.83", "productId": f"sku-{n}"} for n in range(MAX_LINES)],
        account=account,
        level=level,
    )
    body = {
        "taxStrategy": "CopyFromInvoiceLine",
        "description": "Service outage credit",
        "invoiceLines": [
            {"invoiceLineId": line["id"], "amountToCredit": "3.33"} for line in invoice["lines"]
        ],
    }
    headers = {"Idempotency-Key": f"large-credit-{account}"}
    result = check(api.post(f"/invoices/{invoice['id']}/actions/credit", body, headers=headers), 201)

    tax = (Decimal("0.83") * Decimal("3.33") / Decimal("10.00")).quantize(
        Decimal("0.01"), rounding=ROUND_DOWN
    )
    memo = result["creditMemo"]
    assert memo["sourceAction"] == "Invoice" and memo["status"] == "Posted"
    assert len(memo["lines"]) == MAX_LINES
    for memo_line, invoice_line in zip(memo["lines"], invoice["lines"], strict=True):
        assert memo_line["referenceInvoiceLineId"] == invoice_line["id"]
        assert memo_line["productId"] == invoice_line["productId"]
        assert (money(memo_line["chargeAmount"]), money(memo_line["taxAmount"])) == (Decimal("3.33"), tax)
    total = (Decimal("3.33") + tax) * MAX_LINES
    assert money(memo["totalAmountWithTax"]) == total and memo["balance"] == "0.00"
    assert len(result["applications"]) == (MAX_LINES if level == "InvoiceLine" else 1)
    assert sum((money(a["amount"]) for a in result["applications"]), Decimal(0)) == total

    invoice_after, _ = check_invoice(api, invoice["id"])
    check_memo(api, memo["id"])
    assert money(invoice_after["balance"]) == money(invoice["totalAmountWithTax"]) - total
    if level == "InvoiceLine":
        assert set(line_balances(invoice_after)) == {Decimal("10.83") - Decimal("3.33") - tax}
    replay = api.post(f"/invoices/{invoice['id']}/actions/credit", body, headers=headers)
    assert (replay.status, replay.body) == (201, result)


# ---------------------------------------------------------------- negative line conversion


@pytest.mark.parametrize("level", ["Invoice", "InvoiceLine"])
def test_convert_150_negative_lines_of_a_300_line_invoice(api: Api, level: str) -> None:
    account = new_account()
    lines = [
        {"chargeAmount": "20.00", "taxAmount": "2.00"}
        if n % 2 == 0
        else {"chargeAmount": "-10.00", "taxAmount": "-1.00"}
        for n in range(MAX_LINES)
    ]
    invoice = create_invoice(api, *lines, account=account, level=level)
    assert invoice["balance"] == "1650.00"  # 150 x 22.00 - 150 x 11.00

    result = check(api.post(f"/invoices/{invoice['id']}/actions/convert-to-credit", {}), 201)

    memo = result["creditMemo"]
    assert memo["sourceAction"] == "NegativeInvoiceLineConversion"
    assert len(memo["lines"]) == 150 and memo["totalAmountWithTax"] == "1650.00"
    negatives = [line["id"] for line in invoice["lines"][1::2]]
    assert [line["referenceInvoiceLineId"] for line in memo["lines"]] == negatives
    assert all((line["chargeAmount"], line["taxAmount"]) == ("10.00", "1.00") for line in memo["lines"])
    applied = sum((money(a["amount"]) for a in result["applications"]), Decimal(0))
    assert applied == Decimal("1650.00") and memo["balance"] == "0.00"
    if level == "InvoiceLine":
        positives = [Decimal("22.00") if n % 2 == 0 else Decimal(0) for n in range(MAX_LINES)]
        expected = spread(positives, [Decimal("11.00")] * 150, applied)
        assert [
            (r["creditMemoLineId"], r["invoiceLineId"], money(r["amount"])) for r in result["applications"]
        ] == [(memo["lines"][m]["id"], invoice["lines"][i]["id"], step) for m, i, step in expected]
    else:
        assert len(result["applications"]) == 1

    invoice_after, _ = check_invoice(api, invoice["id"])
    check_memo(api, memo["id"])
    assert invoice_after["totalConvertedNegAmount"] == "-1650.00"
    assert invoice_after["balance"] == "1650.00"
    assert all(line["convertedNegAmount"] == "-11.00" for line in invoice_after["lines"][1::2])
    again = api.post(f"/invoices/{invoice['id']}/actions/convert-to-credit", {"applyToInvoice": False})
    assert again.status == 409 and again.body["errorCode"] in ("ALREADY_CONVERTED", "HAS_ACTIVE_APPLICATIONS")


@pytest.mark.parametrize("level", ["Invoice", "InvoiceLine"])
def test_convert_299_negative_lines_against_one_large_positive_line(api: Api, level: str) -> None:
    account = new_account()
    lines = [{"chargeAmount": "10000.00", "productName": "Annual plan"}] + [
        {"chargeAmount": "-1.50", "productName": f"Downgrade {n}"} for n in range(MAX_LINES - 1)
    ]
    invoice = create_invoice(api, *lines, account=account, level=level)
    converted = Decimal("1.50") * (MAX_LINES - 1)
    assert money(invoice["balance"]) == Decimal("10000.00") - converted

    result = check(
        api.post(
            f"/invoices/{invoice['id']}/actions/convert-to-credit",
            {"invoiceLineIds": [line["id"] for line in invoice["lines"][1:]], "description": "Downgrades"},
        ),
        201,
    )

    memo = result["creditMemo"]
    assert len(memo["lines"]) == MAX_LINES - 1 and money(memo["totalAmountWithTax"]) == converted
    assert memo["balance"] == "0.00"
    records = result["applications"]
    assert len(records) == (MAX_LINES - 1 if level == "InvoiceLine" else 1)
    assert sum((money(r["amount"]) for r in records), Decimal(0)) == converted
    if level == "InvoiceLine":
        assert {r["invoiceLineId"] for r in records} == {invoice["lines"][0]["id"]}
    invoice_after, _ = check_invoice(api, invoice["id"])
    check_memo(api, memo["id"])
    assert money(invoice_after["balance"]) == Decimal("10000.00") - converted
    assert money(invoice_after["lines"][0]["balance"]) == Decimal("10000.00") - (
        converted if level == "InvoiceLine" else 0
    )


# ---------------------------------------------------------------- the realistic worst case


def _snapshot(api: Api, invoice_id: str) -> Any:
    invoice, records = check_invoice(api, invoice_id)
    return invoice["balance"], invoice["updatedAt"], len(records)


def _maximum_text_flow(api: Api, with_key: bool) -> list[int]:
    """Create, credit and apply 300-line documents with every text field at its maximum length.

    Each step must work or be refused with a clean 422 that changed nothing; the statuses are returned.
    """
    account = new_account()
    statuses: list[int] = []

    def post(path: str, body: dict[str, Any], expected: int) -> Any:
        headers = {"Idempotency-Key": f"max-text-{path.rsplit('/', 1)[-1]}-{account}"} if with_key else {}
        response = api.post(path, body, headers=headers)
        statuses.append(response.status)
        assert response.status in (expected, 422), response
        if response.status == 422:
            assert response.body["errorCode"] == "VALIDATION_ERROR"
            text = json.dumps(response.body)
            assert "Traceback" not in text and "dynamodb" not in text.lower() and "Item size" not in text
            return None
        return response.body

    text = {"productId": LONG_PRODUCT_ID, "productName": LONG_NAME, "description": LONG_DESCRIPTION}
    invoice = post(
        "/invoices",
        {
            "billingAccountId": account,
            "currency": "USD",
            "settlementLevel": "InvoiceLine",
            "lines": [{"chargeAmount": "100.00", "taxAmount": "8.25", **text} for _ in range(MAX_LINES)],
        },
        201,
    )
    tax = {"taxAmount": "0.50", "taxCode": "C" * 64, "taxName": "T" * 64, "taxRate": "0.05"}
    memo = post(
        "/credit-memos",
        {
            "billingAccountId": account,
            "currency": "USD",
            "description": "X" * 1000,
            "externalReference": "R" * 255,
            "charges": [{"chargeAmount": "10.00", **text, "taxes": [tax]} for _ in range(MAX_LINES)],
        },
        201,
    )
    # Text at its limits on 300 lines is what a real invoice can look like: it must be storable.
    assert invoice is not None and memo is not None
    assert all(line["description"] == LONG_DESCRIPTION for line in invoice["lines"])

    before = _snapshot(api, invoice["id"])
    lines = [{"invoiceLineId": line["id"], "amountToCredit": "50.00"} for line in invoice["lines"]]
    credited = post(
        f"/invoices/{invoice['id']}/actions/credit",
        {"taxStrategy": "CopyFromInvoiceLine", "invoiceLines": lines},
        201,
    )
    if credited is None:
        assert _snapshot(api, invoice["id"]) == before  # refused means nothing happened
    else:
        assert len(credited["creditMemo"]["lines"]) == MAX_LINES
        assert credited["creditMemo"]["lines"][0]["description"] == LONG_DESCRIPTION
        check_memo(api, credited["creditMemo"]["id"])

    before = _snapshot(api, invoice["id"])
    applied = post(
        f"/credit-memos/{memo['id']}/actions/apply", {"applications": [{"invoiceId": invoice["id"]}]}, 200
    )
    if applied is None:
        assert _snapshot(api, invoice["id"]) == before
    else:
        assert applied["creditMemo"]["balance"] == "0.00"
        assert len(applied["applications"]) >= MAX_LINES
    check_memo(api, memo["id"])
    check_invoice(api, invoice["id"])
    return statuses


def test_maximum_length_text_on_300_lines_works_or_is_a_clean_422(api: Api) -> None:
    without_key = _maximum_text_flow(api, with_key=False)
    with_key = _maximum_text_flow(api, with_key=True)
    # An Idempotency-Key is accepted on every POST: it must not turn a request that works into a 422.
    assert with_key == without_key


def test_a_document_larger_than_an_item_is_stored_and_an_entry_that_cannot_fit_is_refused(api: Api) -> None:
    account = new_account()
    invoice = multibyte_invoice(api, account)
    stored = check(api.get(f"/invoices/{invoice['id']}"), 200)
    assert len(stored["lines"]) == MAX_LINES and stored["lines"][-1]["description"] == "€" * 255
    memo = create_memo(api, "300.00", account=account, currency="EUR")
    path = f"/credit-memos/{memo['id']}/actions/apply"
    response = api.post(path, raw_body=apply_with_long_description(memo["id"], invoice["id"]))
    assert response.status == 422, response
    assert response.body["errorCode"] == "VALIDATION_ERROR"
    assert check(api.get(f"/invoices/{invoice['id']}"), 200)["balance"] == "300.00"
    assert check(api.get(f"/credit-memos/{memo['id']}"), 200)["balance"] == "300.00"


def test_an_apply_that_would_change_more_items_than_a_transaction_holds_is_a_clean_422(api: Api) -> None:
    """One memo across every line of three 300-line invoices: 3 x 38 line chunks change besides the
    headers, more than DynamoDB's 100 items per transaction. Refused before anything is written;
    each invoice alone works."""
    account = new_account()
    invoices = [
        create_invoice(api, *["10.00"] * MAX_LINES, account=account, level="InvoiceLine") for _ in range(3)
    ]
    memo = create_memo(api, "9000.00", account=account)
    path = f"/credit-memos/{memo['id']}/actions/apply"
    body = {"applications": [{"invoiceId": invoice["id"]} for invoice in invoices]}
    response = api.post(path, body, headers={"Idempotency-Key": f"too-many-{account}"})
    assert response.status == 422, response
    assert response.body["errorCode"] == "VALIDATION_ERROR" and "split it" in response.body["message"]
    assert check(api.get(f"/credit-memos/{memo['id']}"), 200)["balance"] == "9000.00"
    for invoice in invoices:
        assert check(api.get(f"/invoices/{invoice['id']}"), 200)["balance"] == "3000.00"
    for invoice in invoices:
        check(api.post(path, {"applications": [{"invoiceId": invoice["id"]}]}), 200)
    assert check(api.get(f"/credit-memos/{memo['id']}"), 200)["balance"] == "0.00"
