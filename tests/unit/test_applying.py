"""Applying a credit memo (credit_memos.domain.applying) at invoice level and to invoice lines."""

from __future__ import annotations

from decimal import Decimal

import pytest
from credit_memos.domain import applying, inputs, memos
from credit_memos.domain.documents import entry_id_of
from credit_memos.errors import (
    AccountMismatch,
    CurrencyMismatch,
    InsufficientBalance,
    InvalidStatus,
    LevelMismatch,
    NotFound,
    ValidationError,
)

from tests.builders import NOW, TODAY, make_invoice, make_memo, new_id
from tests.unit.rules import apply, apply_line, line_balances, unchanged

D = Decimal


# ---------------------------------------------------------------- apply (invoice level)


def test_apply_at_invoice_level_moves_exact_amount() -> None:
    memo = make_memo("30.00", "20.00")
    invoice = make_invoice("100.00", "40.00")
    entry = apply(memo, invoice, "35.50")
    assert memo.balance == D("14.50") and memo.net_credits_applied == D("35.50")
    assert invoice.balance == D("104.50") and invoice.net_credits_applied == D("35.50")
    # Invoice-level records leave the lines of both documents alone.
    assert line_balances(memo) == [D("30.00"), D("20.00")]
    assert line_balances(invoice) == [D("100.00"), D("40.00")]
    [record] = entry.records
    assert record.level == "Invoice" and record.type == "Applied" and record.has_been_unapplied == "No"
    assert record.amount == D("35.50")
    assert record.credit_memo_balance == D("14.50") and record.invoice_balance == D("104.50")
    assert record.credit_memo_line_id is None and record.invoice_line_id is None
    assert entry_id_of(record.id) == entry.id
    assert invoice.settlement_status == "PartiallySettled"


def test_apply_without_amount_takes_the_smaller_balance() -> None:
    memo = make_memo("30.00")
    invoice = make_invoice("100.00")
    assert apply(memo, invoice).records[0].amount == D("30.00")
    assert memo.balance == 0 and invoice.balance == D("70.00")
    big = make_memo("500.00")
    assert apply(big, invoice).records[0].amount == D("70.00")
    assert big.balance == D("430.00") and invoice.balance == 0
    assert invoice.settlement_status == "Settled"
    with unchanged(big, invoice), pytest.raises(InsufficientBalance):
        apply(big, invoice)  # nothing left on the invoice


@pytest.mark.parametrize(("amount", "error"), [("30.01", InsufficientBalance), ("0", ValidationError)])
def test_apply_over_memo_balance_or_non_positive_changes_nothing(amount: str, error: type) -> None:
    memo = make_memo("30.00")
    invoice = make_invoice("100.00")
    with unchanged(memo, invoice), pytest.raises(error):
        apply(memo, invoice, amount)


def test_apply_over_invoice_balance_and_bad_precision() -> None:
    memo = make_memo("300.00")
    invoice = make_invoice("100.00")
    with unchanged(memo, invoice), pytest.raises(InsufficientBalance):
        apply(memo, invoice, "100.01")
    with unchanged(memo, invoice), pytest.raises(ValidationError):
        apply(memo, invoice, "1.001")
    with unchanged(memo, invoice), pytest.raises(ValidationError):
        apply(memo, invoice, "-5.00")


@pytest.mark.parametrize(
    ("memo_kwargs", "invoice_kwargs", "error"),
    [
        ({"status": "Draft"}, {}, InvalidStatus),
        ({}, {"status": "Draft"}, InvalidStatus),
        ({"account": "acct-2"}, {}, AccountMismatch),
        ({"currency": "EUR"}, {}, CurrencyMismatch),
        ({"currency": "JPY"}, {}, CurrencyMismatch),
    ],
)
def test_apply_requires_posted_documents_of_one_account_and_currency(
    memo_kwargs: dict, invoice_kwargs: dict, error: type
) -> None:
    memo = make_memo("10", **memo_kwargs)
    invoice = make_invoice("100", **invoice_kwargs)
    with unchanged(memo, invoice), pytest.raises(error):
        apply(memo, invoice, "1")


def test_apply_to_voided_memo_is_invalid_status() -> None:
    memo = make_memo("10.00")
    memos.void_credit_memo(memo, NOW)
    invoice = make_invoice("100.00")
    with unchanged(memo, invoice), pytest.raises(InvalidStatus):
        apply(memo, invoice)


