"""Races on one invoice, on DynamoDB Local, through the real handlers.

32 requests start together (a barrier) and ask for more credit than exists. Whatever the
interleaving, every request must end in 200, 409 INSUFFICIENT_BALANCE or 409 CONCURRENT_UPDATE,
and the documents must satisfy the contract's invariants afterwards: nothing applied twice,
nothing lost, nothing negative, and exactly what the successful responses report has moved.

Threads use direct invocation (the HTTP path of a handler is not thread-safe within one process;
see ``support``); the HTTP race runs each request in its own forked process, as Lambda would run
it in its own container.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from credit_memos.api import runtime
from credit_memos.ports import Changes, ConflictingWrite, Repository

from tests.builders import create_invoice, create_memo
from tests.harness import Api, handler_for
from tests.integration.support import (
    Result,
    all_pages,
    call,
    check,
    check_invoice,
    check_memo,
    money,
    new_account,
)

pytestmark = pytest.mark.integration

THREADS = 32
LOST_RACE = {"INSUFFICIENT_BALANCE", "CONCURRENT_UPDATE"}


class CountingConflicts:
    """The service's repository, counting the commits that lost to another writer."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.conflicts = 0

    def commit(self, unit: Changes) -> None:
        try:
            self._inner.commit(unit)
        except ConflictingWrite:
            self.conflicts += 1  # one int += under the GIL per lost commit: a lower bound at worst
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@dataclass
class Race:
    results: list[Result]
    conflicts: int  # commits that failed on a version another request had just changed


def race(function: str, payloads: list[dict[str, Any]]) -> Race:
    """Invoke ``function`` once per payload, all released at the same instant from their own thread."""
    return race_calls([(function, payload) for payload in payloads])


def race_calls(calls: list[tuple[str, dict[str, Any]]]) -> Race:
    """Make each (function, payload) call, all released at the same instant from their own thread."""
    for function in {function for function, _ in calls}:
        handler_for(function)  # import the handlers before the race, not once per thread during it
    counting: list[CountingConflicts] = []

    def wrap(repository: Repository) -> Repository:
        counting.append(CountingConflicts(repository))
        return counting[-1]

    barrier = threading.Barrier(len(calls))

    def run(request: tuple[str, dict[str, Any]]) -> Result:
        barrier.wait(timeout=30)
        return call(*request)

    with (
        runtime.use_service(runtime.build_service(wrap=wrap)),
        ThreadPoolExecutor(max_workers=len(calls)) as pool,
    ):
        results = list(pool.map(run, calls))
    return Race(results, counting[0].conflicts)


def assert_only_clean_outcomes(results: list[Result], allowed: set[str]) -> Counter[str]:
    outcomes = Counter("OK" if r.status == 200 else f"{r.status} {r.code}" for r in results)
    for result in results:
        assert result.status < 500, result
        assert result.status == 200 or (result.status == 409 and result.code in allowed), result
    return outcomes


def applied_amount(result: Result) -> Decimal:
    return sum((money(a["amount"]) for a in result.body["applications"]), Decimal(0))


# ---------------------------------------------------------------- invoice level


