"""ApplyAccountCredits, executed for real by moto's interpreter with in-process Lambda tasks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from credit_memos.errors import ConcurrentUpdate, InternalError

from infra.statemachines.local import lambda_service_error
from tests.harness import invoke
from tests.statemachines.conftest import Sfn

D = Decimal
APPLY = "ApplyCreditMemoFunction"
PLAN = "PlanAccountCreditsFunction"


def applied_pairs(output: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(r["creditMemoId"], r["invoiceId"], r["amount"]) for r in output["records"]]


def test_oldest_memo_pays_oldest_invoice_first_over_partial_balances(sfn: Sfn) -> None:
    # Invoices: oldest first by invoice date (created out of order on purpose).
    inv_feb = sfn.invoice("80.00", date="2026-02-01")
    inv_jan = sfn.invoice("100.00", "20.50", date="2026-01-01")  # 120.50
    inv_mar = sfn.invoice("300.00", date="2026-03-01")
    # Memos: oldest effective date first.
    memo_late = sfn.memo("500.00", date="2026-01-20")
    memo_early = sfn.memo("60.00", date="2026-01-10")
    memo_partly_used = sfn.memo("90.00", date="2026-01-15")
    # Partial balances before the run: 40 of memo_partly_used already paid part of inv_feb.
    sfn.apply(memo_partly_used["id"], inv_feb["id"], "40.00")  # memo 50 left, inv_feb 40 left
    # Not part of the plan: a draft memo, a draft invoice, another account, another currency.
    sfn.memo("999.00", date="2025-01-01", status="Draft")
    sfn.invoice("999.00", date="2025-01-01", status="Draft")
    sfn.memo("999.00", date="2025-01-01", account="acct-2")
    sfn.invoice("999.00", date="2025-01-01", account="acct-2")
    sfn.invoice("999.00", date="2025-01-01", currency="EUR")

    result = sfn.execute("ApplyAccountCredits", {"billingAccountId": "acct-1", "currency": "USD"})

    assert result.status == "SUCCEEDED", (result.error, result.cause)
    out = result.output
    # 60 (early) + 50 (partly used) + 500 (late) = 610 of credit; 120.50 + 40 + 300 = 460.50 of debt.
    assert applied_pairs(out) == [
        (memo_early["id"], inv_jan["id"], "60.00"),
        (memo_partly_used["id"], inv_jan["id"], "50.00"),
        (memo_late["id"], inv_jan["id"], "10.50"),
        (memo_late["id"], inv_feb["id"], "40.00"),
        (memo_late["id"], inv_mar["id"], "300.00"),
    ]
    assert out["appliedTotal"] == "460.50" and out["appliedTotals"] == {"USD": "460.50"}
    assert out["currency"] == "USD" and out["skipped"] == [] and out["truncated"] is False
    assert out["records"][-1]["creditMemoBalance"] == "149.50"
    assert out["records"][-1]["invoiceBalance"] == "0.00"
    for invoice in (inv_jan, inv_feb, inv_mar):
        assert sfn.balance(invoice) == 0
    assert sfn.balance(memo_early) == 0 and sfn.balance(memo_partly_used) == 0
    assert sfn.balance(memo_late) == D("149.50")
    # Each applied record is a real application, described with the execution's name.
    execution_name = result.execution_arn.rsplit(":", 1)[1]
    history = sfn.history(memo_late)
    assert [h["amount"] for h in history] == ["10.50", "40.00", "300.00"]
    assert all(h["description"] == f"Account settlement {execution_name}" for h in history)


def test_paid_amounts_get_no_credit_from_the_settlement(sfn: Sfn) -> None:
    """Spec section 8: a paid invoice gets no plan item, a partly paid one only its balance."""
    paid = sfn.invoice("100.00", date="2026-01-01")
    partly = sfn.invoice("60.00", "40.00", date="2026-01-02", level="InvoiceLine")
    open_ = sfn.invoice("30.00", date="2026-01-03")
    for invoice, amount in ((paid, "100.00"), (partly, "75.00")):
        r = sfn.api.post(
            f"/invoices/{invoice['id']}/actions/record-payment",
            {"amount": amount, "paymentReference": f"wire-{invoice['id']}"},
        )
        assert r.status == 201, r
    memo = sfn.memo("500.00", date="2026-01-01")

    result = sfn.execute("ApplyAccountCredits", {"billingAccountId": "acct-1", "currency": "USD"})

    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert applied_pairs(result.output) == [
        (memo["id"], partly["id"], "25.00"),
        (memo["id"], open_["id"], "30.00"),
    ]
    assert sfn.balance(paid) == sfn.balance(partly) == sfn.balance(open_) == 0
    assert sfn.balance(memo) == D("445.00")
    lines = sfn.api.get(f"/invoices/{partly['id']}").body["lines"]
    # The payment took 60 of the first line and 15 of the second; the credit the 25 left.
    assert [(x["netPaymentsApplied"], x["netCreditsApplied"]) for x in lines] == [
        ("60.00", "0.00"),
        ("15.00", "25.00"),
    ]


def test_stops_when_the_debt_runs_out_and_settles_each_currency_separately(sfn: Sfn) -> None:
    usd_invoice = sfn.invoice("25.00", date="2026-01-01")
    jpy_invoice = sfn.invoice("1000", date="2026-01-01", currency="JPY")
    usd_memo = sfn.memo("100.00", date="2026-01-01")
    jpy_memo = sfn.memo("300", date="2026-01-01", currency="JPY")

    result = sfn.execute("ApplyAccountCredits", {"billingAccountId": "acct-1"})

    assert result.status == "SUCCEEDED", (result.error, result.cause)
    out = result.output
    assert sorted(applied_pairs(out)) == sorted(
        [(usd_memo["id"], usd_invoice["id"], "25.00"), (jpy_memo["id"], jpy_invoice["id"], "300")]
    )
    assert out["appliedTotals"] == {"JPY": "300", "USD": "25.00"}
    assert out["appliedTotal"] is None  # two currencies: see appliedTotals
    assert sfn.balance(usd_memo) == D("75.00") and sfn.balance(jpy_invoice) == D("700")


def test_nothing_to_settle_is_a_successful_empty_run(sfn: Sfn) -> None:
    sfn.memo("10.00", date="2026-01-01")  # credit, but no debt
    result = sfn.execute("ApplyAccountCredits", {"billingAccountId": "acct-1", "currency": "USD"})
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert result.output["records"] == [] and result.output["appliedTotal"] == "0.00"
    assert sfn.lambdas.calls_to(APPLY) == []


def test_memo_drained_by_another_request_mid_execution_is_skipped_and_the_rest_goes_on(sfn: Sfn) -> None:
    inv_a = sfn.invoice("100.00", date="2026-01-01")
    inv_b = sfn.invoice("100.00", date="2026-01-02")
    memo_1 = sfn.memo("50.00", date="2026-01-01")
    memo_2 = sfn.memo("80.00", date="2026-01-02")  # planned: 50 -> A, then 30 -> B
    memo_3 = sfn.memo("200.00", date="2026-01-03")  # planned: 70 -> B
    drained: list[str] = []

    def drain_memo_2_before_its_first_apply(function: str, payload: Any, attempt: int) -> None:
        if function == APPLY and payload["creditMemoId"] == memo_2["id"] and not drained:
            # Another request (here: over HTTP) uses all of memo 2 on an invoice of its own.
            other = sfn.invoice("500.00", date="2026-06-01")
            sfn.apply(memo_2["id"], other["id"], "80.00")
            drained.append(other["id"])

    sfn.intercept(drain_memo_2_before_its_first_apply)
    result = sfn.execute("ApplyAccountCredits", {"billingAccountId": "acct-1", "currency": "USD"})

    assert result.status == "SUCCEEDED", (result.error, result.cause)
    out = result.output
    assert applied_pairs(out) == [
        (memo_1["id"], inv_a["id"], "50.00"),
        (memo_3["id"], inv_b["id"], "70.00"),
    ]
    assert [(s["creditMemoId"], s["invoiceId"], s["amount"], s["reason"]) for s in out["skipped"]] == [
        (memo_2["id"], inv_a["id"], "50.00", "InsufficientBalance"),
        (memo_2["id"], inv_b["id"], "30.00", "InsufficientBalance"),
    ]
    assert "exceeds the credit memo" in out["skipped"][0]["message"]
    assert out["appliedTotal"] == "120.00" and out["skippedCount"] == 2
    # Skipping was by Catch, not by retrying: one attempt per skipped pair.
    assert [c.error_type for c in sfn.lambdas.calls_to(APPLY)] == [
        None,
        "InsufficientBalance",
        "InsufficientBalance",
        None,
    ]
    assert sfn.balance(memo_2) == 0 and sfn.balance(inv_a) == D("50.00") and sfn.balance(inv_b) == D("30.00")
    assert sfn.balance(memo_3) == D("130.00")


def test_rerun_with_the_same_input_applies_nothing_twice(sfn: Sfn) -> None:
    invoices = [sfn.invoice("70.00", date=f"2026-01-0{d}") for d in (1, 2, 3)]
    memos = [sfn.memo(a, date=f"2026-01-0{d}") for a, d in (("50.00", 1), ("100.00", 2))]
    execution_input = {"billingAccountId": "acct-1", "currency": "USD"}

    first = sfn.execute("ApplyAccountCredits", execution_input)
    assert first.status == "SUCCEEDED", (first.error, first.cause)
    assert first.output["appliedTotal"] == "150.00"
    balances = [sfn.balance(d) for d in [*invoices, *memos]]
    histories = [len(sfn.history(m)) for m in memos]

    second = sfn.execute("ApplyAccountCredits", execution_input)

    assert second.status == "SUCCEEDED", (second.error, second.cause)
    assert second.output["records"] == [] and second.output["appliedTotal"] == "0.00"
    assert [sfn.balance(d) for d in [*invoices, *memos]] == balances
    assert [len(sfn.history(m)) for m in memos] == histories


def test_an_apply_whose_response_was_lost_is_retried_with_its_key_and_applies_once(sfn: Sfn) -> None:
    invoice = sfn.invoice("100.00", date="2026-01-01")
    memo = sfn.memo("40.00", date="2026-01-01")
    lost: list[dict[str, Any]] = []

    def commit_then_lose_the_first_response(function: str, payload: Any) -> Any:
        result = invoke(function, payload)
        if function == APPLY and not lost:
            lost.append(result)  # committed, but the Lambda service fails the call
            raise lambda_service_error("ServiceException", "lost")
        return result

    sfn.task = commit_then_lose_the_first_response
    result = sfn.execute("ApplyAccountCredits", {"billingAccountId": "acct-1"})

    assert result.status == "SUCCEEDED", (result.error, result.cause)
    calls = sfn.lambdas.calls_to(APPLY)
    assert len(calls) == 2 and calls[0].payload == calls[1].payload  # same idempotency key
    assert result.output["records"][0]["applicationIds"] == [lost[0]["applications"][0]["id"]]
    assert sfn.balance(invoice) == D("60.00") and sfn.balance(memo) == 0
    assert [h["amount"] for h in sfn.history(memo)] == ["40.00"]


def test_concurrent_update_is_retried_then_succeeds(sfn: Sfn) -> None:
    invoice = sfn.invoice("10.00", date="2026-01-01")
    sfn.memo("10.00", date="2026-01-01")

    def conflict_on_first_attempt(function: str, payload: Any, attempt: int) -> None:
        if function == APPLY and attempt == 1:
            raise ConcurrentUpdate("the documents are being changed by other requests; retry later")

    sfn.intercept(conflict_on_first_attempt)
    result = sfn.execute("ApplyAccountCredits", {"billingAccountId": "acct-1"})

    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert [c.error_type for c in sfn.lambdas.calls_to(APPLY)] == ["ConcurrentUpdate", None]
    assert result.output["appliedTotal"] == "10.00" and sfn.balance(invoice) == 0


def test_an_unexpected_error_fails_the_execution_and_a_restart_finishes_without_double_applying(
    sfn: Sfn,
) -> None:
    inv_1 = sfn.invoice("30.00", date="2026-01-01")
    inv_2 = sfn.invoice("30.00", date="2026-01-02")
    memo = sfn.memo("100.00", date="2026-01-01")

    def fail_the_second_invoice(function: str, payload: Any, attempt: int) -> None:
        if function == APPLY and payload["applications"][0]["invoiceId"] == inv_2["id"]:
            raise InternalError("internal error")

    sfn.intercept(fail_the_second_invoice)
    failed = sfn.execute("ApplyAccountCredits", {"billingAccountId": "acct-1"})
    assert failed.status == "FAILED" and failed.error == "InternalError"  # not retried, not skipped
    assert sfn.balance(inv_1) == 0 and sfn.balance(inv_2) == D("30.00")

    sfn.lambdas.interceptors.clear()
    restarted = sfn.execute("ApplyAccountCredits", {"billingAccountId": "acct-1"})

    assert restarted.status == "SUCCEEDED", (restarted.error, restarted.cause)
    assert applied_pairs(restarted.output) == [(memo["id"], inv_2["id"], "30.00")]
    assert sfn.balance(memo) == D("40.00") and sfn.balance(inv_2) == 0
    assert [h["amount"] for h in sfn.history(memo)] == ["30.00", "30.00"]


@pytest.mark.parametrize(
    ("execution_input", "error"),
    [
        ({}, "ValidationError"),
        ({"billingAccountId": "acct-1", "currency": "XXX"}, "ValidationError"),
        ({"billingAccountId": "acct-1", "unexpected": True}, "ValidationError"),
    ],
)
def test_bad_input_fails_the_execution_with_the_domain_error(
    sfn: Sfn, execution_input: dict[str, Any], error: str
) -> None:
    result = sfn.execute("ApplyAccountCredits", execution_input)
    assert result.status == "FAILED" and result.error == error, (result.error, result.cause)
    assert sfn.lambdas.calls_to(APPLY) == []


def test_keys_come_from_the_execution_so_two_executions_never_share_one(sfn: Sfn) -> None:
    sfn.invoice("100.00", date="2026-01-01")
    memo = sfn.memo("10.00", date="2026-01-01")
    request = {"billingAccountId": "acct-1"}
    plans = [
        invoke(PLAN, {"action": "plan", "executionId": execution_id, "request": request})
        for execution_id in (
            "arn:aws:states:us-east-1:1:execution:sm:a",
            "arn:aws:states:us-east-1:1:execution:sm:b",
        )
    ]
    again = invoke(
        PLAN,
        {"action": "plan", "executionId": "arn:aws:states:us-east-1:1:execution:sm:a", "request": request},
    )
    assert plans[0]["items"][0]["creditMemoId"] == memo["id"]
    assert plans[0]["items"][0]["idempotencyKey"] == again["items"][0]["idempotencyKey"]
    assert plans[0]["items"][0]["idempotencyKey"] != plans[1]["items"][0]["idempotencyKey"]