# ---------------------------------------------------------------- apply (invoice-line level)


def test_apply_at_line_level_spreads_highest_balance_first() -> None:
    invoice = make_invoice("20.00", "50.00", "30.00", level="InvoiceLine")
    memo = make_memo("40.00", "60.00")
    entry = apply(memo, invoice, "90.00")
    low, high, mid = invoice.lines
    m40, m60 = memo.lines
    # Invoice lines by balance: 50, 30, 20; memo lines by balance: 60, 40.
    moves = [(r.invoice_line_id, r.credit_memo_line_id, r.amount) for r in entry.records]
    assert moves == [
        (high.id, m60.id, D("50.00")),
        (mid.id, m60.id, D("10.00")),
        (mid.id, m40.id, D("20.00")),
        (low.id, m40.id, D("10.00")),
    ]
    assert line_balances(invoice) == [D("10.00"), D("0.00"), D("0.00")]
    assert line_balances(memo) == [D("10.00"), D("0.00")]
    assert invoice.balance == D("10.00") == sum(line_balances(invoice))
    assert memo.balance == D("10.00")
    assert [line.net_credits_applied for line in invoice.lines] == [D("10.00"), D("50.00"), D("30.00")]
    # Snapshots after each record, in order.
    assert [r.credit_memo_balance for r in entry.records] == [D("50.00"), D("40.00"), D("20.00"), D("10.00")]
    assert [r.invoice_balance for r in entry.records] == [D("50.00"), D("40.00"), D("20.00"), D("10.00")]
    assert [r.invoice_line_balance for r in entry.records] == [D("0.00"), D("20.00"), D("0.00"), D("10.00")]
    assert [r.credit_memo_line_balance for r in entry.records] == [
        D("10.00"),
        D("0.00"),
        D("20.00"),
        D("10.00"),
    ]
    assert all(r.level == "InvoiceLine" for r in entry.records)
    assert [r.id for r in entry.records] == [f"{entry.id}.{i}" for i in range(1, 5)]


def test_line_level_spread_skips_negative_lines_and_keeps_sum() -> None:
    invoice = make_invoice("300.00", "-100.00", "50.00", level="InvoiceLine")
    memo = make_memo("1000.00")
    entry = apply(memo, invoice)  # min(1000, 250): the 300 line takes it all
    assert [(r.invoice_line_id, r.amount) for r in entry.records] == [(invoice.lines[0].id, D("250.00"))]
    assert line_balances(invoice) == [D("50.00"), D("-100.00"), D("50.00")]
    assert invoice.balance == 0 == sum(line_balances(invoice))
    assert memo.balance == D("750.00")


def test_line_level_apply_ties_keep_document_order() -> None:
    invoice = make_invoice("10.00", "10.00", level="InvoiceLine")
    memo = make_memo("5.00", "5.00")
    entry = apply(memo, invoice, "10.00")
    assert [(r.invoice_line_id, r.credit_memo_line_id) for r in entry.records] == [
        (invoice.lines[0].id, memo.lines[0].id),
        (invoice.lines[0].id, memo.lines[1].id),
    ]


def test_apply_credit_memo_line_to_invoice_lines() -> None:
    invoice = make_invoice("50.00", "30.00", level="InvoiceLine")
    memo = make_memo("40.00", "25.00")
    m40 = memo.lines[0]
    entry = apply_line(memo, m40.id, invoice, (invoice.lines[1].id, "10.00"), (invoice.lines[0].id, None))
    assert [(r.invoice_line_id, r.amount) for r in entry.records] == [
        (invoice.lines[1].id, D("10.00")),
        (invoice.lines[0].id, D("30.00")),  # default: what the memo line has left
    ]
    assert m40.balance == 0 and memo.lines[1].balance == D("25.00")
    assert memo.balance == D("25.00")
    assert line_balances(invoice) == [D("20.00"), D("20.00")]
    assert invoice.balance == D("40.00")
    assert entry.records[-1].credit_memo_balance == D("25.00")
    assert entry.records[-1].invoice_line_balance == D("20.00")