def test_32_memos_race_for_one_invoice(api: Api) -> None:
    account = new_account()
    invoice = create_invoice(api, "600.00", "400.00", account=account)
    # 45.00 .. 60.50: the ten memos below 50.00 cannot give 50.00 whatever happens.
    memos = [
        create_memo(api, f"{Decimal('45.00') + Decimal('0.50') * i}", account=account) for i in range(THREADS)
    ]
    payloads = [
        {
            "creditMemoId": memo["id"],
            # Even threads ask for 50.00; odd ones for "whatever is left" (min of both balances).
            "applications": [{"invoiceId": invoice["id"], **({"amount": "50.00"} if i % 2 == 0 else {})}],
        }
        for i, memo in enumerate(memos)
    ]
    demand = sum(
        (Decimal("50.00") if i % 2 == 0 else money(m["totalAmountWithTax"]) for i, m in enumerate(memos)),
        Decimal(0),
    )
    assert demand > money(invoice["totalAmountWithTax"])

    contest = race("ApplyCreditMemoFunction", payloads)

    results = contest.results
    assert_only_clean_outcomes(results, LOST_RACE)
    assert contest.conflicts > 0  # the requests did overlap, and lost races were retried
    for i in range(0, 10, 2):  # asked 50.00 of a memo that never had it
        assert results[i].code == "INSUFFICIENT_BALANCE", results[i]
    won = [r for r in results if r.status == 200]
    assert won, "no request got through"
    moved = sum((applied_amount(r) for r in won), Decimal(0))

    after, records = check_invoice(api, invoice["id"])
    assert money(after["totalAmountWithTax"]) - money(after["balance"]) == moved
    assert len(records) == len(won) and all(r["type"] == "Applied" for r in records)
    assert sorted(r["id"] for r in records) == sorted(r.body["applications"][0]["id"] for r in won)
    left_memos = Decimal(0)
    for i, memo in enumerate(memos):
        memo_after, memo_records = check_memo(api, memo["id"])
        mine = [r for r in won if r.body["creditMemo"]["id"] == memo["id"]]
        assert len(memo_records) == len(mine) <= 1
        expected = money(memo["totalAmountWithTax"]) - sum((applied_amount(r) for r in mine), Decimal(0))
        assert money(memo_after["balance"]) == expected
        if mine and i % 2 == 0:
            assert applied_amount(mine[0]) == Decimal("50.00")
        left_memos += money(memo["totalAmountWithTax"]) - money(memo_after["balance"])
    assert left_memos == moved

    # Whoever lost a race only to contention can try again; the documents end settled exactly.
    for payload in payloads:
        memo_id = payload["creditMemoId"]
        again = call(
            "ApplyCreditMemoFunction",
            {"creditMemoId": memo_id, "applications": [{"invoiceId": invoice["id"]}]},
        )
        assert again.status == 200 or again.code == "INSUFFICIENT_BALANCE", again
    final, _ = check_invoice(api, invoice["id"])
    assert money(final["balance"]) == 0 and final["settlementStatus"] == "Settled"
    for memo in memos:
        check_memo(api, memo["id"])


def test_32_requests_race_on_one_memo_and_one_invoice(api: Api) -> None:
    account = new_account()
    invoice = create_invoice(api, "1000.00", account=account)
    memo = create_memo(api, "200.00", "250.00", "150.00", account=account)  # 600.00
    amounts = ["50.00" if i % 4 else "25.00" for i in range(THREADS)]  # 1400.00 asked of 600.00
    payloads = [
        {"creditMemoId": memo["id"], "applications": [{"invoiceId": invoice["id"], "amount": amount}]}
        for amount in amounts
    ]

    contest = race("ApplyCreditMemoFunction", payloads)

    results = contest.results
    outcomes = assert_only_clean_outcomes(results, LOST_RACE)
    assert contest.conflicts > 0
    won = [r for r in results if r.status == 200]
    moved = sum((applied_amount(r) for r in won), Decimal(0))
    assert Decimal(0) < moved <= Decimal("600.00"), outcomes
    memo_after, memo_records = check_memo(api, memo["id"])
    invoice_after, invoice_records = check_invoice(api, invoice["id"])
    assert money(memo_after["balance"]) == Decimal("600.00") - moved
    assert money(invoice_after["balance"]) == Decimal("1000.00") - moved
    assert len(memo_records) == len(invoice_records) == len(won)
    # Each winner saw the memo as its own commit left it: the balances it reports are all distinct.
    snapshots = sorted(money(r.body["applications"][0]["creditMemoBalance"]) for r in won)
    assert len(set(snapshots)) == len(snapshots)
    assert snapshots[0] == money(memo_after["balance"])


def test_32_concurrent_unapplies_of_one_record_restore_the_balance_once(api: Api) -> None:
    account = new_account()
    invoice = create_invoice(api, "100.00", account=account)
    memo = create_memo(api, "80.00", account=account)
    applied = check(
        api.post(
            f"/credit-memos/{memo['id']}/actions/apply",
            {"applications": [{"invoiceId": invoice["id"], "amount": "60.00"}]},
        ),
        200,
    )["applications"][0]

    unapply = {"applicationId": applied["id"]}
    results = race("UnapplyCreditMemoApplicationFunction", [unapply] * THREADS).results

    assert_only_clean_outcomes(results, {"ALREADY_UNAPPLIED", "CONCURRENT_UPDATE"})
    won = [r for r in results if r.status == 200]
    assert len(won) == 1, Counter(r.code for r in results)
    assert won[0].body["type"] == "Unapplied"
    assert won[0].body["associatedApplicationId"] == applied["id"]
    assert money(won[0].body["amount"]) == Decimal("60.00")
    memo_after, memo_records = check_memo(api, memo["id"])
    invoice_after, invoice_records = check_invoice(api, invoice["id"])
    assert money(memo_after["balance"]) == Decimal("80.00")
    assert money(invoice_after["balance"]) == Decimal("100.00")
    assert len(invoice_records) == len(memo_records) == 2


