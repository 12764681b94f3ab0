"""Spec section 7 over HTTP and direct invocation: who did it, reason codes, dates, one record,
lookup by number, and documents written before any of it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from infra.local.lambda_runtime import FakeLambdaContext
from tests.harness import TABLE_NAME, Api, handler_for, invoke, template

EVENTS = Path(__file__).resolve().parents[2] / "events"
CHARGES = [{"chargeAmount": "30.00", "productName": "x"}]


def memo_body(account: str = "f1", **extra: Any) -> dict[str, Any]:
    return {"billingAccountId": account, "currency": "USD", "charges": CHARGES, **extra}


def apply_pair(api: Api, level: str = "Invoice") -> tuple[dict[str, Any], dict[str, Any]]:
    invoice = api.post(
        "/invoices",
        {
            "billingAccountId": "f1",
            "currency": "USD",
            "settlementLevel": level,
            "lines": [{"chargeAmount": "100"}],
        },
    ).body
    memo = api.post("/credit-memos", memo_body()).body
    if level == "Invoice":
        body = {"applications": [{"invoiceId": invoice["id"], "amount": "10.00"}]}
        applied = api.post(f"/credit-memos/{memo['id']}/actions/apply", body)
    else:
        target = {"invoiceId": invoice["id"], "invoiceLineId": invoice["lines"][0]["id"], "amount": "10.00"}
        path = f"/credit-memos/{memo['id']}/lines/{memo['lines'][0]['id']}/actions/apply"
        applied = api.post(path, {"applications": [target]})
    assert applied.status == 200, applied
    return memo, applied.body["applications"][0]


def test_api_gateway_caller_is_created_by_and_a_body_cannot_set_it(api: Api) -> None:
    event = json.loads((EVENTS / "create_credit_memo" / "http.json").read_text())
    function = template().find_function("CreateCreditMemoFunction")
    answer = handler_for("CreateCreditMemoFunction")(event, FakeLambdaContext(function))
    assert answer["statusCode"] == 201, answer
    memo = json.loads(answer["body"])
    assert memo["createdBy"] == event["requestContext"]["identity"]["userArn"]
    assert memo["documentNumber"].startswith("CM-") and memo["voidedBy"] is None
    for field in ("createdBy", "actor", "voidedBy"):
        refused = api.post("/credit-memos", memo_body(**{field: "mallory"}))
        assert refused.status == 422 and refused.body["errorCode"] == "VALIDATION_ERROR", refused
    refused = api.post(f"/credit-memos/{memo['id']}/actions/void", {"voidedBy": "mallory"})
    assert refused.status == 422, refused


def test_direct_actor_or_the_function_is_who_did_it(api: Api) -> None:
    memo: Any = invoke("CreateCreditMemoFunction", memo_body(actor="arn:aws:states:::execution:settle:1"))
    assert memo["createdBy"] == "arn:aws:states:::execution:settle:1"
    voided: Any = invoke("VoidCreditMemoFunction", {"creditMemoId": memo["id"], "reasonCode": "Duplicate"})
    function_name = template().find_function("VoidCreditMemoFunction").function_name
    assert (voided["voidedBy"], voided["voidReasonCode"]) == (f"lambda:{function_name}", "Duplicate")
    assert voided["createdBy"] == memo["createdBy"] and voided["documentNumber"] == memo["documentNumber"]
    with pytest.raises(Exception, match="actor") as raised:
        invoke("CreateCreditMemoFunction", memo_body(actor=42))
    assert type(raised.value).__name__ == "ValidationError"


def test_reason_codes_are_validated_shown_and_filter_lists(api: Api) -> None:
    account = "reasons-1"
    goodwill = api.post("/credit-memos", memo_body(account, reasonCode="Goodwill")).body
    plain = api.post("/credit-memos", memo_body(account)).body
    assert (goodwill["reasonCode"], plain["reasonCode"]) == ("Goodwill", None)
    bad = api.post("/credit-memos", memo_body(account, reasonCode="goodwill"))
    assert bad.status == 422 and bad.body["details"][0]["field"] == "reasonCode", bad
    page = api.get("/credit-memos", query={"billingAccountId": account, "reasonCode": "Goodwill"}).body
    assert [m["id"] for m in page["items"]] == [goodwill["id"]]
    assert api.get("/credit-memos", query={"billingAccountId": account, "reasonCode": "Nope"}).status == 422
    direct: Any = invoke("ReadCreditMemosFunction", {"billingAccountId": account, "reasonCode": "Goodwill"})
    assert direct == page
    with pytest.raises(Exception, match="credit memo lists only"):
        invoke("ReadInvoicesFunction", {"billingAccountId": account, "reasonCode": "Goodwill"})


@pytest.mark.parametrize("level", ["Invoice", "InvoiceLine"])
def test_one_record_its_dates_and_reasons_at_each_level(api: Api, level: str) -> None:
    _memo, applied = apply_pair(api, level)
    own, other = (
        ("credit-memo-applications", "credit-memo-line-applications")
        if level == "Invoice"
        else ("credit-memo-line-applications", "credit-memo-applications")
    )
    got = api.get(f"/{own}/{applied['id']}")
    assert got.status == 200 and got.body == applied
    assert applied["appliedDate"] and applied["unappliedDate"] is None and applied["createdBy"] == "local"
    assert api.get(f"/{other}/{applied['id']}").status == 404  # the other level's path
    assert api.get(f"/{own}/{applied['id'].rsplit('.', 1)[0]}.9").status == 404
    assert api.get(f"/{own}/not-an-id").status == 404
    undone = api.post(f"/{own}/{applied['id']}/actions/unapply", {"reasonCode": "BillingError"})
    assert undone.status == 200, undone
    unapplied = undone.body
    assert unapplied["reasonCode"] == "BillingError" and unapplied["appliedDate"] == applied["appliedDate"]
    reversed_now = api.get(f"/{own}/{applied['id']}").body
    assert reversed_now["hasBeenUnapplied"] == "Yes"
    assert reversed_now["unappliedDate"] == unapplied["unappliedDate"] is not None
    direct: Any = invoke("ReadApplicationsFunction", {"applicationId": unapplied["id"], "level": level})
    assert direct == api.get(f"/{own}/{unapplied['id']}").body == unapplied


def test_lookup_by_number_needs_no_account(api: Api) -> None:
    draft = api.post("/credit-memos", memo_body("numbers-1", type="Draft")).body
    assert draft["documentNumber"] is None
    posted = api.post(f"/credit-memos/{draft['id']}/actions/post", {}).body
    found = api.get("/credit-memos", query={"documentNumber": posted["documentNumber"]})
    assert found.status == 200 and [m["id"] for m in found.body["items"]] == [draft["id"]]
    assert api.get("/credit-memos", query={"documentNumber": "CM-99999999"}).body["items"] == []
    assert api.get("/credit-memos").status == 422  # neither an account nor a number


def test_documents_written_before_section_7_read_as_null(api: Api) -> None:
    memo = api.post("/credit-memos", memo_body("legacy-1")).body
    client = boto3.client("dynamodb", region_name="us-east-1")
    key = {"pk": {"S": f"MEMO#{memo['id']}"}, "sk": {"S": "MEMO"}}
    item = client.get_item(TableName=TABLE_NAME, Key=key)["Item"]
    for name in ("document_number", "created_by", "reason_code", "void_reason_code", "voided_by"):
        item.pop(name, None)  # as an item of the previous version holds it
    client.put_item(TableName=TABLE_NAME, Item=item)
    old = api.get(f"/credit-memos/{memo['id']}").body
    assert (old["documentNumber"], old["createdBy"], old["reasonCode"]) == (None, None, None)
    listed = api.get("/credit-memos", query={"billingAccountId": "legacy-1"}).body["items"]
    assert listed[0]["documentNumber"] is None and listed[0]["createdBy"] is None
    voided = api.post(f"/credit-memos/{memo['id']}/actions/void", {})
    assert voided.status == 200 and voided.body["documentNumber"] is None  # not renumbered
    assert voided.body["voidedBy"] == "local" and voided.body["createdBy"] is None