def test_apply_credit_memo_line_keeps_each_targets_description_and_date() -> None:
    invoice = make_invoice("50.00", "30.00", level="InvoiceLine")
    memo = make_memo("40.00")
    entry = applying.apply_credit_memo_line(
        memo,
        memo.lines[0].id,
        invoice,
        [
            (0, inputs.LineApplyTarget(invoice.id, invoice.lines[0].id, D("1.00"), "first", "2026-01-01")),
            (1, inputs.LineApplyTarget(invoice.id, invoice.lines[1].id, D("2.00"), "second", None)),
            (2, inputs.LineApplyTarget(invoice.id, invoice.lines[1].id, D("3.00"))),
        ],
        entry_id=new_id("app"),
        now=NOW,
        effective_date=TODAY,
        description="default",
    )
    assert [(r.description, r.effective_date) for r in entry.records] == [
        ("first", "2026-01-01"),
        ("second", TODAY),
        ("default", TODAY),
    ]


def test_apply_credit_memo_line_limits() -> None:
    invoice = make_invoice("50.00", "30.00", level="InvoiceLine")
    memo = make_memo("40.00", "100.00")
    line = memo.lines[0]
    with unchanged(memo, invoice), pytest.raises(InsufficientBalance):
        apply_line(memo, line.id, invoice, (invoice.lines[1].id, "30.01"))  # above the invoice line
    with unchanged(memo, invoice), pytest.raises(InsufficientBalance):
        apply_line(memo, line.id, invoice, (invoice.lines[0].id, "40.01"))  # above the memo line
    with unchanged(memo, invoice), pytest.raises(InsufficientBalance):
        # each fits alone; together they exceed the memo line
        apply_line(memo, line.id, invoice, (invoice.lines[0].id, "30.00"), (invoice.lines[1].id, "10.01"))
    with unchanged(memo, invoice), pytest.raises(InsufficientBalance):
        # the same invoice line twice: the second sees what the first left
        apply_line(
            memo, memo.lines[1].id, invoice, (invoice.lines[1].id, "20.00"), (invoice.lines[1].id, "10.01")
        )
    with unchanged(memo, invoice), pytest.raises(ValidationError):
        apply_line(memo, line.id, invoice, ("invl_nope", "1.00"))
    with unchanged(memo, invoice), pytest.raises(NotFound):
        apply_line(memo, "cml_nope", invoice, (invoice.lines[0].id, "1.00"))
    with unchanged(memo, invoice), pytest.raises(ValidationError):
        apply_line(memo, line.id, invoice, (invoice.lines[0].id, "0"))


def test_apply_credit_memo_line_bounded_by_memo_balance_after_invoice_level_apply() -> None:
    other = make_invoice("100.00")
    invoice = make_invoice("100.00", level="InvoiceLine")
    memo = make_memo("40.00")
    apply(memo, other, "30.00")
    assert memo.lines[0].balance == D("40.00") and memo.balance == D("10.00")
    with unchanged(memo, invoice), pytest.raises(InsufficientBalance):
        apply_line(memo, memo.lines[0].id, invoice, (invoice.lines[0].id, "10.01"))
    entry = apply_line(memo, memo.lines[0].id, invoice, (invoice.lines[0].id, None))
    assert entry.records[0].amount == D("10.00") and memo.balance == 0


def test_apply_credit_memo_line_needs_invoice_line_level() -> None:
    invoice = make_invoice("50.00")
    memo = make_memo("40.00")
    with unchanged(memo, invoice), pytest.raises(LevelMismatch):
        apply_line(memo, memo.lines[0].id, invoice, (invoice.lines[0].id, "1.00"))
    draft = make_memo("40.00", status="Draft")
    line_invoice = make_invoice("50.00", level="InvoiceLine")
    with unchanged(draft, line_invoice), pytest.raises(InvalidStatus):
        apply_line(draft, draft.lines[0].id, line_invoice, (line_invoice.lines[0].id, "1.00"))
    foreign = make_memo("40.00", account="acct-9")
    with pytest.raises(AccountMismatch):
        apply_line(foreign, foreign.lines[0].id, line_invoice, (line_invoice.lines[0].id, "1.00"))


def test_negative_invoice_line_cannot_take_line_credit() -> None:
    invoice = make_invoice("300.00", "-100.00", level="InvoiceLine")
    memo = make_memo("50.00")
    with unchanged(memo, invoice), pytest.raises(InsufficientBalance):
        apply_line(memo, memo.lines[0].id, invoice, (invoice.lines[1].id, None))
    with unchanged(memo, invoice), pytest.raises(InsufficientBalance):
        apply_line(memo, memo.lines[0].id, invoice, (invoice.lines[1].id, "1.00"))
