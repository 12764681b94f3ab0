"""Salesforce's standard invocable actions (spec section 13): each input on its own, results in input
order, partial success, exactly-once inputs under an Idempotency-Key, and the same array when the
function is invoked directly."""

from __future__ import annotations

import json
from typing import Any

from tests.builders import create_invoice, create_memo
from tests.harness import Api, invoke

ACTIONS = "/services/data/v67.0/actions/standard"
FUNCTION = "SalesforceInvocableActionsFunction"


def balance(api: Api, path: str) -> str:
    return str(api.get(path).body["balance"])


def test_apply_credit_example_then_unapply_credit_example(api: Api) -> None:
    invoice = create_invoice(api, "100.00")
    memo = create_memo(api, "30.00")
    body = {
        "inputs": [
            {
                "appliedCreditAmount": 20,
                "creditTargetRecordId": invoice["id"],
                "creditSourceRecordId": memo["id"],
                "description": "Applied credit memo to an invoice",
                "effectiveDate": "2024-08-27",
            }
        ]
    }
    r = api.post(f"{ACTIONS}/applyCredit", raw_body=json.dumps(body))
    assert r.status == 200, r
    [result] = r.body
    record_id = result["outputValues"]["recordId"]
    assert result == {
        "actionName": "applyCredit",
        "errors": None,
        "invocationId": None,
        "isSuccess": True,
        "outcome": None,
        "outputValues": {"recordId": record_id},
        "sortOrder": -1,
        "version": 1,
    }
    assert api.get(f"/credit-memo-applications/{record_id}").body["amount"] == "20.00"
    assert balance(api, f"/invoices/{invoice['id']}") == "80.00"

    u = api.post(
        f"{ACTIONS}/unapplyCredit",
        {
            "inputs": [
                {
                    "recordId": record_id,
                    "description": "Unapplied credit memo from an invoice",
                    "effectiveDate": "2024-08-27",
                }
            ]
        },
    )
    assert u.status == 200, u
    [undone] = u.body
    assert undone["isSuccess"] is True and undone["actionName"] == "unapplyCredit"
    assert (
        api.get(f"/credit-memo-applications/{undone['outputValues']['recordId']}").body["type"] == "Unapplied"
    )
    assert balance(api, f"/invoices/{invoice['id']}") == "100.00"


def test_apply_credit_line_to_invoice_line_and_unapply_credit_finds_the_level(api: Api) -> None:
    invoice = create_invoice(api, "50.00", level="InvoiceLine")
    memo = create_memo(api, "30.00")
    source = f"{memo['id']}.{memo['lines'][0]['id']}"
    target = f"{invoice['id']}.{invoice['lines'][0]['id']}"
    r = api.post(
        f"{ACTIONS}/applyCredit",
        {
            "inputs": [
                {
                    "appliedCreditAmount": "12.5",
                    "creditSourceRecordId": source,
                    "creditTargetRecordId": target,
                }
            ]
        },
    )
    [result] = r.body
    assert result["isSuccess"] is True, result
    record_id = result["outputValues"]["recordId"]
    assert api.get(f"/credit-memo-line-applications/{record_id}").body["amount"] == "12.50"
    u = api.post(f"{ACTIONS}/unapplyCredit", {"inputs": [{"recordId": record_id}]})
    assert u.body[0]["isSuccess"] is True, u
    assert balance(api, f"/invoices/{invoice['id']}") == "50.00"


def test_partial_success_in_input_order(api: Api) -> None:
    invoice = create_invoice(api, "100.00")
    memo = create_memo(api, "30.00")
    inputs = [
        {
            "appliedCreditAmount": 10,
            "creditSourceRecordId": memo["id"],
            "creditTargetRecordId": invoice["id"],
        },
        {
            "appliedCreditAmount": 50,
            "creditSourceRecordId": memo["id"],
            "creditTargetRecordId": invoice["id"],
        },
        {
            "appliedCreditAmount": 1,
            "creditSourceRecordId": "cm_missing",
            "creditTargetRecordId": invoice["id"],
        },
        {
            "appliedCreditAmount": 1.001,
            "creditSourceRecordId": memo["id"],
            "creditTargetRecordId": invoice["id"],
        },
        {"creditSourceRecordId": memo["id"]},
        {
            "appliedCreditAmount": 20,
            "creditSourceRecordId": memo["id"],
            "creditTargetRecordId": invoice["id"],
        },
    ]
    r = api.post(f"{ACTIONS}/applyCredit", raw_body=json.dumps({"inputs": inputs}))
    assert r.status == 200, r
    assert [x["isSuccess"] for x in r.body] == [True, False, False, False, False, True]
    codes = [x["errors"][0]["statusCode"] if x["errors"] else None for x in r.body]
    assert codes == [None, "INSUFFICIENT_BALANCE", "NOT_FOUND", "VALIDATION_ERROR", "VALIDATION_ERROR", None]
    assert r.body[4]["errors"][0]["fields"] == ["creditTargetRecordId", "appliedCreditAmount"]
    assert balance(api, f"/invoices/{invoice['id']}") == "70.00"
    assert balance(api, f"/credit-memos/{memo['id']}") == "0.00"


