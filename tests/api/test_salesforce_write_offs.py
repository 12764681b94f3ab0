"""Write-offs through the Salesforce-compatible surface (spec section 13 onto section 10): the
documented example request, the result envelope, each invoice on its own, and the action."""

from __future__ import annotations

import json

from tests.builders import create_invoice, create_memo
from tests.harness import Api

V = "/services/data/v67.0"
WRITE_OFF = f"{V}/commerce/invoicing/invoices/actions/write-off"


def test_write_off_example_each_invoice_on_its_own(api: Api) -> None:
    unpaid = create_invoice(api, "120.00")
    draft = create_invoice(api, "50.00", status="Draft")
    body = {
        "invoices": [
            {"invoiceId": unpaid["id"], "reasonCode": "Bad Debt", "description": "Bad Debt"},
            {"invoiceId": draft["id"], "reasonCode": "Concession", "description": "Concession"},
        ]
    }
    r = api.post(WRITE_OFF, raw_body=json.dumps(body))
    assert r.status == 200, r
    first, second = r.body["result"]
    assert first["invoiceId"] == unpaid["id"] and first["success"] is True
    assert first["errors"] == {"errorcode": None, "errorMessage": None}
    memo = api.get(f"/credit-memos/{first['requestIdentifier']}").body
    assert memo["sourceAction"] == "WriteOffPostedInvoice" and memo["totalAmountWithTax"] == "120.00"
    assert memo["reasonCode"] == "BadDebt"
    assert api.get(f"/invoices/{unpaid['id']}").body["balance"] == "0.00"
    assert (
        second["invoiceId"] == draft["id"]
        and second["success"] is False
        and second["requestIdentifier"] is None
    )
    assert second["errors"]["errorcode"] == "INVALID_STATUS"
    assert api.get(f"/invoices/{draft['id']}").body["balance"] == "50.00"


def test_write_off_refused_whole_is_in_the_result_envelope(api: Api) -> None:
    r = api.post(WRITE_OFF, {"invoices": []})
    assert r.status == 422, r
    [result] = r.body["result"]
    assert result["success"] is False and result["errors"]["errorcode"] == "VALIDATION_ERROR"


def test_write_off_invoices_action(api: Api) -> None:
    one, two = create_invoice(api, "10.00"), create_invoice(api, "20.00")
    memo = create_memo(api, "5.00")
    r = api.post(
        f"{V}/actions/standard/writeOffInvoices",
        {
            "inputs": [
                {"invoiceId": one["id"], "reasonCode": "BadDebt", "reason": "customer insolvent"},
                {
                    "writeOffInvoiceInputList": {
                        "writeOffInvoiceInputList": [{"invoiceId": two["id"], "reasonCode": "Bad Debt"}]
                    }
                },
                {"invoiceId": memo["id"], "reasonCode": "BadDebt"},
            ]
        },
    )
    assert r.status == 200, r
    assert [x["isSuccess"] for x in r.body] == [True, True, False]
    assert r.body[2]["errors"][0]["statusCode"] == "NOT_FOUND"
    assert api.get(f"/invoices/{one['id']}").body["balance"] == "0.00"
    assert api.get(f"/invoices/{two['id']}").body["balance"] == "0.00"
