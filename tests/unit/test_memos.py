"""Credit memos (credit_memos.domain.memos): lines and taxes, posting, voiding."""

from __future__ import annotations

from decimal import Decimal

import pytest
from credit_memos.domain import inputs, invoices, memos
from credit_memos.errors import (
    HasActiveApplications,
    InvalidStatus,
    ValidationError,
)

from tests.builders import NOW, make_invoice, make_memo
from tests.unit.rules import apply, line_balances, unapply, unchanged

D = Decimal


def test_memo_with_taxes_sums_lines_and_taxes() -> None:
    memo = make_memo(("100.00", ["8.25", "1.75"]), "50.00", ("0.01", ["0.00"]))
    assert [line.tax_amount for line in memo.lines] == [D("10.00"), D("0.00"), D("0.00")]
    assert [line.amount_with_tax for line in memo.lines] == [D("110.00"), D("50.00"), D("0.01")]
    assert memo.total_charge_amount == D("150.01")
    assert memo.total_tax_amount == D("10.00")
    assert memo.total_amount_with_tax == memo.balance == D("160.01")
    assert line_balances(memo) == [D("110.00"), D("50.00"), D("0.01")]
    assert memo.source_action == "Standalone" and memo.status == "Posted"


@pytest.mark.parametrize(
    "charge",
    ["0", "-1.00", "0.001", ("10.00", ["-1.00"]), ("10.00", ["0.001"])],
)
def test_memo_line_rejects_non_positive_charge_and_bad_taxes(charge: object) -> None:
    with pytest.raises(ValidationError):
        make_memo(charge)  # type: ignore[arg-type]


def test_memo_line_needs_a_product() -> None:
    with pytest.raises(ValidationError, match="needs a product"):
        memos.build_memo_line(
            line_id="x", currency="USD", charge=inputs.MemoChargeInput(D("1.00")), field=("charges", 0)
        )


def test_memo_line_count_and_status() -> None:
    with pytest.raises(ValidationError):
        make_memo()
    with pytest.raises(ValidationError):
        make_memo("1.00", status="Voided")


def test_post_rules() -> None:
    invoice = make_invoice("10.00", status="Draft")
    invoices.post_invoice(invoice, NOW)
    assert invoice.status == "Posted"
    with unchanged(invoice), pytest.raises(InvalidStatus):
        invoices.post_invoice(invoice, NOW)
    memo = make_memo("10.00", status="Draft")
    memos.post_credit_memo(memo, NOW)
    assert memo.status == "Posted"
    with unchanged(memo), pytest.raises(InvalidStatus):
        memos.post_credit_memo(memo, NOW)


def test_void_posted_memo_zeroes_balances_and_cannot_be_repeated() -> None:
    memo = make_memo("10.00", "5.00")
    memos.void_credit_memo(memo, NOW)
    assert memo.status == "Voided" and memo.balance == 0
    assert line_balances(memo) == [0, 0]
    assert memo.total_amount_with_tax == D("15.00")  # the total is history, not balance
    with unchanged(memo), pytest.raises(InvalidStatus):
        memos.void_credit_memo(memo, NOW)
    with pytest.raises(InvalidStatus):
        memos.post_credit_memo(memo, NOW)


def test_void_draft_memo_is_invalid_status() -> None:
    memo = make_memo("10.00", status="Draft")
    with unchanged(memo), pytest.raises(InvalidStatus):
        memos.void_credit_memo(memo, NOW)


def test_void_with_active_applications_then_after_unapply() -> None:
    memo = make_memo("10.00")
    invoice = make_invoice("100.00")
    entry = apply(memo, invoice, "4.00")
    with unchanged(memo), pytest.raises(HasActiveApplications):
        memos.void_credit_memo(memo, NOW)
    unapply(entry, entry.records[0].id, memo, invoice)
    memos.void_credit_memo(memo, NOW)
    assert memo.status == "Voided" and memo.balance == 0
    with pytest.raises(InvalidStatus):
        apply(memo, invoice, "1.00")
