"""Refunds of credit memos and their reversals (spec section 10) over HTTP and direct invocation,
on moto: status codes and error bodies, replays, dry runs, voids, and what the memo, its lines and
its lists show."""

from __future__ import annotations

from typing import Any

import pytest

from tests.builders import apply_memo, create_invoice, create_memo, refund_memo
from tests.harness import Api, invoke

ACCOUNT = "acct-refund"


def new_memo(api: Api, *charges: str, status: str | None = None) -> dict[str, Any]:
    return create_memo(api, *charges, account=ACCOUNT, status=status)


def test_refund_reverse_list_and_get_over_http(api: Api) -> None:
    memo = new_memo(api, "60.00", "40.00")
    r = refund_memo(
        api,
        memo,
        "70.00",
        "ach-1",
        method="ACH",
        effectiveDate="2026-11-30",
        description="paid back",
        reasonCode="Goodwill",
    )
    assert r.status == 201, r
    refund = r.body
    assert (refund["type"], refund["hasBeenReversed"], refund["creditMemoBalance"]) == (
        "Refund",
        "No",
        "30.00",
    )
    assert (refund["method"], refund["effectiveDate"], refund["reasonCode"]) == (
        "ACH",
        "2026-11-30",
        "Goodwill",
    )
    assert refund["createdBy"] is not None and refund["creditMemoId"] == memo["id"]
    lines = [line["id"] for line in memo["lines"]]
    # Drawn from the lines, highest balance first.
    assert refund["lineAllocations"] == [
        {"creditMemoLineId": lines[0], "amount": "60.00"},
        {"creditMemoLineId": lines[1], "amount": "10.00"},
    ]
    got = api.get(f"/credit-memos/{memo['id']}").body
    assert (got["balance"], got["netRefunds"]) == ("30.00", "70.00")
    assert [(x["balance"], x["netRefunds"]) for x in got["lines"]] == [("0.00", "60.00"), ("30.00", "10.00")]
    listed = api.get("/credit-memos", query={"billingAccountId": ACCOUNT}).body["items"]
    assert [(m["netRefunds"], m["balance"]) for m in listed] == [("70.00", "30.00")]
    assert api.get(f"/credit-memo-refunds/{refund['id']}").body == refund

    reversed_ = api.post(f"/credit-memo-refunds/{refund['id']}/actions/reverse", None)
    assert reversed_.status == 200, reversed_
    reversal = reversed_.body
    assert (reversal["type"], reversal["associatedRefundId"], reversal["hasBeenReversed"]) == (
        "Reversal",
        refund["id"],
        "NA",
    )
    assert reversal["lineAllocations"] == refund["lineAllocations"]
    again = api.post(f"/credit-memo-refunds/{refund['id']}/actions/reverse", {})
    assert (again.status, again.body["errorCode"]) == (409, "ALREADY_REVERSED")
    got = api.get(f"/credit-memos/{memo['id']}").body
    assert (got["balance"], got["netRefunds"]) == ("100.00", "0.00")
    assert [(x["balance"], x["netRefunds"]) for x in got["lines"]] == [("60.00", "0.00"), ("40.00", "0.00")]
    history = api.get(f"/credit-memos/{memo['id']}/refunds").body
    assert [(x["type"], x["hasBeenReversed"]) for x in history["items"]] == [
        ("Refund", "Yes"),
        ("Reversal", "NA"),
    ]
    assert history["nextToken"] is None
    first = api.get(f"/credit-memos/{memo['id']}/refunds", query={"limit": "1"}).body
    rest = api.get(f"/credit-memos/{memo['id']}/refunds", query={"nextToken": first["nextToken"]}).body
    assert [x["id"] for x in first["items"] + rest["items"]] == [refund["id"], reversal["id"]]
    # Refunds are not credit applications.
    assert api.get(f"/credit-memos/{memo['id']}/applications").body["items"] == []


