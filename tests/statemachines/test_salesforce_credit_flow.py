"""SalesforceCreditFlow, executed by moto's interpreter: Salesforce's applyCredit and unapplyCredit
actions as Step Functions tasks (the invocable-action function invoked directly), as a flow uses them."""

from __future__ import annotations

from decimal import Decimal

from tests.statemachines.conftest import Sfn

ACTIONS = "SalesforceInvocableActionsFunction"
D = Decimal


def test_apply_credit_then_unapply_credit(sfn: Sfn) -> None:
    invoice = sfn.invoice("100.00", date="2026-01-01")
    memo = sfn.memo("30.00", date="2026-01-01")
    apply_input = {
        "creditSourceRecordId": memo["id"],
        "creditTargetRecordId": invoice["id"],
        "appliedCreditAmount": "20.00",
        "description": "Applied by the flow",
    }

    result = sfn.execute("SalesforceCreditFlow", {"applyCredit": apply_input, "unapply": True})

    assert result.status == "SUCCEEDED", (result.error, result.cause)
    applied, unapplied = result.output["applied"], result.output["unapplied"]
    assert applied["actionName"] == "applyCredit" and applied["isSuccess"] is True
    assert unapplied["actionName"] == "unapplyCredit" and unapplied["isSuccess"] is True
    history = sfn.history(memo)
    assert [(r["id"], r["type"], r["amount"]) for r in history] == [
        (applied["outputValues"]["recordId"], "Applied", "20.00"),
        (unapplied["outputValues"]["recordId"], "Unapplied", "20.00"),
    ]
    assert sfn.balance(invoice) == D("100.00") and sfn.balance(memo) == D("30.00")
    assert [call.payload["actionName"] for call in sfn.lambdas.calls_to(ACTIONS)] == [
        "applyCredit",
        "unapplyCredit",
    ]


def test_apply_credit_alone_leaves_the_credit_applied(sfn: Sfn) -> None:
    invoice = sfn.invoice("100.00", date="2026-01-01")
    memo = sfn.memo("30.00", date="2026-01-01")
    apply_input = {
        "creditSourceRecordId": memo["id"],
        "creditTargetRecordId": invoice["id"],
        "appliedCreditAmount": 30,
    }

    result = sfn.execute("SalesforceCreditFlow", {"applyCredit": apply_input})

    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert set(result.output) == {"applied"}
    assert sfn.balance(invoice) == D("70.00") and sfn.balance(memo) == D("0.00")


def test_a_refused_input_fails_the_execution_and_changes_nothing(sfn: Sfn) -> None:
    invoice = sfn.invoice("10.00", date="2026-01-01")
    memo = sfn.memo("30.00", date="2026-01-01")
    apply_input = {
        "creditSourceRecordId": memo["id"],
        "creditTargetRecordId": invoice["id"],
        "appliedCreditAmount": "25.00",
    }

    result = sfn.execute("SalesforceCreditFlow", {"applyCredit": apply_input, "unapply": True})

    assert result.status == "FAILED" and result.error == "ApplyCreditFailed", (result.error, result.cause)
    assert sfn.balance(invoice) == D("10.00") and sfn.balance(memo) == D("30.00")
