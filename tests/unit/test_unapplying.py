"""Unapplying an application (credit_memos.domain.applying): balances restored exactly at both levels."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from credit_memos.errors import (
    AlreadyUnapplied,
    InvalidStatus,
    LevelMismatch,
    NotFound,
)

from tests.builders import make_invoice, make_memo
from tests.unit.rules import apply, line_balances, unapply, unchanged

D = Decimal


def test_unapply_restores_exactly_at_invoice_level() -> None:
    memo = make_memo("30.00")
    invoice = make_invoice("100.00")
    before = copy.deepcopy((memo.balance, invoice.balance))
    entry = apply(memo, invoice, "12.34")
    applied = entry.records[0]
    reversal = unapply(entry, applied.id, memo, invoice)
    assert (memo.balance, invoice.balance) == before
    assert memo.net_credits_applied == 0 and invoice.net_credits_applied == 0
    assert applied.has_been_unapplied == "Yes" and applied.amount == D("12.34")  # never edited
    [record] = reversal.records
    assert record.type == "Unapplied" and record.has_been_unapplied == "NA"
    assert record.associated_application_id == applied.id and record.amount == D("12.34")
    assert record.credit_memo_balance == D("30.00") and record.invoice_balance == D("100.00")
    with unchanged(memo, invoice, entry), pytest.raises(AlreadyUnapplied):
        unapply(entry, applied.id, memo, invoice)
    with pytest.raises(InvalidStatus):
        unapply(reversal, record.id, memo, invoice)  # an Unapplied record is not reversible
    assert invoice.settlement_status == "NotSettled"


def test_unapply_restores_exactly_at_line_level() -> None:
    invoice = make_invoice("20.00", "50.00", level="InvoiceLine")
    memo = make_memo("40.00", "60.00")
    start = copy.deepcopy((invoice, memo))
    entry = apply(memo, invoice, "65.00")
    for record in entry.records:
        unapply(entry, record.id, memo, invoice, level="InvoiceLine")
    assert line_balances(invoice) == line_balances(start[0])
    assert line_balances(memo) == line_balances(start[1])
    assert invoice.balance == start[0].balance and memo.balance == start[1].balance
    assert all(line.net_credits_applied == 0 for line in [*invoice.lines, *memo.lines])
    assert all(r.has_been_unapplied == "Yes" for r in entry.records)


def test_unapply_level_and_record_checks() -> None:
    invoice = make_invoice("20.00", level="InvoiceLine")
    memo = make_memo("10.00")
    entry = apply(memo, invoice, "5.00")
    with unchanged(memo, invoice, entry), pytest.raises(LevelMismatch):
        unapply(entry, entry.records[0].id, memo, invoice, level="Invoice")
    with unchanged(memo, invoice, entry), pytest.raises(NotFound):
        unapply(entry, f"{entry.id}.99", memo, invoice, level="InvoiceLine")
    flat = make_invoice("20.00")
    flat_entry = apply(memo, flat, "1.00")
    with pytest.raises(LevelMismatch):
        unapply(flat_entry, flat_entry.records[0].id, memo, flat, level="InvoiceLine")
