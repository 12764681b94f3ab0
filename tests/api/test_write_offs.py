"""Writing off invoices over HTTP and by direct invocation (spec section 10), on moto.

Each invoice on its own (an unknown, a Draft and a Settled one among good ones), the whole
request replayed under a key, a crash halfway then a retry, the events each write-off emits,
and the requests refused whole.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

import boto3
import pytest
from credit_memos.api.runtime import get_dynamodb_client
from credit_memos.errors import ValidationError

from tests.builders import create_invoice
from tests.harness import TABLE_NAME, Api, invoke

PATH = "/invoices/actions/write-off"


def _body(*invoice_ids: str, reason: str = "BadDebt") -> dict[str, Any]:
    return {"invoices": [{"invoiceId": i, "reasonCode": reason} for i in invoice_ids]}


def _events() -> list[dict[str, Any]]:
    client = boto3.client("dynamodb", region_name="us-east-1")
    items = client.scan(TableName=TABLE_NAME)["Items"]
    outboxes = [item["outbox"] for item in items if "outbox" in item]
    texts = [o["S"] if "S" in o else zlib.decompress(o["B"]).decode() for o in outboxes]
    return [event for text in texts for event in json.loads(text)]


def test_each_invoice_is_written_off_on_its_own(api: Api) -> None:
    good = [create_invoice(api, ("100.00", "10.00")), create_invoice(api, "40.00", level="InvoiceLine")]
    draft = create_invoice(api, "10.00", status="Draft")
    settled = create_invoice(api, "10.00")
    paid = api.post(
        f"/invoices/{settled['id']}/actions/record-payment", {"amount": "10.00", "paymentReference": "w"}
    )
    assert paid.status == 201, paid
    ids = [good[0]["id"], "inv_unknown", draft["id"], settled["id"], good[1]["id"]]
    response = api.post(PATH, _body(*ids))
    assert response.status == 200, response
    results = response.body["results"]
    assert [r["invoiceId"] for r in results] == ids
    assert [r["error"] and r["error"]["errorCode"] for r in results] == [
        None,
        "NOT_FOUND",
        "INVALID_STATUS",
        "INVALID_STATUS",
        None,
    ]
    for invoice, result in zip(good, (results[0], results[4]), strict=True):
        memo = result["creditMemo"]
        assert memo["totalAmountWithTax"] == invoice["balance"] and memo["balance"] == "0.00"
        assert memo["documentNumber"].startswith("CM-")
        after = api.get(f"/invoices/{invoice['id']}").body
        assert (after["balance"], after["settlementStatus"]) == ("0.00", "Settled")
        history = api.get(f"/invoices/{invoice['id']}/applications").body["items"]
        assert [h["id"] for h in history] == [a["id"] for a in result["applications"]]
        listed = api.get(f"/credit-memos/{memo['id']}").body
        assert listed["sourceAction"] == "WriteOffPostedInvoice" and listed["reasonCode"] == "BadDebt"
    assert api.get(f"/invoices/{draft['id']}").body["balance"] == "10.00"
    kinds = [
        (e["detailType"], e["detail"]["creditMemo"]["sourceAction"])
        for e in _events()
        if "creditMemo" in e["detail"]
    ]
    assert kinds.count(("CreditMemoCreated", "WriteOffPostedInvoice")) == 2
    assert kinds.count(("CreditApplied", "WriteOffPostedInvoice")) == 2


def test_under_a_key_the_whole_answer_replays(api: Api) -> None:
    invoice = create_invoice(api, "25.00")
    key = {"Idempotency-Key": "write-off-1"}
    first = api.post(PATH, _body(invoice["id"], "inv_unknown"), headers=key)
    again = api.post(PATH, _body(invoice["id"], "inv_unknown"), headers=key)
    assert again.status == 200 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.body == first.body
    other = api.post(PATH, _body(invoice["id"]), headers=key)
    assert other.status == 422 and other.body["errorCode"] == "IDEMPOTENCY_KEY_MISMATCH"


def test_a_dry_run_writes_nothing_and_answers_the_real_calls_results(api: Api) -> None:
    invoice = create_invoice(api, ("50.00", "5.00"))
    dry = api.post(PATH, _body(invoice["id"]), query={"dryRun": "true"})
    assert dry.status == 200 and dry.headers.get("Dry-Run") == "true"
    (result,) = dry.body["results"]
    assert result["success"] and result["creditMemo"]["id"] is None
    assert api.get(f"/invoices/{invoice['id']}").body["balance"] == "55.00"
    real = api.post(PATH, _body(invoice["id"])).body["results"][0]
    assert (
        real["creditMemo"]["lines"][0]["taxAmount"] == result["creditMemo"]["lines"][0]["taxAmount"] == "5.00"
    )


@pytest.mark.parametrize(
    "body",
    [
        {"invoices": []},
        {"invoices": [{"invoiceId": f"inv_{i}", "reasonCode": "BadDebt"} for i in range(101)]},
        {"invoices": [{"invoiceId": "inv_1", "reasonCode": "Bankrupt"}]},
        {"invoices": [{"invoiceId": "inv_1"}]},
        _body("inv_1", "inv_2", "inv_1"),
    ],
    ids=["none", "too-many", "unknown-reason", "no-reason", "named-twice"],
)
def test_a_request_that_is_not_valid_is_refused_whole(api: Api, body: dict[str, Any]) -> None:
    response = api.post(PATH, body)
    assert response.status == 422 and response.body["errorCode"] == "VALIDATION_ERROR", response


def test_direct_invocation_answers_the_same_results(api: Api) -> None:
    invoice = create_invoice(api, "30.00")
    body = invoke(
        "WriteOffInvoicesFunction", {**_body(invoice["id"], reason="Other"), "idempotencyKey": "d-1"}
    )
    (result,) = body["results"]
    assert result["success"] and result["creditMemo"]["reasonCode"] == "Other"
    assert (
        invoke("WriteOffInvoicesFunction", {**_body(invoice["id"], reason="Other"), "idempotencyKey": "d-1"})
        == body
    )
    with pytest.raises(ValidationError):
        invoke("WriteOffInvoicesFunction", _body(invoice["id"], invoice["id"]))


def test_a_crash_halfway_then_a_retry_writes_off_the_rest_and_nothing_twice(api: Api) -> None:
    invoices = [create_invoice(api, "10.00"), create_invoice(api, "20.00"), create_invoice(api, "30.00")]
    body = _body(*(i["id"] for i in invoices))
    key = {"Idempotency-Key": "crash-1"}
    transactions = 0

    def crash_at_the_second_transaction(event_name: str, **_: Any) -> None:
        nonlocal transactions
        if event_name.endswith(".TransactWriteItems"):
            transactions += 1
            if transactions == 2:
                raise RuntimeError("the function was stopped")

    events = get_dynamodb_client().meta.events
    events.register("before-call.dynamodb", crash_at_the_second_transaction, unique_id="crash")
    try:
        crashed = api.post(PATH, body, headers=key)
    finally:
        events.unregister("before-call.dynamodb", unique_id="crash")
    assert crashed.status == 500, crashed
    assert [api.get(f"/invoices/{i['id']}").body["balance"] for i in invoices] == ["0.00", "20.00", "30.00"]
    first_memo = api.get(f"/invoices/{invoices[0]['id']}/applications").body["items"][0]["creditMemoId"]
    retry = api.post(PATH, body, headers=key)
    assert retry.status == 200 and "Idempotent-Replayed" not in retry.headers, retry
    assert all(r["success"] for r in retry.body["results"])
    assert retry.body["results"][0]["creditMemo"]["id"] == first_memo  # replayed from its record
    assert [api.get(f"/invoices/{i['id']}").body["balance"] for i in invoices] == ["0.00"] * 3
    for invoice in invoices:
        assert len(api.get(f"/invoices/{invoice['id']}/applications").body["items"]) == 1
    numbers = [r["creditMemo"]["documentNumber"] for r in retry.body["results"]]
    assert len(set(numbers)) == 3
    assert api.post(PATH, body, headers=key).body == retry.body
