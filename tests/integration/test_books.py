"""The books (spec section 11) on DynamoDB Local through the HTTP API: after every step of random
sequences of every operation, AccountsReceivable = Σ Posted invoice balances and CustomerCredit =
Σ Posted memo balances per billing account and currency; closing and reopening periods, with
movements racing a close; the journal across the date shards, in pages and as CSV."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.harness import Api

D = Decimal
CSV_HEADER = (
    "entryId,entryDate,billingAccountId,currency,account,accountCode,debit,credit,"
    "sourceType,sourceId,documentNumber,reasonCode,createdBy"
)


def ok(result: Any) -> Any:
    assert 200 <= result.status < 300, result
    return result.body


def every(api: Api, path: str, **query: Any) -> Iterator[dict[str, Any]]:
    token = None
    while True:
        page = ok(api.get(path, query={**query, "nextToken": token}))
        yield from page["items"]
        token = page["nextToken"]
        if token is None:
            return


def trial(api: Api, account: str | None, as_of: str = "2099-12-31") -> dict[str, D]:
    body = ok(
        api.get("/trial-balance", query={"asOf": as_of, "currency": "USD", "billingAccountId": account})
    )
    return {line["account"]: D(line["balance"]) for line in body["accounts"]}


def assert_books_agree(api: Api, account: str) -> None:
    invoices = [i for i in every(api, "/invoices", billingAccountId=account) if i["status"] == "Posted"]
    memos = [m for m in every(api, "/credit-memos", billingAccountId=account) if m["status"] == "Posted"]
    balances = trial(api, account)
    assert balances["AccountsReceivable"] == sum((D(i["balance"]) for i in invoices), D(0))
    assert -balances["CustomerCredit"] == sum((D(m["balance"]) for m in memos), D(0))
    for entry in every(
        api, "/journal-entries", **{"from": "2000-01-01", "to": "2099-12-31", "billingAccountId": account}
    ):
        assert sum(D(x["debit"]) for x in entry["lines"]) == sum(D(x["credit"]) for x in entry["lines"])


def invoice(
    api: Api, account: str, *lines: tuple[str, str], day: str = "2026-06-10", level: str = "Invoice"
) -> Any:
    body = {
        "billingAccountId": account,
        "currency": "USD",
        "invoiceDate": day,
        "settlementLevel": level,
        "lines": [{"chargeAmount": c, "taxAmount": t} for c, t in lines],
    }
    return ok(api.post("/invoices", body))


def memo(api: Api, account: str, charge: str, day: str = "2026-06-12") -> Any:
    body = {
        "billingAccountId": account,
        "currency": "USD",
        "effectiveDate": day,
        "charges": [{"chargeAmount": charge, "productName": "p", "taxes": [{"taxAmount": "0.50"}]}],
    }
    return ok(api.post("/credit-memos", body))


STEPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "invoice",
                "line_invoice",
                "memo",
                "apply",
                "line_apply",
                "unapply",
                "void",
                "credit",
                "pay",
                "reverse",
                "convert",
                "refund",
                "unrefund",
                "write_off",
            ]
        ),
        st.integers(0, 7),
        st.sampled_from(["1.00", "12.50", "40.00", "150.00"]),
    ),
    min_size=1,
    max_size=14,
)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(STEPS)
def test_the_journal_agrees_with_the_documents_after_every_step(
    api: Api, steps: list[tuple[str, int, str]]
) -> None:
    account = f"acct-{uuid.uuid4().hex[:10]}"
    made: dict[str, list[Any]] = {"invoice": [], "memo": [], "applied": [], "payment": [], "refund": []}

    def pick(kind: str, n: int) -> Any:
        return made[kind][n % len(made[kind])] if made[kind] else None

    for name, n, amount in steps:
        if name in ("invoice", "line_invoice"):
            level = "InvoiceLine" if name == "line_invoice" else "Invoice"
            made["invoice"].append(invoice(api, account, (amount, "1.00"), ("-2.00", "0.00"), level=level))
        elif name == "memo":
            made["memo"].append(memo(api, account, amount))
        elif name == "apply" and (m := pick("memo", n)) and (i := pick("invoice", n)):
            result = api.post(
                f"/credit-memos/{m['id']}/actions/apply",
                {"applications": [{"invoiceId": i["id"], "amount": amount}]},
            )
            made["applied"] += result.body["applications"] if result.status == 200 else []
        elif name == "line_apply" and (m := pick("memo", n)) and (i := pick("invoice", n)):
            line = m["lines"][0]["id"]
            target = {"invoiceId": i["id"], "invoiceLineId": i["lines"][0]["id"]}
            result = api.post(
                f"/credit-memos/{m['id']}/lines/{line}/actions/apply", {"applications": [target]}
            )
            made["applied"] += result.body["applications"] if result.status == 200 else []
        elif name == "unapply" and (a := pick("applied", n)):
            level = "credit-memo-line-applications" if a.get("invoiceLineId") else "credit-memo-applications"
            api.post(f"/{level}/{a['id']}/actions/unapply", {})
        elif name == "void" and (m := pick("memo", n)):
            api.post(f"/credit-memos/{m['id']}/actions/void", {})
        elif name == "credit" and (i := pick("invoice", n)):
            lines = [{"invoiceLineId": i["lines"][0]["id"], "amountToCredit": "1.00"}]
            result = api.post(
                f"/invoices/{i['id']}/actions/credit",
                {"taxStrategy": "CopyFromInvoiceLine", "invoiceLines": lines},
            )
            if result.status == 201:
                made["memo"].append(result.body["creditMemo"])
                made["applied"] += result.body["applications"]
        elif name == "pay" and (i := pick("invoice", n)):
            result = api.post(
                f"/invoices/{i['id']}/actions/record-payment",
                {"amount": amount, "paymentReference": f"ref-{uuid.uuid4().hex[:8]}"},
            )
            made["payment"] += [result.body] if result.status == 201 else []
        elif name == "reverse" and (p := pick("payment", n)):
            api.post(f"/invoice-payments/{p['id']}/actions/reverse", {})
        elif name == "convert" and (i := pick("invoice", n)):
            result = api.post(
                f"/invoices/{i['id']}/actions/convert-to-credit", {"applyToInvoice": n % 2 == 0}
            )
            if result.status == 201:
                made["memo"].append(result.body["creditMemo"])
        elif name == "refund" and (m := pick("memo", n)):
            body = {"amount": amount, "refundReference": f"chq-{uuid.uuid4().hex[:8]}"}
            result = api.post(f"/credit-memos/{m['id']}/actions/refund", body)
            made["refund"] += [result.body] if result.status == 201 else []
        elif name == "unrefund" and (r := pick("refund", n)):
            api.post(f"/credit-memo-refunds/{r['id']}/actions/reverse", {})
        elif name == "write_off" and (i := pick("invoice", n)):
            api.post(
                "/invoices/actions/write-off", {"invoices": [{"invoiceId": i["id"], "reasonCode": "BadDebt"}]}
            )
        assert_books_agree(api, account)


def test_periods_close_in_order_refuse_movements_and_keep_their_balances(api: Api) -> None:
    account = f"acct-{uuid.uuid4().hex[:10]}"
    # The table is this module's: its first close closes every earlier month.
    early = invoice(api, account, ("100.00", "10.00"), day="2025-01-10")
    invoice(api, account, ("40.00", "0.00"), day="2025-02-10")
    closed = ok(api.post("/accounting-periods/2025-01/actions/close", {}))
    assert closed["status"] == "Closed" and closed["closedAt"]
    assert ok(api.get("/accounting-periods/2024-12"))["status"] == "Closed"
    assert ok(api.get("/accounting-periods/2025-02"))["status"] == "Open"
    frozen = trial(api, account, "2025-01-31")
    assert frozen["AccountsReceivable"] == D("110.00") and frozen["Revenue"] == D("-100.00")
    refused = api.post(
        f"/invoices/{early['id']}/actions/record-payment",
        {"amount": "5.00", "paymentReference": "late", "effectiveDate": "2025-01-31"},
    )
    assert refused.status == 409 and refused.body["errorCode"] == "PERIOD_CLOSED"
    dry = api.post(
        f"/invoices/{early['id']}/actions/record-payment",
        {"amount": "5.00", "paymentReference": "late", "effectiveDate": "2025-01-31"},
        query={"dryRun": "true"},
    )
    assert dry.status == 409 and dry.body["errorCode"] == "PERIOD_CLOSED"
    ok(
        api.post(
            f"/invoices/{early['id']}/actions/record-payment",
            {"amount": "5.00", "paymentReference": "feb", "effectiveDate": "2025-02-01"},
        )
    )
    assert trial(api, account, "2025-01-31") == frozen
    assert trial(api, None, "2025-01-31")["AccountsReceivable"] >= D("110.00")
    assert api.post("/accounting-periods/2025-03/actions/close", {}).status == 409
    ok(api.post("/accounting-periods/2025-02/actions/close", {}))
    assert trial(api, account, "2025-02-28")["AccountsReceivable"] == D("145.00")
    assert (
        api.post("/accounting-periods/2025-01/actions/reopen", {"reasonCode": "BillingError"}).status == 409
    )
    assert api.post("/accounting-periods/2025-02/actions/reopen", {}).status == 422  # reasonCode required
    assert (
        ok(api.post("/accounting-periods/2025-02/actions/reopen", {"reasonCode": "BillingError"}))["status"]
        == "Open"
    )
    ok(
        api.post(
            f"/invoices/{early['id']}/actions/record-payment",
            {"amount": "1.00", "paymentReference": "feb-2", "effectiveDate": "2025-02-20"},
        )
    )
    assert trial(api, account, "2025-02-28")["AccountsReceivable"] == D("144.00")
    ok(api.post("/accounting-periods/2025-02/actions/close", {}))
    assert trial(api, account, "2025-02-28")["AccountsReceivable"] == D("144.00")
    assert_books_agree(api, account)


def test_movements_racing_a_close_are_in_the_period_or_refused(api: Api) -> None:
    account = f"acct-{uuid.uuid4().hex[:10]}"
    target = invoice(api, account, ("500.00", "0.00"), day="2025-03-01")

    def pay(n: int) -> int:
        body = {"amount": "1.00", "paymentReference": f"race-{n}", "effectiveDate": "2025-03-15"}
        return api.post(f"/invoices/{target['id']}/actions/record-payment", body).status

    with ThreadPoolExecutor(8) as pool:
        payments = [pool.submit(pay, n) for n in range(24)]
        close = pool.submit(api.post, "/accounting-periods/2025-03/actions/close", {})
        statuses = [p.result() for p in payments]
    assert close.result().status == 200
    assert set(statuses) <= {201, 409}
    paid = statuses.count(201)
    # Every payment that committed is in the closed period's books; a refused one left nothing.
    assert trial(api, account, "2025-03-31")["Cash"] == D(paid)
    assert D(ok(api.get(f"/invoices/{target['id']}"))["balance"]) == D(500) - paid
    assert_books_agree(api, account)


def test_the_journal_reads_across_its_shards_in_pages_and_as_csv(api: Api) -> None:
    accounts = [f"acct-{uuid.uuid4().hex[:10]}" for _ in range(3)]
    days = ["2027-05-03", "2027-05-01", "2027-05-02", "2027-05-01", "2027-06-01"]
    for n, day in enumerate(days * 3):
        invoice(api, accounts[n % 3], (f"{n + 1}.00", "0.00"), day=day)
    listed = list(every(api, "/journal-entries", **{"from": "2027-05-01", "to": "2027-05-31", "limit": 4}))
    assert len(listed) == 12
    keys = [(e["entryDate"], e["recordedAt"], e["id"]) for e in listed]
    assert keys == sorted(keys) and len(set(keys)) == 12
    mine = list(
        every(
            api,
            "/journal-entries",
            **{"from": "2027-05-01", "to": "2027-06-30", "billingAccountId": accounts[0]},
        )
    )
    assert {e["billingAccountId"] for e in mine} == {accounts[0]} and len(mine) == 5
    text = api.get(
        "/journal-entries", query={"from": "2027-05-01", "to": "2027-05-31"}, headers={"Accept": "text/csv"}
    )
    assert text.status == 200 and text.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(text.body)))
    assert ",".join(rows[0]) == CSV_HEADER
    assert len(rows) == 1 + 12 * 2  # two lines an entry (receivable, revenue)
    assert {row[0] for row in rows[1:]} == {e["id"] for e in listed}
