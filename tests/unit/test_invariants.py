"""The invariants the production checker holds documents to (docs/api.md section 2), on domain objects."""

from __future__ import annotations

from decimal import Decimal

from credit_memos.domain.invariants import check

from tests.builders import make_invoice, make_memo
from tests.unit import rules

D = Decimal


def test_documents_after_applies_at_both_levels_break_nothing() -> None:
    memo = make_memo("50.00", "30.00")
    invoice = make_invoice("60.00", "40.00", level="InvoiceLine")
    plain = make_invoice("100.00")
    rules.apply(memo, plain, "20.00")
    rules.apply_line(memo, memo.lines[0].id, invoice, (invoice.lines[1].id, "15.00"))

    assert check(memo, D("35.00")) == []
    assert check(invoice, D("15.00")) == []
    assert check(plain, D("20.00")) == []


def test_a_negative_invoice_line_before_and_after_its_conversion_breaks_nothing() -> None:
    invoice = make_invoice("100.00", "-80.00", level="InvoiceLine")
    assert check(invoice) == []

    memo, entry = rules.convert(invoice)  # applied back to the invoice

    assert entry is not None
    applied = sum((r.amount for r in entry.records if r.type == "Applied"), D(0))
    assert check(invoice, applied) == []
    assert check(memo, applied) == []


def test_a_memo_balance_that_is_not_its_total_minus_its_applications_is_found() -> None:
    memo = make_memo("80.00")
    memo.balance = D("75.00")

    (violation,) = check(memo)

    assert violation.rule == "memo_balance" and "75.00" in violation.message


def test_applications_that_disagree_with_what_a_document_says_are_found() -> None:
    invoice = make_invoice("100.00")

    (violation,) = check(invoice, D("10.00"))

    assert violation.rule == "invoice_balance" and "active applications total 10.00" in violation.message


def test_an_invoice_line_balance_out_of_step_with_the_invoice_is_found() -> None:
    invoice = make_invoice("60.00", "40.00", level="InvoiceLine")
    invoice.lines[0].balance = D("50.00")

    assert {v.rule for v in check(invoice)} == {"invoice_lines"}
