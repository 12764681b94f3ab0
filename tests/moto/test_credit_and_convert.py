"""Create-and-apply from invoice lines, and negative line conversion (issue 4)."""

from __future__ import annotations

from tests.harness import Api


def _invoice(api: Api, lines: list[dict[str, str]], level: str = "Invoice", account: str = "acct-1") -> dict:
    r = api.post(
        "/invoices",
        {"billingAccountId": account, "currency": "USD", "settlementLevel": level, "lines": lines},
    )
    assert r.status == 201, r
    return r.body


def test_spec_worked_example_converts_and_applies_back(api: Api) -> None:
    inv = _invoice(api, [{"chargeAmount": "300.00"}, {"chargeAmount": "-100.00"}])
    assert inv["balance"] == "200.00"
    r = api.post(f"/invoices/{inv['id']}/actions/convert-to-credit", {})
    assert r.status == 201, r
    memo = r.body["creditMemo"]
    assert memo["sourceAction"] == "NegativeInvoiceLineConversion"
    assert memo["totalAmountWithTax"] == "100.00" and memo["balance"] == "0.00"
    assert memo["lines"][0]["referenceInvoiceLineId"] == inv["lines"][1]["id"]
    assert [a["amount"] for a in r.body["applications"]] == ["100.00"]
    after = api.get(f"/invoices/{inv['id']}").body
    assert after["balance"] == "200.00"
    assert after["totalConvertedNegAmount"] == "-100.00"
    assert after["lines"][1]["convertedNegAmount"] == "-100.00"
    again = api.post(
        f"/invoices/{inv['id']}/actions/convert-to-credit", {"invoiceLineIds": [inv["lines"][1]["id"]]}
    )
    assert again.status == 409, again
    # The invoice now has an active application, which is checked first.
    assert again.body["errorCode"] in ("HAS_ACTIVE_APPLICATIONS", "ALREADY_CONVERTED")


def test_salesforce_example_credit_six_tablets(api: Api) -> None:
    inv = _invoice(
        api, [{"chargeAmount": "5000.00", "productName": "Tablet", "description": "10 tablets at 500"}]
    )
    r = api.post(
        f"/invoices/{inv['id']}/actions/credit",
        {
            "taxStrategy": "Ignore",
            "invoiceLines": [{"invoiceLineId": inv["lines"][0]["id"], "amountToCredit": "3000"}],
        },
    )
    assert r.status == 201, r
    memo = r.body["creditMemo"]
    assert memo["sourceAction"] == "Invoice" and memo["referenceInvoiceId"] == inv["id"]
    assert memo["totalAmountWithTax"] == "3000.00" and memo["balance"] == "0.00"
    assert r.body["applications"][0]["invoiceBalance"] == "2000.00"
    assert api.get(f"/invoices/{inv['id']}").body["balance"] == "2000.00"


def test_prorated_tax_never_exceeds_line_tax(api: Api) -> None:
    inv = _invoice(api, [{"chargeAmount": "100.00", "taxAmount": "10.00"}], level="InvoiceLine")
    line_id = inv["lines"][0]["id"]
    total_tax = 0
    for _ in range(3):
        r = api.post(
            f"/invoices/{inv['id']}/actions/credit",
            {
                "taxStrategy": "CopyFromInvoiceLine",
                "invoiceLines": [{"invoiceLineId": line_id, "amountToCredit": "33.33"}],
            },
        )
        assert r.status == 201, r
        total_tax += int(r.body["creditMemo"]["totalTaxAmount"].replace(".", ""))
    last = api.post(
        f"/invoices/{inv['id']}/actions/credit",
        {
            "taxStrategy": "CopyFromInvoiceLine",
            "invoiceLines": [{"invoiceLineId": line_id, "amountToCredit": "0.01"}],
        },
    )
    assert last.status == 201, last
    total_tax += int(last.body["creditMemo"]["totalTaxAmount"].replace(".", ""))
    assert total_tax == 1000  # exactly the line's 10.00, never more
    assert api.get(f"/invoices/{inv['id']}").body["balance"] == "0.00"


def test_voiding_a_credit_gives_the_invoice_line_its_credit_back(api: Api) -> None:
    inv = _invoice(api, [{"chargeAmount": "5000.00", "taxAmount": "500.00", "productName": "Tablet"}])
    line_id = inv["lines"][0]["id"]

    def credit(amount: str) -> object:
        return api.post(
            f"/invoices/{inv['id']}/actions/credit",
            {
                "taxStrategy": "CopyFromInvoiceLine",
                "invoiceLines": [{"invoiceLineId": line_id, "amountToCredit": amount}],
            },
        )

    first = credit("3000.00")
    assert first.status == 201, first
    assert first.body["creditMemo"]["totalTaxAmount"] == "300.00"
    too_much = credit("2000.01")  # only 2000.00 of the charge is left to credit
    assert too_much.status == 422 and too_much.body["errorCode"] == "VALIDATION_ERROR", too_much
    # Undo the credit: unapply, then void the memo.
    record = first.body["applications"][0]["id"]
    assert api.post(f"/credit-memo-applications/{record}/actions/unapply", {}).status == 200
    memo_id = first.body["creditMemo"]["id"]
    voided = api.post(f"/credit-memos/{memo_id}/actions/void")
    assert voided.status == 200 and voided.body["status"] == "Voided", voided
    # The whole line can be credited again, with exactly its whole tax.
    again = credit("5000.00")
    assert again.status == 201, again
    assert again.body["creditMemo"]["totalTaxAmount"] == "500.00"
    assert api.get(f"/invoices/{inv['id']}").body["balance"] == "0.00"
