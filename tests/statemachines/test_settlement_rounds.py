"""A settlement larger than one plan: truncation is explicit, and the state machine continues from
where each plan stopped (moto's interpreter; the plan's page shrunk by a parameter, not by writing
5,000 documents)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest
from credit_memos.limits import MAX_SETTLEMENT_ROUNDS

from tests.harness import handler_for, invoke
from tests.statemachines.conftest import Sfn

PLAN = "PlanAccountCreditsFunction"
DOCUMENTS_PER_PLAN = 2


@pytest.fixture
def small_plans(sfn: Sfn, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sfn]:
    """Each plan reads two documents of each kind (in pages of two)."""
    handler_for(PLAN)  # loaded as the tasks load it
    module = sys.modules["_test_lambda_plan_account_credits"]
    monkeypatch.setattr(module, "PLAN_DOCUMENTS", DOCUMENTS_PER_PLAN)
    yield sfn


def pairs(sfn: Sfn, count: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """``count`` memos and invoices of 10.00, the n-th memo dated with the n-th invoice."""
    return [
        (
            sfn.memo("10.00", date=f"2026-01-{day:02d}"),
            sfn.invoice("10.00", date=f"2026-01-{day:02d}"),
        )
        for day in range(1, count + 1)
    ]


def test_a_plan_that_stops_short_says_so_and_where_to_continue(small_plans: Sfn) -> None:
    pairs(small_plans, 3)
    request = {"billingAccountId": "acct-1", "currency": "USD"}

    first = invoke(PLAN, {"action": "plan", "executionId": "e1", "request": request})

    assert len(first["items"]) == 2 and first["truncated"] is True and first["nextToken"]
    assert first["continues"] is True and first["nextRound"]["round"] == 2
    assert first["nextRound"]["request"]["nextToken"] == first["nextToken"]


def test_the_state_machine_continues_each_plan_from_where_it_stopped(small_plans: Sfn) -> None:
    documents = pairs(small_plans, 5)  # three plans of two documents each

    result = small_plans.execute("ApplyAccountCredits", {"billingAccountId": "acct-1", "currency": "USD"})

    assert result.status == "SUCCEEDED", (result.error, result.cause)
    out = result.output
    assert [(r["creditMemoId"], r["invoiceId"]) for r in out["records"]] == [
        (memo["id"], invoice["id"]) for memo, invoice in documents
    ]
    assert out["appliedTotal"] == "50.00" and out["appliedCount"] == 5
    assert out["truncated"] is False and out["nextToken"] is None
    for memo, invoice in documents:
        assert small_plans.balance(memo) == 0 and small_plans.balance(invoice) == 0


def test_a_settlement_past_the_executions_plans_ends_truncated_and_the_next_execution_finishes(
    small_plans: Sfn,
) -> None:
    count = DOCUMENTS_PER_PLAN * MAX_SETTLEMENT_ROUNDS + 1
    documents = pairs(small_plans, count)

    first = small_plans.execute("ApplyAccountCredits", {"billingAccountId": "acct-1", "currency": "USD"})

    assert first.status == "SUCCEEDED", (first.error, first.cause)
    assert first.output["truncated"] is True and first.output["nextToken"]
    assert first.output["appliedCount"] == count - 1
    last_memo, last_invoice = documents[-1]
    assert small_plans.balance(last_invoice) == 10

    second = small_plans.execute(
        "ApplyAccountCredits",
        {"billingAccountId": "acct-1", "currency": "USD", "nextToken": first.output["nextToken"]},
    )

    assert second.status == "SUCCEEDED", (second.error, second.cause)
    assert [(r["creditMemoId"], r["invoiceId"]) for r in second.output["records"]] == [
        (last_memo["id"], last_invoice["id"])
    ]
    assert second.output["truncated"] is False
    assert small_plans.balance(last_memo) == 0 and small_plans.balance(last_invoice) == 0