def test_the_invariant_holds_with_applications_and_refunds(api: Api) -> None:
    memo = new_memo(api, "100.00")
    invoice = create_invoice(api, "30.00", account=ACCOUNT)
    assert apply_memo(api, memo, (invoice, "30.00")).status == 200
    assert refund_memo(api, memo, "50.00").status == 201
    over = refund_memo(api, memo, "20.01", "ach-2")
    assert (over.status, over.body["errorCode"]) == (409, "INSUFFICIENT_BALANCE")
    # What is left is 20.00: an apply of more than that is refused too.
    other = create_invoice(api, "50.00", account=ACCOUNT)
    assert apply_memo(api, memo, (other, "20.01")).body["errorCode"] == "INSUFFICIENT_BALANCE"
    got = api.get(f"/credit-memos/{memo['id']}").body
    assert (got["totalAmountWithTax"], got["netCreditsApplied"], got["netRefunds"], got["balance"]) == (
        "100.00",
        "30.00",
        "50.00",
        "20.00",
    )
    assert refund_memo(api, memo, "20.00", "ach-3").status == 201
    assert api.get(f"/credit-memos/{memo['id']}").body["balance"] == "0.00"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "0", "refundReference": "r"}, "amount"),
        ({"amount": "-1.00", "refundReference": "r"}, "amount"),
        ({"amount": "1.001", "refundReference": "r"}, "amount"),
        ({"amount": "1.00"}, "refundReference"),
        ({"amount": "1.00", "refundReference": ""}, "refundReference"),
        ({"amount": "1.00", "refundReference": "r" * 129}, "refundReference"),
        ({"amount": "1.00", "refundReference": "a\u0000b"}, "refundReference"),
        ({"amount": "1.00", "refundReference": "r", "method": "m" * 65}, "method"),
        ({"amount": "1.00", "refundReference": "r", "reasonCode": "Nope"}, "reasonCode"),
        ({"amount": "1.00", "refundReference": "r", "effectiveDate": "2026-13-01"}, "effectiveDate"),
        ({"amount": "1.00", "refundReference": "r", "extra": 1}, "extra"),
    ],
)
def test_bad_refund_requests_are_422_and_change_nothing(api: Api, body: dict[str, Any], field: str) -> None:
    memo = new_memo(api)
    r = api.post(f"/credit-memos/{memo['id']}/actions/refund", body)
    assert (r.status, r.body["errorCode"]) == (422, "VALIDATION_ERROR"), r
    assert field in str(r.body), r
    assert api.get(f"/credit-memos/{memo['id']}").body == memo


def test_refund_conflicts_and_not_found(api: Api) -> None:
    memo = new_memo(api, "50.00")
    draft = new_memo(api, "50.00", status="Draft")
    assert refund_memo(api, memo, "20.00", "chk").status == 201
    cases = [
        (refund_memo(api, memo, "1.00", "chk"), 409, "DUPLICATE_REFERENCE"),
        (refund_memo(api, memo, "30.01", "chk-2"), 409, "INSUFFICIENT_BALANCE"),
        (refund_memo(api, draft, "1.00"), 409, "INVALID_STATUS"),
        (refund_memo(api, "cm_nope", "1.00"), 404, "NOT_FOUND"),
        (api.post("/credit-memo-refunds/rfd_nope/actions/reverse", {}), 404, "NOT_FOUND"),
        (api.get("/credit-memo-refunds/rfd_nope"), 404, "NOT_FOUND"),
        (api.get("/credit-memos/cm_nope/refunds"), 404, "NOT_FOUND"),
        (
            api.get(f"/credit-memos/{memo['id']}/refunds", query={"nextToken": "garbage"}),
            422,
            "VALIDATION_ERROR",
        ),
        (
            api.post("/credit-memo-refunds/rfd_x/actions/reverse", {"reasonCode": "Nope"}),
            422,
            "VALIDATION_ERROR",
        ),
    ]
    for r, status, code in cases:
        assert (r.status, r.body["errorCode"]) == (status, code), r
    assert api.get(f"/credit-memos/{memo['id']}").body["balance"] == "30.00"
    # The same reference on another memo is another claim.
    assert refund_memo(api, new_memo(api, "5.00"), "1.00", "chk").status == 201


def test_a_memo_with_an_unreversed_refund_cannot_be_voided(api: Api) -> None:
    memo = new_memo(api, "50.00")
    refund = refund_memo(api, memo, "10.00").body
    r = api.post(f"/credit-memos/{memo['id']}/actions/void", {})
    assert (r.status, r.body["errorCode"]) == (409, "HAS_ACTIVE_REFUNDS")
    assert api.get(f"/credit-memos/{memo['id']}").body["status"] == "Posted"
    assert api.post(f"/credit-memo-refunds/{refund['id']}/actions/reverse", {}).status == 200
    voided = api.post(f"/credit-memos/{memo['id']}/actions/void", {})
    assert (voided.status, voided.body["status"], voided.body["netRefunds"]) == (200, "Voided", "0.00")
    after = refund_memo(api, memo, "1.00", "ach-9")
    assert (after.status, after.body["errorCode"]) == (409, "INVALID_STATUS")
    listed = api.get("/credit-memos", query={"billingAccountId": ACCOUNT, "status": "Voided"}).body["items"]
    assert [(m["id"], m["netRefunds"]) for m in listed] == [(memo["id"], "0.00")]


def test_a_reversal_of_a_reversal_is_invalid_status(api: Api) -> None:
    refund = refund_memo(api, new_memo(api), "5.00").body
    reversal = api.post(f"/credit-memo-refunds/{refund['id']}/actions/reverse", {}).body
    r = api.post(f"/credit-memo-refunds/{reversal['id']}/actions/reverse", {})
    assert (r.status, r.body["errorCode"]) == (409, "INVALID_STATUS")


