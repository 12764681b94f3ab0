"""Converting negative invoice lines to a credit memo (credit_memos.domain.conversion), and its void."""

from __future__ import annotations

from decimal import Decimal

import pytest
from credit_memos.domain import memos
from credit_memos.errors import (
    AlreadyConverted,
    HasActiveApplications,
    InsufficientBalance,
    InvalidStatus,
    NotFound,
    ValidationError,
)

from tests.builders import NOW, make_invoice, make_memo
from tests.unit.rules import apply, convert, line_balances, unapply, unchanged

D = Decimal


def test_conversion_whose_memo_would_reach_10_to_the_15_changes_nothing() -> None:
    big = "900000000000000.00"
    invoice = make_invoice(big, big, f"-{big}", f"-{big}")
    with unchanged(invoice), pytest.raises(ValidationError):
        convert(invoice)
    memo, _ = convert(invoice, [invoice.lines[2].id])
    assert memo.total_amount_with_tax == D(big)


def test_convert_spec_worked_example() -> None:
    invoice = make_invoice("300.00", "-100.00")
    assert invoice.balance == D("200.00")
    memo, entry = convert(invoice)
    assert memo.source_action == "NegativeInvoiceLineConversion" and memo.status == "Posted"
    assert memo.total_amount_with_tax == D("100.00") and memo.balance == 0
    assert memo.lines[0].reference_invoice_line_id == invoice.lines[1].id
    assert memo.lines[0].charge_amount == D("100.00")
    assert entry is not None and [r.amount for r in entry.records] == [D("100.00")]
    assert invoice.balance == D("200.00")
    assert invoice.total_converted_neg_amount == D("-100.00")
    assert invoice.lines[1].converted_neg_amount == D("-100.00")
    assert invoice.net_credits_applied == D("100.00")


def test_convert_with_taxes_without_applying_back() -> None:
    invoice = make_invoice(("300.00", "30.00"), ("-100.00", "-10.00"), ("-20.00", "0"))
    memo, entry = convert(invoice, apply_to_invoice=False)
    assert entry is None
    assert memo.total_charge_amount == D("120.00") and memo.total_tax_amount == D("10.00")
    assert memo.balance == D("130.00")
    assert invoice.balance == D("330.00") and invoice.total_converted_neg_amount == D("-130.00")
    assert invoice.settlement_status == "NotSettled"
    with unchanged(invoice), pytest.raises(AlreadyConverted):
        convert(invoice)
    with unchanged(invoice), pytest.raises(AlreadyConverted):
        convert(invoice, [invoice.lines[2].id])


def test_convert_selected_lines_then_the_rest() -> None:
    invoice = make_invoice("300.00", "-100.00", "-50.00", level="InvoiceLine")
    memo, entry = convert(invoice, [invoice.lines[2].id], apply_to_invoice=False)
    assert memo.total_amount_with_tax == D("50.00") and entry is None
    assert line_balances(invoice) == [D("300.00"), D("-100.00"), D("0.00")]
    memo, entry = convert(invoice, apply_to_invoice=False)  # default: the unconverted negative lines
    assert [line.reference_invoice_line_id for line in memo.lines] == [invoice.lines[1].id]
    assert invoice.balance == D("300.00") == sum(line_balances(invoice))


def test_convert_line_level_applies_back_over_lines() -> None:
    invoice = make_invoice("300.00", "-100.00", level="InvoiceLine")
    memo, entry = convert(invoice)
    assert entry is not None and entry.level == "InvoiceLine"
    assert invoice.balance == D("200.00") == sum(line_balances(invoice))
    assert line_balances(invoice) == [D("200.00"), D("0.00")]
    assert memo.balance == 0


def test_convert_rejections() -> None:
    invoice = make_invoice("300.00", "-100.00")
    with unchanged(invoice), pytest.raises(ValidationError):
        convert(invoice, [invoice.lines[0].id])  # positive line
    with unchanged(invoice), pytest.raises(ValidationError):
        convert(invoice, ["invl_elsewhere"])
    with unchanged(invoice), pytest.raises(ValidationError):
        convert(invoice, [invoice.lines[1].id, invoice.lines[1].id])
    with unchanged(invoice), pytest.raises(ValidationError):
        convert(invoice, [])
    positive = make_invoice("300.00")
    with unchanged(positive), pytest.raises(ValidationError):
        convert(positive)
    draft = make_invoice("300.00", "-100.00", status="Draft")
    with unchanged(draft), pytest.raises(InvalidStatus):
        convert(draft)
    memo = make_memo("10.00")
    entry = apply(memo, invoice, "10.00")
    with unchanged(invoice), pytest.raises(HasActiveApplications):
        convert(invoice)
    unapply(entry, entry.records[0].id, memo, invoice)
    converted, _ = convert(invoice)
    assert converted.total_amount_with_tax == D("100.00")


def test_void_of_a_conversion_memo_undoes_the_conversion() -> None:
    """The negative lines go back to unconverted and the balance is restored."""
    invoice = make_invoice("300.00", ("-100.00", "-10.00"), "-20.00", level="InvoiceLine")
    memo, entry = convert(invoice)
    assert entry is not None and invoice.balance == D("170.00")
    with unchanged(memo, invoice), pytest.raises(HasActiveApplications):
        memos.void_credit_memo(memo, NOW, source_invoice=invoice)
    for record in entry.records:
        unapply(entry, record.id, memo, invoice, level="InvoiceLine")
    assert invoice.balance == D("300.00")
    with unchanged(memo, invoice), pytest.raises(NotFound):
        memos.void_credit_memo(memo, NOW)  # the service always passes the invoice it converted
    memos.void_credit_memo(memo, NOW, source_invoice=invoice)
    assert memo.status == "Voided" and memo.balance == 0
    assert invoice.balance == D("170.00") == sum(line_balances(invoice))
    assert invoice.total_converted_neg_amount == 0
    assert [line.converted_neg_amount for line in invoice.lines] == [0, 0, 0]
    assert line_balances(invoice) == [D("300.00"), D("-110.00"), D("-20.00")]
    again, entry = convert(invoice, [invoice.lines[1].id])  # the lines can be converted again
    assert again.total_amount_with_tax == D("110.00") and invoice.balance == D("170.00")


def test_void_of_a_conversion_memo_refused_while_credits_use_its_balance() -> None:
    invoice = make_invoice("300.00", "-100.00")
    memo, entry = convert(invoice, apply_to_invoice=False)
    assert entry is None and invoice.balance == D("300.00")
    other = make_memo("250.00")
    applied = apply(other, invoice, "250.00")
    with unchanged(memo, invoice), pytest.raises(InsufficientBalance):
        memos.void_credit_memo(memo, NOW, source_invoice=invoice)  # the balance would be -50.00
    unapply(applied, applied.records[0].id, other, invoice)
    apply(other, invoice, "200.00")
    memos.void_credit_memo(memo, NOW, source_invoice=invoice)
    assert invoice.balance == 0 and invoice.total_converted_neg_amount == 0
    assert invoice.settlement_status == "Settled"