# ---------------------------------------------------------------- invoice line level


def test_32_memo_lines_race_for_the_same_invoice_lines(api: Api) -> None:
    account = new_account()
    invoice = create_invoice(api, *["250.00"] * 4, account=account, level="InvoiceLine")
    lines = [line["id"] for line in invoice["lines"]]
    # 8 memos x 4 lines of 40.00 .. 59.38: about 1590.00 of credit for 1000.00 of invoice lines.
    memos = [
        create_memo(
            api,
            *[f"{Decimal('40.00') + Decimal('0.625') * (4 * m + k):.2f}" for k in range(4)],
            account=account,
        )
        for m in range(8)
    ]
    payloads = []
    for t in range(THREADS):
        memo = memos[t // 4]
        memo_line = memo["lines"][t % 4]
        if t < 4:  # two invoice lines in one all-or-nothing request
            targets = [
                {"invoiceId": invoice["id"], "invoiceLineId": lines[t], "amount": "20.00"},
                {"invoiceId": invoice["id"], "invoiceLineId": lines[(t + 1) % 4], "amount": "15.00"},
            ]
        else:
            target: dict[str, Any] = {"invoiceId": invoice["id"], "invoiceLineId": lines[(t + t // 4) % 4]}
            if t % 2 == 0:
                target["amount"] = "45.00"
            targets = [target]
        payloads.append(
            {"creditMemoId": memo["id"], "creditMemoLineId": memo_line["id"], "applications": targets}
        )

    contest = race("ApplyCreditMemoLineFunction", payloads)

    results = contest.results
    outcomes = assert_only_clean_outcomes(results, LOST_RACE)
    assert contest.conflicts > 0
    won = [r for r in results if r.status == 200]
    assert won, outcomes
    invoice_after, records = check_invoice(api, invoice["id"])
    moved = sum((applied_amount(r) for r in won), Decimal(0))
    assert money(invoice_after["totalAmountWithTax"]) - money(invoice_after["balance"]) == moved
    assert sorted(r["id"] for r in records) == sorted(a["id"] for r in won for a in r.body["applications"])
    for t, result in enumerate(results):
        if result.status == 200 and t < 4:
            assert [a["amount"] for a in result.body["applications"]] == ["20.00", "15.00"]
    per_line: defaultdict[str, Decimal] = defaultdict(Decimal)
    for result in won:
        for application in result.body["applications"]:
            per_line[application["invoiceLineId"]] += money(application["amount"])
    for line in invoice_after["lines"]:
        assert money(line["netCreditsApplied"]) == per_line.get(line["id"], 0)
    from_memos = Decimal(0)
    for memo in memos:
        memo_after, _ = check_memo(api, memo["id"])
        from_memos += money(memo_after["netCreditsApplied"])
    assert from_memos == moved

    # And a race of unapplies of one line-level record.
    record = next(r for r in records if r["type"] == "Applied")
    unapplies = race(
        "UnapplyCreditMemoLineApplicationFunction", [{"applicationId": record["id"]}] * THREADS
    ).results
    assert_only_clean_outcomes(unapplies, {"ALREADY_UNAPPLIED", "CONCURRENT_UPDATE"})
    assert sum(r.status == 200 for r in unapplies) == 1
    final, _ = check_invoice(api, invoice["id"])
    assert money(final["balance"]) == money(invoice_after["balance"]) + money(record["amount"])
    line_before = next(line for line in invoice_after["lines"] if line["id"] == record["invoiceLineId"])
    line_after = next(line for line in final["lines"] if line["id"] == record["invoiceLineId"])
    assert money(line_after["balance"]) == money(line_before["balance"]) + money(record["amount"])
    check_memo(api, record["creditMemoId"])


# ---------------------------------------------------------------- HTTP, one process per request


_barrier: Any = None


def _init_container(barrier: Any) -> None:
    global _barrier
    _barrier = barrier
    runtime.reset()  # a new DynamoDB client in this process; never share the parent's sockets


def _http_apply(request: tuple[str, dict[str, Any]]) -> tuple[int, Any]:
    path, body = request
    _barrier.wait(timeout=60)
    response = Api().post(path, body)
    return response.status, response.body


def test_http_requests_from_concurrent_containers(api: Api) -> None:
    """Each request in its own (forked) process, like separate Lambda containers, all at once."""
    account = new_account()
    invoice = create_invoice(api, "300.00", account=account)
    memos = [create_memo(api, "40.00", account=account) for _ in range(16)]  # 640.00 for 300.00
    requests = [
        (
            f"/credit-memos/{m['id']}/actions/apply",
            {"applications": [{"invoiceId": invoice["id"], "amount": "30.00"}]},
        )
        for m in memos
    ]
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(requests))
    with context.Pool(len(requests), initializer=_init_container, initargs=(barrier,)) as pool:
        responses = pool.map(_http_apply, requests, chunksize=1)

    for status, body in responses:
        assert status == 200 or (status == 409 and body["errorCode"] in LOST_RACE), (status, body)
    won = [body for status, body in responses if status == 200]
    moved = sum((money(b["applications"][0]["amount"]) for b in won), Decimal(0))
    assert len(won) <= 10 and moved == Decimal("30.00") * len(won)
    after, records = check_invoice(api, invoice["id"])
    assert money(after["balance"]) == Decimal("300.00") - moved
    assert len(records) == len(won)
    for memo in memos:
        check_memo(api, memo["id"])


# ---------------------------------------------------------------- payments (spec section 8)


def test_payments_credits_and_reversals_race_on_one_invoice(api: Api) -> None:
    """38 threads on one InvoiceLine invoice of 600.00: 14 payments of 30.00 (two references used
    twice), 12 credits of 40.00, 8 reversals of earlier payments and 4 second reversals of them.
    Demand exceeds the balance, so some lose; none gets a 5xx, the balance never goes below 0, and
    it is exactly what the winners' responses add up to. Every winner replays under its key."""
    account = new_account()
    invoice = create_invoice(api, "300.00", "200.00", "100.00", account=account, level="InvoiceLine")
    earlier = [
        check(
            api.post(
                f"/invoices/{invoice['id']}/actions/record-payment",
                {"amount": "10.00", "paymentReference": f"early-{n}"},
            ),
            201,
        )
        for n in range(8)
    ]
    memos = [create_memo(api, "40.00", account=account) for _ in range(12)]
    calls: list[tuple[str, dict[str, Any]]] = []
    for n in range(14):
        payload = {"invoiceId": invoice["id"], "amount": "30.00", "paymentReference": f"race-{n % 12}"}
        calls.append(("RecordInvoicePaymentFunction", payload | {"idempotencyKey": f"pay-{n}"}))
    for n, memo in enumerate(memos):
        target = {"invoiceId": invoice["id"], "amount": "40.00"}
        calls.append(
            (
                "ApplyCreditMemoFunction",
                {"creditMemoId": memo["id"], "applications": [target], "idempotencyKey": f"cr-{n}"},
            )
        )
    for n, payment in enumerate(earlier + earlier[:4]):
        calls.append(
            ("ReverseInvoicePaymentFunction", {"paymentId": payment["id"], "idempotencyKey": f"rev-{n}"})
        )
    assert len(calls) >= THREADS

    contest = race_calls(calls)

    results = contest.results
    outcomes = assert_only_clean_outcomes(results, LOST_RACE | {"ALREADY_REVERSED", "DUPLICATE_REFERENCE"})
    assert contest.conflicts > 0, outcomes
    kinds = [function for function, _ in calls]
    won = [(kind, r) for kind, r in zip(kinds, results, strict=True) if r.status == 200]
    paid = [r.body for kind, r in won if kind == "RecordInvoicePaymentFunction"]
    credited = [r.body for kind, r in won if kind == "ApplyCreditMemoFunction"]
    reversed_ = [r.body for kind, r in won if kind == "ReverseInvoicePaymentFunction"]
    # Each earlier payment is reversed at most once; each reference held by one payment at most.
    assert len({r["associatedPaymentId"] for r in reversed_}) == len(reversed_) <= 8
    assert len({p["paymentReference"] for p in paid}) == len(paid)
    expected = (
        Decimal("600.00")
        - Decimal("10.00") * (8 - len(reversed_))
        - sum((money(p["amount"]) for p in paid), Decimal(0))
        - sum((money(a["amount"]) for c in credited for a in c["applications"]), Decimal(0))
    )
    after, records = check_invoice(api, invoice["id"])  # the invariant, payments included
    assert money(after["balance"]) == expected >= 0, outcomes
    assert len(records) == sum(len(c["applications"]) for c in credited)
    listed = all_pages(api, f"/invoices/{invoice['id']}/payments")
    assert Counter(p["type"] for p in listed) == Counter(
        {"Payment": 8 + len(paid), "Reversal": len(reversed_)}
    )
    # Exactly once under each key: a retry of every winner replays its response and moves nothing.
    for (function, payload), result in zip(calls, results, strict=True):
        if result.status == 200:
            assert call(function, payload).body == result.body
    assert check(api.get(f"/invoices/{invoice['id']}"), 200)["balance"] == after["balance"]


# ---------------------------------------------------------------- refunds (spec section 10)


def test_refunds_applies_and_reversals_race_on_one_memo(api: Api) -> None:
    """48 threads on one memo of 600.00 (lines 300, 200, 100): 18 refunds of 30.00 (references
    used up to twice), 18 applies of 40.00 to invoices of their own, 8 reversals of earlier refunds
    and 4 second reversals of them. Demand exceeds the balance, so some lose; none gets a 5xx, no
    balance goes below 0, the memo's balance is exactly what the winners' responses add up to, and
    every winner replays under its key."""
    account = new_account()
    memo = create_memo(api, "300.00", "200.00", "100.00", account=account)
    earlier = [
        check(
            api.post(
                f"/credit-memos/{memo['id']}/actions/refund",
                {"amount": "10.00", "refundReference": f"early-{n}"},
            ),
            201,
        )
        for n in range(8)
    ]
    invoices = [create_invoice(api, "40.00", account=account) for _ in range(18)]
    calls: list[tuple[str, dict[str, Any]]] = []
    for n in range(18):
        payload = {"creditMemoId": memo["id"], "amount": "30.00", "refundReference": f"race-{n % 14}"}
        calls.append(("RefundCreditMemoFunction", payload | {"idempotencyKey": f"memo-race-refund-{n}"}))
    for n, invoice in enumerate(invoices):
        target = {"invoiceId": invoice["id"], "amount": "40.00"}
        calls.append(
            (
                "ApplyCreditMemoFunction",
                {
                    "creditMemoId": memo["id"],
                    "applications": [target],
                    "idempotencyKey": f"memo-race-apply-{n}",
                },
            )
        )
    for n, refund in enumerate(earlier + earlier[:4]):
        calls.append(
            (
                "ReverseCreditMemoRefundFunction",
                {"refundId": refund["id"], "idempotencyKey": f"memo-race-reverse-{n}"},
            )
        )
    assert len(calls) == 48

    contest = race_calls(calls)

    results = contest.results
    outcomes = assert_only_clean_outcomes(results, LOST_RACE | {"ALREADY_REVERSED", "DUPLICATE_REFERENCE"})
    assert contest.conflicts > 0, outcomes
    kinds = [function for function, _ in calls]
    won = [(kind, r) for kind, r in zip(kinds, results, strict=True) if r.status == 200]
    refunded = [r.body for kind, r in won if kind == "RefundCreditMemoFunction"]
    applied = [r.body for kind, r in won if kind == "ApplyCreditMemoFunction"]
    reversed_ = [r.body for kind, r in won if kind == "ReverseCreditMemoRefundFunction"]
    # Each earlier refund is reversed at most once; each reference held by one refund at most.
    assert len({r["associatedRefundId"] for r in reversed_}) == len(reversed_) <= 8
    assert len({r["refundReference"] for r in refunded}) == len(refunded)
    expected = (
        Decimal("600.00")
        - Decimal("10.00") * (8 - len(reversed_))
        - sum((money(r["amount"]) for r in refunded), Decimal(0))
        - sum((applied_amount(Result(200, a)) for a in applied), Decimal(0))
    )
    after, records = check_memo(api, memo["id"])  # the invariant, refunds included, per line too
    assert money(after["balance"]) == expected >= 0, outcomes
    assert len(records) == len(applied)
    for invoice in invoices:
        check_invoice(api, invoice["id"])
    listed = all_pages(api, f"/credit-memos/{memo['id']}/refunds")
    assert Counter(r["type"] for r in listed) == Counter(
        {"Refund": 8 + len(refunded), "Reversal": len(reversed_)}
    )
    # Exactly once under each key: a retry of every winner replays its response and moves nothing.
    for (function, payload), result in zip(calls, results, strict=True):
        if result.status == 200:
            assert call(function, payload).body == result.body
    assert check(api.get(f"/credit-memos/{memo['id']}"), 200)["balance"] == after["balance"]