def test_replays_under_an_idempotency_key(api: Api) -> None:
    memo = new_memo(api, "100.00")
    headers = {"Idempotency-Key": "refund-once"}
    first = refund_memo(api, memo, "10.00", headers=headers)
    again = refund_memo(api, memo, "10.00", headers=headers)
    assert (first.status, again.status) == (201, 201)
    assert again.body == first.body and again.headers.get("Idempotent-Replayed") == "true"
    other = refund_memo(api, memo, "11.00", headers=headers)
    assert (other.status, other.body["errorCode"]) == (422, "IDEMPOTENCY_KEY_MISMATCH")
    refused = refund_memo(api, memo, "1.00", headers={"Idempotency-Key": "dup"})
    assert refused.body["errorCode"] == "DUPLICATE_REFERENCE"
    undo = {"Idempotency-Key": "undo-once"}
    reversed_ = api.post(f"/credit-memo-refunds/{first.body['id']}/actions/reverse", {}, headers=undo)
    replay = api.post(f"/credit-memo-refunds/{first.body['id']}/actions/reverse", {}, headers=undo)
    assert (reversed_.status, replay.status, replay.body) == (200, 200, reversed_.body)
    # A stored rejection replays even after the reversal freed the reference.
    assert refund_memo(api, memo, "1.00", headers={"Idempotency-Key": "dup"}).body["errorCode"] == (
        "DUPLICATE_REFERENCE"
    )
    assert refund_memo(api, memo, "1.00").status == 201  # the reference is free again
    assert api.get(f"/credit-memos/{memo['id']}").body["balance"] == "99.00"
    assert len(api.get(f"/credit-memos/{memo['id']}/refunds").body["items"]) == 3


def test_dry_runs_answer_as_the_real_call_and_write_nothing(api: Api) -> None:
    memo = new_memo(api, "60.00", "40.00")
    dry = api.post(
        f"/credit-memos/{memo['id']}/actions/refund",
        {"amount": "70.00", "refundReference": "ach-1"},
        query={"dryRun": "true"},
    )
    assert (dry.status, dry.headers.get("Dry-Run")) == (200, "true"), dry
    assert dry.body["id"] is None and dry.body["creditMemoBalance"] == "30.00"
    assert api.get(f"/credit-memos/{memo['id']}").body == memo
    assert api.get(f"/credit-memos/{memo['id']}/refunds").body["items"] == []
    refused = api.post(
        f"/credit-memos/{memo['id']}/actions/refund",
        {"amount": "100.01", "refundReference": "ach-1"},
        query={"dryRun": "true"},
    )
    assert (refused.status, refused.body["errorCode"]) == (409, "INSUFFICIENT_BALANCE")
    real = refund_memo(api, memo, "70.00", "ach-1")
    assert {**real.body, "id": None, "createdAt": None} == {**dry.body, "createdAt": None}
    dry_reverse = api.post(
        f"/credit-memo-refunds/{real.body['id']}/actions/reverse", {}, query={"dryRun": "true"}
    )
    assert (dry_reverse.status, dry_reverse.body["id"], dry_reverse.body["creditMemoBalance"]) == (
        200,
        None,
        "100.00",
    )
    # Nothing was reversed: the reference is still held, the balance still refunded.
    assert refund_memo(api, memo, "1.00", "ach-1").body["errorCode"] == "DUPLICATE_REFERENCE"
    assert api.get(f"/credit-memos/{memo['id']}").body["balance"] == "30.00"
    assert api.get(f"/credit-memo-refunds/{real.body['id']}").body["hasBeenReversed"] == "No"


def test_direct_invocation_returns_the_same_json_and_raises_by_error_code(api: Api) -> None:
    memo = new_memo(api, "100.00")
    payload = {"creditMemoId": memo["id"], "amount": 12.5, "refundReference": "ach-1", "idempotencyKey": "k1"}
    refund: Any = invoke("RefundCreditMemoFunction", dict(payload))
    assert (refund["amount"], refund["createdBy"]) == ("12.50", "lambda:RefundCreditMemoFunction")
    assert invoke("RefundCreditMemoFunction", dict(payload)) == refund
    with pytest.raises(Exception) as raised:
        invoke(
            "RefundCreditMemoFunction", {"creditMemoId": memo["id"], "amount": "1000", "refundReference": "x"}
        )
    assert type(raised.value).__name__ == "InsufficientBalance"
    reversal: Any = invoke(
        "ReverseCreditMemoRefundFunction", {"refundId": refund["id"], "reasonCode": "Other", "actor": "ops"}
    )
    assert (reversal["type"], reversal["createdBy"], reversal["reasonCode"]) == ("Reversal", "ops", "Other")
    with pytest.raises(Exception) as raised:
        invoke("ReverseCreditMemoRefundFunction", {"refundId": refund["id"]})
    assert type(raised.value).__name__ == "AlreadyReversed"
    listed: Any = invoke("ReadCreditMemoRefundsFunction", {"creditMemoId": memo["id"], "limit": 1})
    assert [x["id"] for x in listed["items"]] == [refund["id"]] and listed["nextToken"]
    rest: Any = invoke(
        "ReadCreditMemoRefundsFunction", {"creditMemoId": memo["id"], "nextToken": listed["nextToken"]}
    )
    assert [x["id"] for x in rest["items"]] == [reversal["id"]]
    one: Any = invoke("ReadCreditMemoRefundsFunction", {"refundId": reversal["id"]})
    assert one == reversal
