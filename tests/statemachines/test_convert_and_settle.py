"""ConvertAndSettleInvoice, executed for real by moto's interpreter with in-process Lambda tasks.

Applying back to the invoice always absorbs the whole memo: conversion raises the
invoice balance by the converted amount first (spec: lines +300 and -100, balance
200 -> memo 100, applied back, balance 200), and an invoice's total is never
negative. So the memo keeps a balance to settle elsewhere when the caller keeps
it off the invoice (``applyToInvoice: false``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from infra.statemachines.local import lambda_service_error
from tests.harness import invoke
from tests.statemachines.conftest import Sfn

D = Decimal
CONVERT = "ConvertNegativeInvoiceLinesFunction"
PLAN = "PlanAccountCreditsFunction"
APPLY = "ApplyCreditMemoFunction"


def test_memo_larger_than_the_invoice_balance_is_applied_back_whole_and_nothing_is_left(sfn: Sfn) -> None:
    invoice = sfn.invoice("100.00", "-80.00", date="2026-02-01")  # balance 20 < the 80 memo
    assert invoice["balance"] == "20.00"
    other = sfn.invoice("500.00", date="2026-01-01")

    result = sfn.execute("ConvertAndSettleInvoice", {"invoiceId": invoice["id"]})

    assert result.status == "SUCCEEDED", (result.error, result.cause)
    out = result.output
    assert out["invoiceId"] == invoice["id"]
    assert out["creditMemo"]["totalAmountWithTax"] == "80.00" and out["creditMemo"]["balance"] == "0.00"
    assert [a["amount"] for a in out["applications"]] == ["80.00"]
    assert out["settlement"] is None
    assert sfn.lambdas.calls_to(PLAN) == []  # the Choice went straight to the end
    assert sfn.balance(invoice) == D("20.00") and sfn.balance(other) == D("500.00")


def test_memo_kept_off_the_invoice_settles_the_accounts_other_open_invoices_oldest_first(sfn: Sfn) -> None:
    older = sfn.invoice("100.00", date="2026-01-01")
    newer = sfn.invoice("400.00", date="2026-03-01")
    sfn.invoice("50.00", date="2026-01-01", currency="EUR")  # other currency: untouched
    sfn.invoice("50.00", date="2026-01-01", account="acct-2")  # other account: untouched
    standing = sfn.memo("30.00", date="2025-12-01")  # an older memo of the account is not drawn from
    invoice = sfn.invoice("300.00", "-250.00", date="2026-02-01")

    result = sfn.execute("ConvertAndSettleInvoice", {"invoiceId": invoice["id"], "applyToInvoice": False})

    assert result.status == "SUCCEEDED", (result.error, result.cause)
    out = result.output
    memo_id = out["creditMemo"]["id"]
    assert out["creditMemo"]["balance"] == "250.00" and out["applications"] == []
    settlement = out["settlement"]
    assert [(r["creditMemoId"], r["invoiceId"], r["amount"]) for r in settlement["records"]] == [
        (memo_id, older["id"], "100.00"),
        (memo_id, newer["id"], "150.00"),
    ]
    assert settlement["appliedTotal"] == "250.00" and settlement["skipped"] == []
    assert settlement["records"][-1]["creditMemoBalance"] == "0.00"
    # The converted invoice itself is not paid by its own memo; its balance rose by the conversion.
    assert sfn.balance(invoice) == D("300.00")
    assert sfn.balance(older) == 0 and sfn.balance(newer) == D("250.00")
    assert sfn.balance(standing) == D("30.00")


def test_rerunning_a_finished_conversion_fails_and_changes_nothing(sfn: Sfn) -> None:
    sfn.invoice("1000.00", date="2026-01-01")
    invoice = sfn.invoice("300.00", "-100.00", date="2026-02-01")
    execution_input = {"invoiceId": invoice["id"], "applyToInvoice": False}
    first = sfn.execute("ConvertAndSettleInvoice", execution_input)
    assert first.status == "SUCCEEDED", (first.error, first.cause)
    memo = {"id": first.output["creditMemo"]["id"]}
    assert sfn.balance(memo) == 0

    second = sfn.execute("ConvertAndSettleInvoice", execution_input)

    assert second.status == "FAILED" and second.error == "AlreadyConverted", (second.error, second.cause)
    assert sfn.balance(invoice) == D("300.00") and len(sfn.history(memo)) == 1


def test_a_conversion_whose_response_was_lost_is_retried_and_makes_one_memo(sfn: Sfn) -> None:
    other = sfn.invoice("1000.00", date="2026-01-01")
    invoice = sfn.invoice("300.00", "-100.00", date="2026-02-01")
    lost: list[dict[str, Any]] = []

    def commit_then_throttle(function: str, payload: Any) -> Any:
        result = invoke(function, payload)
        if function == CONVERT and not lost:
            lost.append(result)
            raise lambda_service_error("TooManyRequestsException", "Rate exceeded", 429)
        return result

    sfn.task = commit_then_throttle
    result = sfn.execute("ConvertAndSettleInvoice", {"invoiceId": invoice["id"], "applyToInvoice": False})

    assert result.status == "SUCCEEDED", (result.error, result.cause)
    calls = sfn.lambdas.calls_to(CONVERT)
    assert len(calls) == 2 and calls[0].payload == calls[1].payload
    assert calls[0].payload["idempotencyKey"]  # derived from the execution id
    assert result.output["creditMemo"]["id"] == lost[0]["creditMemo"]["id"]
    memos = sfn.api.get("/credit-memos", query={"billingAccountId": "acct-1"}).body["items"]
    assert [m["id"] for m in memos] == [lost[0]["creditMemo"]["id"]]
    assert sfn.balance(other) == D("900.00")


def test_an_invoice_that_cannot_be_converted_fails_with_the_domain_error(sfn: Sfn) -> None:
    positive_only = sfn.invoice("100.00", date="2026-01-01")
    result = sfn.execute("ConvertAndSettleInvoice", {"invoiceId": positive_only["id"]})
    assert result.status == "FAILED" and result.error == "ValidationError", (result.error, result.cause)
    missing = sfn.execute("ConvertAndSettleInvoice", {"invoiceId": "inv_doesnotexist"})
    assert missing.status == "FAILED" and missing.error == "NotFound"
    assert len(sfn.lambdas.calls_to(CONVERT)) == 2  # not retried
    assert sfn.lambdas.calls_to(APPLY) == []
