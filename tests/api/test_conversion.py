"""Converting an invoice's negative lines to a credit memo over HTTP, and voiding that memo."""

from __future__ import annotations

from tests.builders import create_invoice
from tests.harness import Api


def test_spec_worked_example_converts_and_applies_back(api: Api) -> None:
    inv = create_invoice(api, "300.00", "-100.00")
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
    # The converted line's charge counts as credited, and a negative line has nothing to credit.
    assert [(x["creditedAmount"], x["creditableAmount"]) for x in after["lines"]] == [
        ("0.00", "300.00"),
        ("-100.00", "0.00"),
    ]
    again = api.post(
        f"/invoices/{inv['id']}/actions/convert-to-credit", {"invoiceLineIds": [inv["lines"][1]["id"]]}
    )
    assert again.status == 409, again
    # The invoice now has an active application, which is checked first.
    assert again.body["errorCode"] in ("HAS_ACTIVE_APPLICATIONS", "ALREADY_CONVERTED")


def test_voiding_a_conversion_memo_undoes_the_conversion(api: Api) -> None:
    """The refund does not disappear; the lines can be converted again."""
    inv = create_invoice(api, "300.00", ("-100.00", "-5.00"))
    r = api.post(f"/invoices/{inv['id']}/actions/convert-to-credit", {})
    assert r.status == 201, r
    memo_id = r.body["creditMemo"]["id"]
    refused = api.post(f"/credit-memos/{memo_id}/actions/void")
    assert (refused.status, refused.body["errorCode"]) == (409, "HAS_ACTIVE_APPLICATIONS"), refused
    record = r.body["applications"][0]["id"]
    assert api.post(f"/credit-memo-applications/{record}/actions/unapply", {}).status == 200
    assert api.get(f"/invoices/{inv['id']}").body["balance"] == "300.00"
    voided = api.post(f"/credit-memos/{memo_id}/actions/void", headers={"Idempotency-Key": "void-1"})
    assert voided.status == 200 and voided.body["status"] == "Voided", voided
    after = api.get(f"/invoices/{inv['id']}").body
    assert (after["balance"], after["totalConvertedNegAmount"]) == ("195.00", "0.00")
    assert after["lines"][1]["convertedNegAmount"] == "0.00"
    replay = api.post(f"/credit-memos/{memo_id}/actions/void", headers={"Idempotency-Key": "void-1"})
    assert (replay.status, replay.body) == (200, voided.body)
    assert api.get(f"/invoices/{inv['id']}").body == after  # the replay changed nothing
    again = api.post(f"/invoices/{inv['id']}/actions/convert-to-credit", {})
    assert again.status == 201, again
    assert again.body["creditMemo"]["totalAmountWithTax"] == "105.00"
    assert api.get(f"/invoices/{inv['id']}").body["balance"] == "195.00"


def test_voiding_a_conversion_memo_whose_balance_credits_used_is_refused(api: Api) -> None:
    inv = create_invoice(api, "300.00", "-100.00")
    r = api.post(f"/invoices/{inv['id']}/actions/convert-to-credit", {"applyToInvoice": False})
    assert r.status == 201, r
    memo_id = r.body["creditMemo"]["id"]
    other = api.post(
        "/credit-memos",
        {
            "billingAccountId": "acct-1",
            "currency": "USD",
            "charges": [{"chargeAmount": "250.00", "productName": "p"}],
        },
    )
    assert other.status == 201, other
    applied = api.post(
        f"/credit-memos/{other.body['id']}/actions/apply",
        {"applications": [{"invoiceId": inv["id"], "amount": "250.00"}]},
    )
    assert applied.status == 200, applied
    before = api.get(f"/invoices/{inv['id']}").body
    refused = api.post(f"/credit-memos/{memo_id}/actions/void")
    assert (refused.status, refused.body["errorCode"]) == (409, "INSUFFICIENT_BALANCE"), refused
    assert api.get(f"/invoices/{inv['id']}").body == before
    assert api.get(f"/credit-memos/{memo_id}").body["status"] == "Posted"
