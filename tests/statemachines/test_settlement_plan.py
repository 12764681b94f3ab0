"""The pure settlement planning and summary (credit_memos.domain.settlement)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from credit_memos.domain.documents import CreditMemo, Invoice
from credit_memos.domain.settlement import (
    plan_settlement,
    plan_view,
    settlement_key,
    summarize_settlement,
)
from credit_memos.errors import AccountMismatch

D = Decimal
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:ApplyAccountCredits:run-1"


def memo(
    memo_id: str,
    balance: str,
    date: str,
    *,
    currency: str = "USD",
    status: str = "Posted",
    account: str = "a",
) -> CreditMemo:
    return CreditMemo(
        id=memo_id,
        billing_account_id=account,
        currency=currency,
        status=status,  # type: ignore[arg-type]
        source_action="Standalone",
        reference_invoice_id=None,
        effective_date=date,
        description=None,
        external_reference=None,
        lines=[],
        total_charge_amount=D(balance),
        total_tax_amount=D(0),
        total_amount_with_tax=D(balance),
        balance=D(balance),
    )


def invoice(
    invoice_id: str,
    balance: str,
    date: str,
    *,
    currency: str = "USD",
    status: str = "Posted",
    account: str = "a",
) -> Invoice:
    return Invoice(
        id=invoice_id,
        billing_account_id=account,
        currency=currency,
        status=status,  # type: ignore[arg-type]
        settlement_level="Invoice",
        invoice_date=date,
        due_date=None,
        lines=[],
        total_charge_amount=D(balance),
        total_tax_amount=D(0),
        total_amount_with_tax=D(balance),
        balance=D(balance),
    )


def pairs(plan: Any) -> list[tuple[str, str, str]]:
    return [(p.credit_memo_id, p.invoice_id, f"{p.amount}") for p in plan.items]


def test_greedy_oldest_first_by_date_then_id() -> None:
    memos = [
        memo("m-b", "30", "2026-01-02"),
        memo("m-a", "30", "2026-01-02"),
        memo("m-old", "5", "2025-12-31"),
    ]
    invoices = [invoice("i-2", "40", "2026-02-01"), invoice("i-1", "20", "2026-01-01")]
    plan = plan_settlement(memos, invoices, billing_account_id="a", execution_id=EXECUTION)
    assert pairs(plan) == [
        ("m-old", "i-1", "5"),
        ("m-a", "i-1", "15"),
        ("m-a", "i-2", "15"),
        ("m-b", "i-2", "25"),
    ]
    assert not plan.truncated


def test_only_posted_documents_with_a_balance_in_the_currency_and_not_excluded() -> None:
    memos = [
        memo("m-draft", "10", "2026-01-01", status="Draft"),
        memo("m-void", "10", "2026-01-01", status="Voided"),
        memo("m-empty", "0", "2026-01-01"),
        memo("m-eur", "10", "2026-01-01", currency="EUR"),
        memo("m-ok", "10", "2026-01-02"),
    ]
    invoices = [
        invoice("i-draft", "10", "2026-01-01", status="Draft"),
        invoice("i-paid", "0", "2026-01-01"),
        invoice("i-excluded", "10", "2026-01-01"),
        invoice("i-other-account", "10", "2026-01-01", account="b"),
        invoice("i-ok", "10", "2026-01-05"),
    ]
    plan = plan_settlement(
        memos,
        invoices,
        billing_account_id="a",
        execution_id=EXECUTION,
        currency="USD",
        exclude_invoice_ids={"i-excluded"},
    )
    assert pairs(plan) == [("m-ok", "i-ok", "10")]


def test_currencies_are_settled_separately() -> None:
    memos = [memo("m-usd", "10", "2026-01-01"), memo("m-jpy", "500", "2026-01-01", currency="JPY")]
    invoices = [invoice("i-jpy", "300", "2026-01-01", currency="JPY"), invoice("i-usd", "3", "2026-01-01")]
    plan = plan_settlement(memos, invoices, billing_account_id="a", execution_id=EXECUTION)
    assert pairs(plan) == [("m-jpy", "i-jpy", "300"), ("m-usd", "i-usd", "3")]
    assert plan_view(plan)["plannedTotals"] == {"JPY": "300", "USD": "3.00"}


def test_a_named_memo_of_another_account_is_refused() -> None:
    with pytest.raises(AccountMismatch):
        plan_settlement(
            [memo("m", "1", "2026-01-01", account="b")], [], billing_account_id="a", execution_id=EXECUTION
        )


def test_the_plan_is_cut_at_max_items_and_says_so() -> None:
    memos = [memo(f"m-{i:02}", "1", "2026-01-01") for i in range(5)]
    invoices = [invoice("i", "100", "2026-01-01")]
    plan = plan_settlement(memos, invoices, billing_account_id="a", execution_id=EXECUTION, max_items=3)
    assert len(plan.items) == 3 and plan.truncated
    assert plan_view(plan)["truncated"] is True


def test_keys_are_stable_per_execution_and_pair_and_valid_idempotency_keys() -> None:
    key = settlement_key(EXECUTION, "m", "i")
    assert key == settlement_key(EXECUTION, "m", "i")
    assert len({key, settlement_key(EXECUTION, "m", "j"), settlement_key(EXECUTION + "x", "m", "i")}) == 3
    assert 1 <= len(key) <= 255 and all(0x21 <= ord(c) <= 0x7E for c in key)


def test_plan_view_items_carry_the_apply_request() -> None:
    plan = plan_settlement(
        [memo("m", "12.5", "2026-01-01")],
        [invoice("i", "100", "2026-01-01")],
        billing_account_id="a",
        execution_id=EXECUTION,
    )
    (item,) = plan_view(plan, description="Account settlement run-1")["items"]
    assert item == {
        "creditMemoId": "m",
        "invoiceId": "i",
        "amount": "12.50",
        "currency": "USD",
        "idempotencyKey": settlement_key(EXECUTION, "m", "i"),
        "applications": [{"invoiceId": "i", "amount": "12.50", "description": "Account settlement run-1"}],
    }


def _applied(amounts: list[str], memo_balance: str = "0.00", currency: str = "USD") -> dict[str, Any]:
    return {
        "creditMemoId": "m",
        "invoiceId": "i",
        "amount": str(sum(D(a) for a in amounts)),
        "currency": currency,
        "result": {
            "applicationIds": [f"app.{n}" for n in range(1, len(amounts) + 1)],
            "amounts": amounts,
            "invoiceBalances": ["9.99"] * len(amounts),
            "creditMemoBalance": memo_balance,
        },
    }


def test_summary_totals_exactly_and_reports_skips_with_reasons() -> None:
    results = [_applied(["0.10"]) for _ in range(3)] + [_applied(["0.01", "0.02"])]
    cause = json.dumps(
        {
            "errorType": "InsufficientBalance",
            "errorMessage": "amount 5.00 exceeds the credit memo m balance 1.00",
        }
    )
    results.append(
        {
            "creditMemoId": "m2",
            "invoiceId": "i",
            "amount": "5.00",
            "currency": "USD",
            "error": {"Error": "InsufficientBalance", "Cause": cause},
        }
    )
    summary = summarize_settlement({"billingAccountId": "a", "currency": "USD", "truncated": False}, results)
    assert summary["appliedTotal"] == "0.33"  # 0.1 + 0.1 + 0.1 + 0.03, never 0.30000000000000004
    assert summary["appliedCount"] == 4 and summary["records"][3]["amount"] == "0.03"
    assert summary["records"][3]["applicationIds"] == ["app.1", "app.2"]
    assert summary["skipped"] == [
        {
            "creditMemoId": "m2",
            "invoiceId": "i",
            "amount": "5.00",
            "reason": "InsufficientBalance",
            "message": "amount 5.00 exceeds the credit memo m balance 1.00",
        }
    ]


def test_summary_of_several_currencies_has_no_single_total() -> None:
    summary = summarize_settlement(
        {"billingAccountId": "a", "currency": None, "plannedTotals": {"USD": "1.00", "JPY": "5"}},
        [_applied(["1.00"]), _applied(["5"], currency="JPY")],
    )
    assert summary["appliedTotal"] is None and summary["currency"] is None
    assert summary["appliedTotals"] == {"JPY": "5", "USD": "1.00"}
