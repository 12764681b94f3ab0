"""What a user does on a good day, over HTTP: documents, lists, applying and unapplying credit."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tests.builders import ACCOUNT, apply_memo, create_invoice, create_memo
from tests.harness import Api, HttpResult

D = Decimal


def apply(api: Api, memo_id: str, *targets: tuple[str, str | None]) -> HttpResult:
    r = apply_memo(api, memo_id, *targets)
    assert r.status == 200, r
    return r


def get(api: Api, doc_id: str) -> dict[str, Any]:
    kind = "credit-memos" if doc_id.startswith("cm_") else "invoices"
    r = api.get(f"/{kind}/{doc_id}")
    assert r.status == 200, r
    return r.body


def history(api: Api, doc_id: str) -> list[dict[str, Any]]:
    kind = "credit-memos" if doc_id.startswith("cm_") else "invoices"
    r = api.get(f"/{kind}/{doc_id}/applications")
    assert r.status == 200, r
    assert r.body["nextToken"] is None
    return r.body["items"]


def walk(api: Api, path: str, **query: Any) -> tuple[list[dict[str, Any]], int]:
    """Every item of a list, following nextToken; and how many pages it took."""
    items: list[dict[str, Any]] = []
    token, pages = None, 0
    while True:
        r = api.get(path, query={**query, "nextToken": token})
        assert r.status == 200, r
        assert set(r.body) == {"items", "nextToken"}
        items += r.body["items"]
        pages += 1
        token = r.body["nextToken"]
        if token is None:
            return items, pages
        assert pages < 50


def balances(doc: dict[str, Any]) -> tuple[str, list[str]]:
    return doc["balance"], [line["balance"] for line in doc["lines"]]


def today() -> str:
    return datetime.now(UTC).date().isoformat()


# ---------------------------------------------------------------- invoices and memos


def test_create_get_invoice_with_defaults(api: Api) -> None:
    inv = create_invoice(api, ("100.00", "8.25"), ("-20.00", "-1.65"), "0.5")
    assert inv["status"] == "Posted" and inv["settlementLevel"] == "Invoice"
    assert inv["invoiceDate"] == today() and inv["dueDate"] is None
    assert inv["totalChargeAmount"] == "80.50" and inv["totalTaxAmount"] == "6.60"
    assert inv["totalAmountWithTax"] == "87.10" and inv["balance"] == "87.10"
    assert inv["totalConvertedNegAmount"] == "0.00" and inv["netCreditsApplied"] == "0.00"
    assert inv["settlementStatus"] == "NotSettled"
    assert [line["amountWithTax"] for line in inv["lines"]] == ["108.25", "-21.65", "0.50"]
    assert [line["balance"] for line in inv["lines"]] == ["108.25", "-21.65", "0.50"]
    assert len({line["id"] for line in inv["lines"]}) == 3
    assert get(api, inv["id"]) == inv


def test_draft_invoice_then_post(api: Api) -> None:
    inv = create_invoice(
        api, "10.00", status="Draft", level="InvoiceLine", invoiceDate="2026-01-31", dueDate="2026-03-01"
    )
    assert inv["status"] == "Draft" and inv["settlementLevel"] == "InvoiceLine"
    assert (inv["invoiceDate"], inv["dueDate"]) == ("2026-01-31", "2026-03-01")
    r = api.post(f"/invoices/{inv['id']}/actions/post")
    assert r.status == 200, r
    assert r.body["status"] == "Posted" and r.body["balance"] == "10.00"
    assert get(api, inv["id"]) == r.body


def test_create_memo_with_taxes_draft_then_post(api: Api) -> None:
    r = api.post(
        "/credit-memos",
        {
            "billingAccountId": ACCOUNT,
            "currency": "USD",
            "type": "Draft",
            "description": "goodwill",
            "effectiveDate": "2026-11-01",
            "externalReference": "CASE-42",
            "charges": [
                {
                    "chargeAmount": "100.00",
                    "productId": "sku-1",
                    "description": "tablets",
                    "taxes": [
                        {"taxAmount": "8.25", "taxCode": "ST", "taxName": "State", "taxRate": "0.0825"},
                        {"taxAmount": 1, "taxName": "City"},
                    ],
                },
                {"chargeAmount": 20, "productName": "Case"},
            ],
        },
    )
    assert r.status == 201, r
    memo = r.body
    assert memo["status"] == "Draft" and memo["sourceAction"] == "Standalone"
    assert memo["referenceInvoiceId"] is None
    assert (memo["description"], memo["effectiveDate"], memo["externalReference"]) == (
        "goodwill",
        "2026-11-01",
        "CASE-42",
    )
    assert memo["totalChargeAmount"] == "120.00" and memo["totalTaxAmount"] == "9.25"
    assert memo["totalAmountWithTax"] == "129.25" and memo["balance"] == "129.25"
    first, second = memo["lines"]
    assert first["type"] == "Charge" and first["productId"] == "sku-1"
    assert (
        first["taxAmount"] == "9.25" and first["amountWithTax"] == "109.25" and first["balance"] == "109.25"
    )
    assert first["taxes"] == [
        {"taxAmount": "8.25", "taxCode": "ST", "taxName": "State", "taxRate": "0.0825"},
        {"taxAmount": "1.00", "taxCode": None, "taxName": "City", "taxRate": None},
    ]
    assert second["amountWithTax"] == "20.00" and second["taxes"] == []
    assert get(api, memo["id"]) == memo
    posted = api.post(f"/credit-memos/{memo['id']}/actions/post", {})
    assert posted.status == 200, posted
    assert posted.body["status"] == "Posted" and posted.body["balance"] == "129.25"
    assert get(api, memo["id"])["status"] == "Posted"


def test_void_memo(api: Api) -> None:
    memo = create_memo(api, "30.00", "12.50")
    r = api.post(f"/credit-memos/{memo['id']}/actions/void")
    assert r.status == 200, r
    voided = get(api, memo["id"])
    assert voided == r.body
    assert voided["status"] == "Voided" and voided["balance"] == "0.00"
    assert [line["balance"] for line in voided["lines"]] == ["0.00", "0.00"]
    assert voided["totalAmountWithTax"] == "42.50"
    items, _ = walk(api, "/credit-memos", billingAccountId=ACCOUNT, status="Voided")
    assert [m["id"] for m in items] == [memo["id"]]


def test_jpy_and_kwd_formatting(api: Api) -> None:
    jpy = create_invoice(api, ("1200", "120"), "-200", currency="JPY")
    assert jpy["totalAmountWithTax"] == "1120" and jpy["balance"] == "1120"
    assert [line["chargeAmount"] for line in jpy["lines"]] == ["1200", "-200"]
    assert jpy["netCreditsApplied"] == "0" and jpy["totalConvertedNegAmount"] == "0"
    jpy_memo = create_memo(api, "500", currency="JPY")
    r = apply(api, jpy_memo["id"], (jpy["id"], "300"))
    assert r.body["applications"][0]["amount"] == "300"
    assert r.body["applications"][0]["invoiceBalance"] == "820"
    assert r.body["creditMemo"]["balance"] == "200"

    kwd = create_invoice(api, ("1.25", "0.125"), currency="KWD")
    assert kwd["totalAmountWithTax"] == "1.375" and kwd["lines"][0]["taxAmount"] == "0.125"
    r = api.post(
        "/credit-memos",
        {
            "billingAccountId": ACCOUNT,
            "currency": "KWD",
            "charges": [{"chargeAmount": 1.5, "productName": "x", "taxes": [{"taxAmount": "0.075"}]}],
        },
    )
    assert r.status == 201, r
    kwd_memo = r.body
    assert kwd_memo["totalAmountWithTax"] == "1.575" and kwd_memo["lines"][0]["chargeAmount"] == "1.500"
    r = apply(api, kwd_memo["id"], (kwd["id"], "0.5"))
    assert r.body["applications"][0]["amount"] == "0.500"
    assert r.body["applications"][0]["creditMemoBalance"] == "1.075"
    assert get(api, kwd["id"])["balance"] == "0.875"


# ---------------------------------------------------------------- lists and pagination


def test_list_invoices_pagination_status_and_limits(api: Api) -> None:
    dates = ["2026-03-01", "2026-01-15", "2026-02-01", "2026-01-01", "2026-02-20"]
    statuses = ["Posted", "Draft", "Posted", "Draft", "Posted"]
    made = [
        create_invoice(api, f"{i + 1}.00", status=s, invoiceDate=d)
        for i, (d, s) in enumerate(zip(dates, statuses, strict=True))
    ]
    create_invoice(api, "9.00", account="acct-elsewhere")

    items, pages = walk(api, "/invoices", billingAccountId=ACCOUNT, limit=2)
    assert pages >= 3
    assert sorted(i["id"] for i in items) == sorted(m["id"] for m in made)  # each exactly once
    assert [i["invoiceDate"] for i in items] == sorted(dates)  # oldest invoice date first
    assert all("lines" not in i and i["lineCount"] == 1 for i in items)
    by_id = {m["id"]: m for m in made}
    assert all(i["balance"] == by_id[i["id"]]["balance"] for i in items)

    posted, _ = walk(api, "/invoices", billingAccountId=ACCOUNT, status="Posted", limit=1)
    assert sorted(i["id"] for i in posted) == sorted(m["id"] for m in made if m["status"] == "Posted")
    drafts, _ = walk(api, "/invoices", billingAccountId=ACCOUNT, status="Draft")
    assert {i["id"] for i in drafts} == {m["id"] for m in made if m["status"] == "Draft"}

    # Posting a draft moves it between the status lists.
    assert api.post(f"/invoices/{drafts[0]['id']}/actions/post").status == 200
    assert len(walk(api, "/invoices", billingAccountId=ACCOUNT, status="Draft")[0]) == 1
    assert len(walk(api, "/invoices", billingAccountId=ACCOUNT, status="Posted")[0]) == 4

    for limit in (1, 100):
        r = api.get("/invoices", query={"billingAccountId": ACCOUNT, "limit": limit})
        assert r.status == 200 and len(r.body["items"]) == min(limit, 5), r
    assert api.get("/invoices", query={"billingAccountId": ACCOUNT, "limit": 100}).body["nextToken"] is None
    assert api.get("/invoices", query={"billingAccountId": "acct-nobody"}).body == {
        "items": [],
        "nextToken": None,
    }


def test_list_credit_memos_pagination_and_status(api: Api) -> None:
    posted = [create_memo(api, f"{i + 1}.00") for i in range(3)]
    draft = create_memo(api, "9.00", status="Draft")
    voided = create_memo(api, "8.00")
    api.post(f"/credit-memos/{voided['id']}/actions/void")
    items, pages = walk(api, "/credit-memos", billingAccountId=ACCOUNT, limit=2)
    assert pages >= 3
    assert sorted(i["id"] for i in items) == sorted(m["id"] for m in [*posted, draft, voided])
    assert all("lines" not in i for i in items)
    only_posted, _ = walk(api, "/credit-memos", billingAccountId=ACCOUNT, status="Posted", limit=1)
    assert sorted(i["id"] for i in only_posted) == sorted(m["id"] for m in posted)
    assert [i["id"] for i in walk(api, "/credit-memos", billingAccountId=ACCOUNT, status="Draft")[0]] == [
        draft["id"]
    ]
    assert [
        i["status"] for i in walk(api, "/credit-memos", billingAccountId=ACCOUNT, status="Voided")[0]
    ] == ["Voided"]


# ---------------------------------------------------------------- applying credit


def test_invoice_level_apply_and_settlement_status(api: Api) -> None:
    inv = create_invoice(api, "100.00")
    memo = create_memo(api, "60.00", "50.00")
    assert inv["settlementStatus"] == "NotSettled"
    r = apply(api, memo["id"], (inv["id"], "40.00"))
    [record] = r.body["applications"]
    assert record["level"] == "Invoice" and "invoiceLineId" not in record
    assert record["type"] == "Applied" and record["hasBeenUnapplied"] == "No"
    assert record["associatedApplicationId"] is None
    assert (record["amount"], record["creditMemoBalance"], record["invoiceBalance"]) == (
        "40.00",
        "70.00",
        "60.00",
    )
    assert record["appliedDate"] and record["effectiveDate"] == today()
    after = get(api, inv["id"])
    assert after["settlementStatus"] == "PartiallySettled"
    assert after["balance"] == "60.00" and after["netCreditsApplied"] == "40.00"
    assert [line["balance"] for line in after["lines"]] == ["100.00"]  # invoice level: lines untouched
    memo_after = get(api, memo["id"])
    assert memo_after["balance"] == "70.00" and memo_after["netCreditsApplied"] == "40.00"
    assert r.body["creditMemo"] == memo_after

    r = apply(api, memo["id"], (inv["id"], None))  # the rest of the invoice
    assert r.body["applications"][0]["amount"] == "60.00"
    settled = get(api, inv["id"])
    assert settled["settlementStatus"] == "Settled" and settled["balance"] == "0.00"
    assert get(api, memo["id"])["balance"] == "10.00"

    u = api.post(f"/credit-memo-applications/{record['id']}/actions/unapply", {"description": "oops"})
    assert u.status == 200, u
    assert get(api, inv["id"])["settlementStatus"] == "PartiallySettled"


def test_invoice_line_level_apply_records(api: Api) -> None:
    inv = create_invoice(api, "20.00", "50.00", ("25.00", "5.00"), level="InvoiceLine")
    memo = create_memo(api, "40.00", "60.00")
    low, high, mid = (line["id"] for line in inv["lines"])
    m40, m60 = (line["id"] for line in memo["lines"])
    r = apply(api, memo["id"], (inv["id"], "90.00"))
    records = r.body["applications"]
    # Invoice lines settle highest balance first (50, 30, 20), memo lines draw highest first (60, 40).
    assert [(x["invoiceLineId"], x["creditMemoLineId"], x["amount"]) for x in records] == [
        (high, m60, "50.00"),
        (mid, m60, "10.00"),
        (mid, m40, "20.00"),
        (low, m40, "10.00"),
    ]
    entry = records[0]["id"].rsplit(".", 1)[0]
    assert [x["id"] for x in records] == [f"{entry}.{i}" for i in range(1, 5)]
    assert all(x["level"] == "InvoiceLine" and x["hasBeenUnapplied"] == "No" for x in records)
    assert [x["creditMemoBalance"] for x in records] == ["50.00", "40.00", "20.00", "10.00"]
    assert [x["invoiceBalance"] for x in records] == ["50.00", "40.00", "20.00", "10.00"]
    assert [x["invoiceLineBalance"] for x in records] == ["0.00", "20.00", "0.00", "10.00"]
    assert [x["creditMemoLineBalance"] for x in records] == ["10.00", "0.00", "20.00", "10.00"]
    after = get(api, inv["id"])
    assert balances(after) == ("10.00", ["10.00", "0.00", "0.00"])
    assert [line["netCreditsApplied"] for line in after["lines"]] == ["10.00", "50.00", "30.00"]
    assert balances(get(api, memo["id"])) == ("10.00", ["10.00", "0.00"])
    assert history(api, inv["id"]) == records


def test_multi_invoice_apply(api: Api) -> None:
    memo = create_memo(api, "100.00")
    a = create_invoice(api, "50.00")
    b = create_invoice(api, "30.00", level="InvoiceLine")
    c = create_invoice(api, "100.00")
    r = apply(api, memo["id"], (a["id"], None), (b["id"], "10.00"), (c["id"], None))
    assert [(x["invoiceId"], x["amount"]) for x in r.body["applications"]] == [
        (a["id"], "50.00"),
        (b["id"], "10.00"),
        (c["id"], "40.00"),
    ]
    assert r.body["applications"][1]["level"] == "InvoiceLine"
    assert [x["creditMemoBalance"] for x in r.body["applications"]] == ["50.00", "40.00", "0.00"]
    assert r.body["creditMemo"]["balance"] == "0.00"
    assert [get(api, i["id"])["balance"] for i in (a, b, c)] == ["0.00", "20.00", "60.00"]
    assert get(api, b["id"])["lines"][0]["balance"] == "20.00"
    # The history lists one request's records in the request's order (same appliedDate).
    assert history(api, memo["id"]) == r.body["applications"]
    # The same invoice twice in one request: the second sees what the first left.
    memo2 = create_memo(api, "100.00")
    r = apply(api, memo2["id"], (c["id"], "25.00"), (c["id"], None))
    assert [x["amount"] for x in r.body["applications"]] == ["25.00", "35.00"]
    assert history(api, memo2["id"]) == r.body["applications"]
    assert get(api, c["id"])["balance"] == "0.00"
    assert get(api, memo2["id"])["balance"] == "40.00"


def test_memo_line_apply_to_invoice_lines_of_two_invoices(api: Api) -> None:
    memo = create_memo(api, "80.00", "10.00")
    line_id = memo["lines"][0]["id"]
    one = create_invoice(api, "30.00", "40.00", level="InvoiceLine")
    two = create_invoice(api, "25.00", level="InvoiceLine")
    r = api.post(
        f"/credit-memos/{memo['id']}/lines/{line_id}/actions/apply",
        {
            "applications": [
                {
                    "invoiceId": one["id"],
                    "invoiceLineId": one["lines"][1]["id"],
                    "amount": "15.00",
                    "description": "partial",
                    "effectiveDate": "2026-10-01",
                },
                {"invoiceId": two["id"], "invoiceLineId": two["lines"][0]["id"]},
                {"invoiceId": one["id"], "invoiceLineId": one["lines"][0]["id"], "description": "rest"},
            ]
        },
    )
    assert r.status == 200, r
    records = r.body["applications"]
    # One entry per invoice, in first-mention order; defaults take what is left.
    assert [(x["invoiceId"], x["invoiceLineId"], x["amount"]) for x in records] == [
        (one["id"], one["lines"][1]["id"], "15.00"),
        (one["id"], one["lines"][0]["id"], "30.00"),
        (two["id"], two["lines"][0]["id"], "25.00"),
    ]
    assert all(x["creditMemoLineId"] == line_id for x in records)
    assert [x["creditMemoLineBalance"] for x in records] == ["65.00", "35.00", "10.00"]
    # Each application keeps its own description and effective date.
    assert [(x["description"], x["effectiveDate"]) for x in records] == [
        ("partial", "2026-10-01"),
        ("rest", today()),
        (None, today()),
    ]
    assert history(api, one["id"]) == records[:2]
    assert balances(get(api, one["id"])) == ("25.00", ["0.00", "25.00"])
    assert balances(get(api, two["id"])) == ("0.00", ["0.00"])
    memo_after = get(api, memo["id"])
    assert balances(memo_after) == ("20.00", ["10.00", "10.00"])
    assert memo_after["lines"][0]["netCreditsApplied"] == "70.00"
    assert get(api, two["id"])["settlementStatus"] == "Settled"


def test_unapply_restores_every_balance_at_both_levels(api: Api) -> None:
    memo = create_memo(api, "70.00", "50.00")
    flat = create_invoice(api, "40.00", "10.00")
    lined = create_invoice(api, "30.00", "45.00", level="InvoiceLine")
    before = [get(api, d["id"]) for d in (memo, flat, lined)]
    flat_records = apply(api, memo["id"], (flat["id"], "35.00")).body["applications"]
    line_records = apply(api, memo["id"], (lined["id"], "60.00")).body["applications"]
    line_records += api.post(
        f"/credit-memos/{memo['id']}/lines/{memo['lines'][1]['id']}/actions/apply",
        {
            "applications": [
                {"invoiceId": lined["id"], "invoiceLineId": lined["lines"][0]["id"], "amount": "5"}
            ]
        },
    ).body["applications"]
    assert get(api, memo["id"])["balance"] == "20.00"
    assert get(api, lined["id"])["balance"] == "10.00"

    for record in flat_records:
        u = api.post(f"/credit-memo-applications/{record['id']}/actions/unapply", {})
        assert u.status == 200, u
        assert u.body["type"] == "Unapplied" and u.body["hasBeenUnapplied"] == "NA"
        assert u.body["associatedApplicationId"] == record["id"] and u.body["amount"] == record["amount"]
        # Section 7: an Unapplied record shows both dates, the reversed record's appliedDate and its own.
        assert u.body["unappliedDate"] and u.body["appliedDate"] == record["appliedDate"]
    for record in line_records:
        u = api.post(
            f"/credit-memo-line-applications/{record['id']}/actions/unapply", {"effectiveDate": "2026-12-01"}
        )
        assert u.status == 200, u
        assert u.body["invoiceLineId"] == record["invoiceLineId"]
        assert u.body["creditMemoLineId"] == record["creditMemoLineId"]
        assert u.body["effectiveDate"] == "2026-12-01"

    after = [get(api, d["id"]) for d in (memo, flat, lined)]
    for old, new in zip(before, after, strict=True):
        assert balances(new) == balances(old)
        assert new["netCreditsApplied"] == old["netCreditsApplied"]
        assert [line["netCreditsApplied"] for line in new["lines"]] == [
            line["netCreditsApplied"] for line in old["lines"]
        ]
        assert new["totalAmountWithTax"] == old["totalAmountWithTax"]
    assert after[1]["settlementStatus"] == after[2]["settlementStatus"] == "NotSettled"
    # The Applied records keep their amounts and are flagged; nothing was deleted.
    flagged = {x["id"]: x for x in history(api, memo["id"]) if x["type"] == "Applied"}
    assert len(flagged) == len(flat_records) + len(line_records)
    assert all(x["hasBeenUnapplied"] == "Yes" for x in flagged.values())
    assert [flagged[x["id"]]["amount"] for x in line_records] == [x["amount"] for x in line_records]


def test_history_of_a_many_invoice_apply_keeps_request_order(api: Api) -> None:
    memo = create_memo(api, "1000.00")
    invoices = [
        create_invoice(api, f"{10 + i}.00", level="InvoiceLine" if i % 2 else "Invoice") for i in range(8)
    ]
    r = apply(api, memo["id"], *[(inv["id"], None) for inv in invoices])
    records = r.body["applications"]
    assert [x["invoiceId"] for x in records] == [inv["id"] for inv in invoices]
    assert history(api, memo["id"]) == records
    assert [x["creditMemoBalance"] for x in history(api, memo["id"])] == [
        f"{1000 - sum(10 + j for j in range(i + 1))}.00" for i in range(8)
    ]
    items, _ = walk(api, f"/credit-memos/{memo['id']}/applications", limit=3)
    assert items == records


def test_application_history_in_order(api: Api) -> None:
    memo = create_memo(api, "100.00")
    a, b = create_invoice(api, "50.00"), create_invoice(api, "50.00")
    first = apply(api, memo["id"], (a["id"], "10.00")).body["applications"][0]
    second = apply(api, memo["id"], (b["id"], "20.00")).body["applications"][0]
    third = apply(api, memo["id"], (a["id"], "5.00")).body["applications"][0]
    undo = api.post(f"/credit-memo-applications/{first['id']}/actions/unapply", {}).body

    memo_history = history(api, memo["id"])
    assert [x["id"] for x in memo_history] == [first["id"], second["id"], third["id"], undo["id"]]
    assert [x["type"] for x in memo_history] == ["Applied", "Applied", "Applied", "Unapplied"]
    assert [x["hasBeenUnapplied"] for x in memo_history] == ["Yes", "No", "No", "NA"]
    assert memo_history[3]["associatedApplicationId"] == first["id"]
    assert [x["creditMemoBalance"] for x in memo_history] == ["90.00", "70.00", "65.00", "75.00"]

    a_history = history(api, a["id"])
    assert [x["id"] for x in a_history] == [first["id"], third["id"], undo["id"]]
    assert [x["invoiceBalance"] for x in a_history] == ["40.00", "35.00", "45.00"]
    assert [x["id"] for x in history(api, b["id"])] == [second["id"]]

    # The history pages like any list.
    items, pages = walk(api, f"/credit-memos/{memo['id']}/applications", limit=1)
    assert [x["id"] for x in items] == [x["id"] for x in memo_history] and pages >= 4
    # The documents agree with the history.
    assert get(api, memo["id"])["balance"] == "75.00"
    assert get(api, a["id"])["balance"] == "45.00"


def test_credit_invoice_and_convert_round_trip(api: Api) -> None:
    inv = create_invoice(api, ("100.00", "10.00"), ("-30.00", "-3.00"), level="InvoiceLine")
    assert inv["balance"] == "77.00"
    converted = api.post(f"/invoices/{inv['id']}/actions/convert-to-credit", {"description": "refund"})
    assert converted.status == 201, converted
    memo = converted.body["creditMemo"]
    assert memo["sourceAction"] == "NegativeInvoiceLineConversion" and memo["totalAmountWithTax"] == "33.00"
    assert memo["lines"][0]["taxAmount"] == "3.00"
    assert [x["invoiceLineId"] for x in converted.body["applications"]] == [inv["lines"][0]["id"]]
    after = get(api, inv["id"])
    assert after["totalConvertedNegAmount"] == "-33.00"
    assert balances(after) == ("77.00", ["77.00", "0.00"])
    assert after["lines"][1]["convertedNegAmount"] == "-33.00"
    credited = api.post(
        f"/invoices/{inv['id']}/actions/credit",
        {
            "taxStrategy": "CopyFromInvoiceLine",
            "invoiceLines": [{"invoiceLineId": inv["lines"][0]["id"], "amountToCredit": "50.00"}],
        },
    )
    assert credited.status == 201, credited
    assert credited.body["creditMemo"]["totalAmountWithTax"] == "55.00"
    assert credited.body["applications"][0]["invoiceLineBalance"] == "22.00"
    assert balances(get(api, inv["id"])) == ("22.00", ["22.00", "0.00"])