def test_a_retried_request_applies_each_input_once(api: Api) -> None:
    invoice = create_invoice(api, "100.00")
    memo = create_memo(api, "30.00")
    body = {
        "inputs": [
            {
                "appliedCreditAmount": "10",
                "creditSourceRecordId": memo["id"],
                "creditTargetRecordId": invoice["id"],
            },
            {
                "appliedCreditAmount": "10",
                "creditSourceRecordId": memo["id"],
                "creditTargetRecordId": invoice["id"],
            },
        ]
    }
    first = api.post(f"{ACTIONS}/applyCredit", body, headers={"Idempotency-Key": "flow-run-7"})
    again = api.post(f"{ACTIONS}/applyCredit", body, headers={"Idempotency-Key": "flow-run-7"})
    assert first.body == again.body
    ids = [x["outputValues"]["recordId"] for x in first.body]
    assert len(set(ids)) == 2  # two inputs, two records: the same input twice is two effects
    assert balance(api, f"/invoices/{invoice['id']}") == "80.00"
    assert len(api.get(f"/credit-memos/{memo['id']}/applications").body["items"]) == 2


def test_post_draft_and_void_posted_credit_memo(api: Api) -> None:
    draft = create_memo(api, "5.00", status="Draft")
    posted = api.post(
        f"{ACTIONS}/postDraftCreditMemo",
        {"inputs": [{"creditMemoId": draft["id"]}, {"creditMemoId": draft["id"]}]},
    )
    assert posted.status == 200, posted
    done, again = posted.body
    assert done["isSuccess"] is True and done["errors"] == []
    assert done["outputValues"] == {
        "requestIdentifier": draft["id"],
        "statusUrl": f"/services/data/v67.0/sobjects/AsyncOperationTracker/{draft['id']}",
    }
    assert again["isSuccess"] is False and again["errors"][0]["statusCode"] == "INVALID_STATUS"
    assert api.get(done["outputValues"]["statusUrl"]).body["Status"] == "Completed"

    voided = api.post(f"{ACTIONS}/voidPostedCreditMemo", {"inputs": [{"creditMemoId": draft["id"]}]})
    [result] = voided.body
    assert result["isSuccess"] is True and result["outputValues"]["debitMemoId"] is None
    assert api.get(f"/credit-memos/{draft['id']}").body["status"] == "Voided"


def test_request_level_errors_are_salesforces_error_list(api: Api) -> None:
    unknown = api.post(f"{ACTIONS}/calculateTax", {"inputs": [{}]})
    assert unknown.status == 404, unknown
    assert unknown.body[0]["errorCode"] == "NOT_FOUND"
    empty = api.post(f"{ACTIONS}/applyCredit", {"inputs": []})
    assert empty.status == 422 and empty.body[0]["errorCode"] == "VALIDATION_ERROR"
    bad = api.post(f"{ACTIONS}/applyCredit", raw_body="{")
    assert bad.status == 400 and bad.body[0]["errorCode"] == "BAD_REQUEST"


def test_direct_invocation_returns_the_same_array(api: Api) -> None:
    invoice = create_invoice(api, "100.00")
    memo = create_memo(api, "30.00")
    inputs = [
        {
            "appliedCreditAmount": 7.25,
            "creditSourceRecordId": memo["id"],
            "creditTargetRecordId": invoice["id"],
        },
        {
            "appliedCreditAmount": 99,
            "creditSourceRecordId": memo["id"],
            "creditTargetRecordId": invoice["id"],
        },
    ]
    results: Any = invoke(
        FUNCTION, {"actionName": "applyCredit", "inputs": inputs, "idempotencyKey": "direct-1"}
    )
    assert [x["isSuccess"] for x in results] == [True, False]
    assert results[1]["errors"][0]["statusCode"] == "INSUFFICIENT_BALANCE"
    assert (
        api.get(f"/credit-memo-applications/{results[0]['outputValues']['recordId']}").body["amount"]
        == "7.25"
    )
    replayed = invoke(FUNCTION, {"actionName": "applyCredit", "inputs": inputs, "idempotencyKey": "direct-1"})
    assert replayed == results
    assert balance(api, f"/invoices/{invoice['id']}") == "92.75"
