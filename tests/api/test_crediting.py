"""Crediting an invoice over HTTP (create a memo from invoice lines and apply it): tax strategies, voids."""

from __future__ import annotations

from typing import Any

import boto3

from tests.builders import create_invoice
from tests.harness import TABLE_NAME, Api


def test_salesforce_example_credit_six_tablets(api: Api) -> None:
    inv = create_invoice(
        api, {"chargeAmount": "5000.00", "productName": "Tablet", "description": "10 tablets at 500"}
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
    inv = create_invoice(api, ("100.00", "10.00"), level="InvoiceLine")
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
    inv = create_invoice(api, {"chargeAmount": "5000.00", "taxAmount": "500.00", "productName": "Tablet"})
    line_id = inv["lines"][0]["id"]

    def credit(amount: str) -> object:
        return api.post(
            f"/invoices/{inv['id']}/actions/credit",
            {
                "taxStrategy": "CopyFromInvoiceLine",
                "invoiceLines": [{"invoiceLineId": line_id, "amountToCredit": amount}],
            },
        )

    def left() -> tuple[str, str]:
        line = api.get(f"/invoices/{inv['id']}").body["lines"][0]
        return line["creditedAmount"], line["creditableAmount"]

    assert left() == ("0.00", "5000.00")
    first = credit("3000.00")
    assert first.status == 201, first
    assert first.body["creditMemo"]["totalTaxAmount"] == "300.00"
    assert left() == ("3000.00", "2000.00")
    too_much = credit("2000.01")  # only 2000.00 of the charge is left to credit
    assert too_much.status == 422 and too_much.body["errorCode"] == "VALIDATION_ERROR", too_much
    # Undo the credit: unapply, then void the memo.
    record = first.body["applications"][0]["id"]
    assert api.post(f"/credit-memo-applications/{record}/actions/unapply", {}).status == 200
    memo_id = first.body["creditMemo"]["id"]
    voided = api.post(f"/credit-memos/{memo_id}/actions/void")
    assert voided.status == 200 and voided.body["status"] == "Voided", voided
    assert left() == ("0.00", "5000.00")
    # The whole line can be credited again, with exactly its whole tax.
    again = credit("5000.00")
    assert again.status == 201, again
    assert again.body["creditMemo"]["totalTaxAmount"] == "500.00"
    assert api.get(f"/invoices/{inv['id']}").body["balance"] == "0.00"


def _credit(
    api: Api, invoice_id: str, strategy: str, line_id: str, amount: str, tax: str | None = None
) -> Any:
    line: dict[str, Any] = {"invoiceLineId": line_id, "amountToCredit": amount}
    if tax is not None:
        line["taxes"] = [{"taxAmount": tax}]
    r = api.post(f"/invoices/{invoice_id}/actions/credit", {"taxStrategy": strategy, "invoiceLines": [line]})
    assert r.status == 201, r
    return r.body


def test_copy_from_invoice_line_after_other_strategies_prorates_its_own_amount(api: Api) -> None:
    """The reproductions, through the API."""
    inv = create_invoice(api, ("100.00", "10.00"))
    line_id = inv["lines"][0]["id"]
    _credit(api, inv["id"], "Ignore", line_id, "50.00")
    copied = _credit(api, inv["id"], "CopyFromInvoiceLine", line_id, "10.00")
    assert copied["creditMemo"]["totalTaxAmount"] == "1.00"
    assert api.get(f"/invoices/{inv['id']}").body["balance"] == "49.00"

    inv = create_invoice(api, ("100.00", "10.00"), level="InvoiceLine")
    line_id = inv["lines"][0]["id"]
    _credit(api, inv["id"], "ManualOverride", line_id, "90.00", tax="0.50")
    copied = _credit(api, inv["id"], "CopyFromInvoiceLine", line_id, "1.00")
    assert copied["creditMemo"]["totalTaxAmount"] == "0.10"
    after = api.get(f"/invoices/{inv['id']}").body
    assert after["balance"] == after["lines"][0]["balance"] == "18.40"


def test_documents_stored_before_the_copy_tallies_still_read_and_credit(api: Api) -> None:
    """An invoice and memo item without the CopyFromInvoiceLine fields (written by an older version)."""
    inv = create_invoice(api, ("100.00", "10.00"))
    line_id = inv["lines"][0]["id"]
    first = _credit(api, inv["id"], "CopyFromInvoiceLine", line_id, "50.00")
    memo_id = first["creditMemo"]["id"]
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(TABLE_NAME)
    lines = {"pk": f"INVOICE#{inv['id']}", "sk": "LINES#0000"}  # the chunk holding the line
    stored = table.get_item(Key=lines)["Item"]
    assert stored["lines"][0]["copy_credited_tax_amount"] == 5  # what the removal below removes
    table.update_item(
        Key=lines,
        UpdateExpression="REMOVE #l[0].copy_credited_charge_amount, #l[0].copy_credited_tax_amount",
        ExpressionAttributeNames={"#l": "lines"},
    )
    table.update_item(Key={"pk": f"MEMO#{memo_id}", "sk": "MEMO"}, UpdateExpression="REMOVE tax_strategy")
    assert api.get(f"/invoices/{inv['id']}").status == 200
    assert api.get(f"/credit-memos/{memo_id}").body["totalTaxAmount"] == "5.00"
    record = first["applications"][0]["id"]
    assert api.post(f"/credit-memo-applications/{record}/actions/unapply", {}).status == 200
    assert api.post(f"/credit-memos/{memo_id}/actions/void").status == 200
    again = _credit(api, inv["id"], "CopyFromInvoiceLine", line_id, "100.00")
    assert again["creditMemo"]["totalTaxAmount"] == "10.00"
    assert api.get(f"/invoices/{inv['id']}").body["balance"] == "0.00"
