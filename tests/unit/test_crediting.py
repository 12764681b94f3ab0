"""Crediting an invoice (credit_memos.domain.invoice_credit): tax strategies, bounds, proration, voids."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from credit_memos.domain import inputs, memos
from credit_memos.domain.documents import ApplicationEntry, CreditMemo, Invoice
from credit_memos.errors import (
    InsufficientBalance,
    InvalidStatus,
    ValidationError,
)
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from tests.builders import NOW, make_invoice, make_memo
from tests.unit.rules import apply, apply_line, credit, line_balances, unapply, unchanged

D = Decimal


def test_credit_invoice_ignore_and_manual_override() -> None:
    invoice = make_invoice(("100.00", "10.00"), "50.00")
    memo, entry = credit(invoice, "Ignore", inputs.CreditLineInput(invoice.lines[0].id, D("40.00")))
    assert memo.total_amount_with_tax == D("40.00") and memo.total_tax_amount == 0
    assert (
        memo.status == "Posted"
        and memo.source_action == "Invoice"
        and memo.reference_invoice_id == invoice.id
    )
    assert memo.lines[0].reference_invoice_line_id == invoice.lines[0].id
    assert memo.balance == 0 and invoice.balance == D("120.00")
    assert [r.amount for r in entry.records] == [D("40.00")] and entry.level == "Invoice"
    memo2, _ = credit(
        invoice,
        "ManualOverride",
        inputs.CreditLineInput(invoice.lines[0].id, D("10.00"), (inputs.TaxInput(D("2.50")),)),
    )
    assert memo2.total_amount_with_tax == D("12.50") and invoice.balance == D("107.50")
    with unchanged(invoice), pytest.raises(ValidationError):
        # more tax than the line has left to credit
        credit(
            invoice,
            "ManualOverride",
            inputs.CreditLineInput(invoice.lines[0].id, D("1.00"), (inputs.TaxInput(D("7.51")),)),
        )
    with unchanged(invoice), pytest.raises(ValidationError):
        credit(
            invoice,
            "Ignore",
            inputs.CreditLineInput(invoice.lines[0].id, D("1.00"), (inputs.TaxInput(D("1.00")),)),
        )


def test_credit_invoice_validation() -> None:
    invoice = make_invoice(("100.00", "10.00"), "-20.00")
    line = invoice.lines[0].id
    cases = [
        ("Ignore", [inputs.CreditLineInput(line, D("100.01"))], ValidationError),  # above the charge
        ("Ignore", [inputs.CreditLineInput(line, D("0"))], ValidationError),
        ("Ignore", [inputs.CreditLineInput("invl_other", D("1.00"))], ValidationError),
        (
            "Ignore",
            [inputs.CreditLineInput(line, D("1.00")), inputs.CreditLineInput(line, D("1.00"))],
            ValidationError,
        ),
        # a negative line
        ("Ignore", [inputs.CreditLineInput(invoice.lines[1].id, D("1.00"))], ValidationError),
        ("Bogus", [inputs.CreditLineInput(line, D("1.00"))], ValidationError),
        ("Ignore", [], ValidationError),
    ]
    for strategy, credits, error in cases:
        with unchanged(invoice), pytest.raises(error):
            credit(invoice, strategy, *credits)
    draft = make_invoice("10.00", status="Draft")
    with pytest.raises(InvalidStatus):
        credit(draft, "Ignore", inputs.CreditLineInput(draft.lines[0].id, D("1.00")))


def test_credit_invoice_total_bounded_by_invoice_balance() -> None:
    invoice = make_invoice("100.00")
    memo = make_memo("95.00")
    apply(memo, invoice, "95.00")
    with unchanged(invoice), pytest.raises(InsufficientBalance):
        credit(invoice, "Ignore", inputs.CreditLineInput(invoice.lines[0].id, D("5.01")))
    credit(invoice, "Ignore", inputs.CreditLineInput(invoice.lines[0].id, D("5.00")))
    assert invoice.balance == 0


def test_credit_invoice_at_line_level_bounded_by_line_balance() -> None:
    invoice = make_invoice(("100.00", "10.00"), "50.00", level="InvoiceLine")
    memo, entry = credit(
        invoice,
        "CopyFromInvoiceLine",
        inputs.CreditLineInput(invoice.lines[0].id, D("50.00")),
        inputs.CreditLineInput(invoice.lines[1].id, D("50.00")),
    )
    assert [(r.invoice_line_id, r.amount) for r in entry.records] == [
        (invoice.lines[0].id, D("55.00")),
        (invoice.lines[1].id, D("50.00")),
    ]
    assert line_balances(invoice) == [D("55.00"), D("0.00")]
    assert line_balances(memo) == [0, 0] and memo.balance == 0
    other = make_memo("60.00")
    apply_line(other, other.lines[0].id, invoice, (invoice.lines[0].id, "50.00"))
    with unchanged(invoice), pytest.raises(InsufficientBalance):
        # 10.00 of charge with 1.00 of tax does not fit the line's 5.00
        credit(invoice, "CopyFromInvoiceLine", inputs.CreditLineInput(invoice.lines[0].id, D("10.00")))


def test_copy_from_invoice_line_prorates_and_rounds_down() -> None:
    invoice = make_invoice(("100.00", "10.00"), level="InvoiceLine")
    line = invoice.lines[0]
    taxes = []
    for _ in range(3):
        memo, _entry = credit(invoice, "CopyFromInvoiceLine", inputs.CreditLineInput(line.id, D("33.33")))
        taxes.append(memo.total_tax_amount)
    assert taxes == [D("3.33"), D("3.33"), D("3.33")]
    memo, _entry = credit(invoice, "CopyFromInvoiceLine", inputs.CreditLineInput(line.id, D("0.01")))
    assert memo.total_tax_amount == D("0.01")  # the last cent lands on the last credit
    assert line.credited_tax_amount == D("10.00") and line.credited_charge_amount == D("100.00")
    assert invoice.balance == 0 and line.balance == 0
    with unchanged(invoice), pytest.raises(ValidationError):
        credit(invoice, "CopyFromInvoiceLine", inputs.CreditLineInput(line.id, D("0.01")))


def test_copy_from_invoice_line_without_tax_or_in_jpy() -> None:
    invoice = make_invoice("100.00")
    memo, _ = credit(invoice, "CopyFromInvoiceLine", inputs.CreditLineInput(invoice.lines[0].id, D("10.00")))
    assert memo.total_tax_amount == 0 and memo.lines[0].taxes == []
    jpy = make_invoice(("1000", "100"), currency="JPY")
    memo, _ = credit(jpy, "CopyFromInvoiceLine", inputs.CreditLineInput(jpy.lines[0].id, D("333")))
    assert memo.total_tax_amount == D("33") and memo.total_amount_with_tax == D("366")


@settings(max_examples=150, deadline=None)
@given(
    currency=st.sampled_from(["USD", "JPY", "KWD"]),
    charge_units=st.one_of(st.integers(1, 10**6), st.integers(1, 10**17)),
    tax_units=st.one_of(st.integers(0, 10**5), st.integers(0, 10**17)),
    pieces=st.lists(st.one_of(st.integers(1, 10**4), st.integers(1, 10**17)), min_size=1, max_size=40),
    level=st.sampled_from(["Invoice", "InvoiceLine"]),
)
# Regression: with a 28-digit context the full credit of this line came out a cent short of its tax.
@example("USD", 18_307_433_016_041, 682_782_779_488_831, [18_307_433_016_041], "Invoice")
@example("KWD", 99_999_999_999_999_999, 7, [3, 3], "InvoiceLine")
def test_prorated_tax_of_many_credits_never_exceeds_the_line_tax(
    currency: str, charge_units: int, tax_units: int, pieces: list[int], level: str
) -> None:
    exponent = {"USD": -2, "JPY": 0, "KWD": -3}[currency]
    assume(D(charge_units + tax_units).scaleb(exponent) < D(10) ** 15)
    charge = D(charge_units).scaleb(exponent)
    tax = D(tax_units).scaleb(exponent)
    invoice = make_invoice((f"{charge:f}", f"{tax:f}"), currency=currency, level=level)
    line = invoice.lines[0]
    credited_units = credited_tax_units = 0
    for piece in [*pieces, charge_units]:  # the last credit takes whatever is left
        units = min(piece, charge_units - credited_units)
        if units <= 0:
            break
        amount = D(units).scaleb(exponent)
        memo, entry = credit(invoice, "CopyFromInvoiceLine", inputs.CreditLineInput(line.id, amount))
        credited_units += units
        memo_tax_units = int(memo.total_tax_amount.scaleb(-exponent))
        credited_tax_units += memo_tax_units
        assert memo.total_tax_amount >= 0
        assert credited_tax_units <= tax_units
        if credited_units < charge_units:
            # Each credit's tax is floor(tax x its own amount / charge), in minor units.
            assert memo_tax_units == Fraction(tax_units * units, charge_units).__floor__()
        assert memo.total_amount_with_tax == amount + memo.total_tax_amount
        assert sum(r.amount for r in entry.records) == memo.total_amount_with_tax
        assert invoice.balance == invoice.total_amount_with_tax - D(
            credited_units + credited_tax_units
        ).scaleb(exponent)
    assert credited_units == charge_units
    assert credited_tax_units == tax_units  # crediting all of the line credits exactly all of its tax
    assert invoice.balance == 0
    assert line.balance == (0 if level == "InvoiceLine" else line.amount_with_tax)


def void_credit(invoice: Invoice, memo: CreditMemo, entry: ApplicationEntry) -> None:
    """Undo a credit made by ``credit``: unapply its records, then void the memo."""
    for record in entry.records:
        unapply(entry, record.id, memo, invoice, level=entry.level)
    memos.void_credit_memo(memo, NOW, source_invoice=invoice)


def test_copy_from_invoice_line_after_another_strategy_prorates_its_own_amount() -> None:
    """Credits of another strategy on the line do not change a CopyFromInvoiceLine tax."""
    invoice = make_invoice(("100.00", "10.00"))
    line = invoice.lines[0]
    credit(invoice, "Ignore", inputs.CreditLineInput(line.id, D("50.00")))
    memo, _ = credit(invoice, "CopyFromInvoiceLine", inputs.CreditLineInput(line.id, D("10.00")))
    assert memo.total_tax_amount == D("1.00")  # 10.00 x 10.00 / 100.00 (it was 6.00)
    invoice = make_invoice(("100.00", "10.00"))
    line = invoice.lines[0]
    manual = inputs.CreditLineInput(line.id, D("90.00"), (inputs.TaxInput(D("0.50")),))
    credit(invoice, "ManualOverride", manual)
    memo, _ = credit(invoice, "CopyFromInvoiceLine", inputs.CreditLineInput(line.id, D("1.00")))
    assert memo.total_tax_amount == D("0.10")  # it was 8.60 of tax on a 1.00 charge
    assert line.credited_tax_amount == D("0.60")


def test_copy_from_invoice_line_never_takes_the_line_past_its_tax() -> None:
    invoice = make_invoice(("100.00", "10.00"))
    line = invoice.lines[0]
    manual = inputs.CreditLineInput(line.id, D("10.00"), (inputs.TaxInput(D("9.95")),))
    credit(invoice, "ManualOverride", manual)
    memo, _ = credit(invoice, "CopyFromInvoiceLine", inputs.CreditLineInput(line.id, D("90.00")))
    assert memo.total_tax_amount == D("0.05")  # capped: 9.00 would credit 18.95 of a 10.00 tax
    assert line.credited_tax_amount == D("10.00") and line.credited_charge_amount == D("100.00")


def test_voids_give_back_exactly_what_each_credit_took() -> None:
    invoice = make_invoice(("3.00", "1.00"), level="InvoiceLine")
    line = invoice.lines[0]
    ignored = credit(invoice, "Ignore", inputs.CreditLineInput(line.id, D("1.00")))
    first, _ = credit(invoice, "CopyFromInvoiceLine", inputs.CreditLineInput(line.id, D("1.00")))
    assert first.total_tax_amount == D("0.33")
    void_credit(invoice, *ignored)
    second, _ = credit(invoice, "CopyFromInvoiceLine", inputs.CreditLineInput(line.id, D("1.00")))
    assert second.total_tax_amount == D("0.33")
    dropped = credit(invoice, "CopyFromInvoiceLine", inputs.CreditLineInput(line.id, D("1.00")))
    assert dropped[0].total_tax_amount == D("0.34")  # completes the charge: the leftover
    void_credit(invoice, *dropped)
    assert (line.credited_charge_amount, line.credited_tax_amount) == (D("2.00"), D("0.66"))
    last, _ = credit(invoice, "CopyFromInvoiceLine", inputs.CreditLineInput(line.id, D("1.00")))
    assert last.total_tax_amount == D("0.34")
    assert line.credited_tax_amount == D("1.00") and line.balance == 0 and invoice.balance == 0


def test_void_of_a_credit_stored_before_the_copy_tallies_existed() -> None:
    """A memo and line read from an item written before they tracked CopyFromInvoiceLine."""
    invoice = make_invoice(("100.00", "10.00"))
    line = invoice.lines[0]
    memo, entry = credit(invoice, "CopyFromInvoiceLine", inputs.CreditLineInput(line.id, D("50.00")))
    memo.tax_strategy = None  # the defaults of a stored document without the new fields
    line.copy_credited_charge_amount = line.copy_credited_tax_amount = D(0)
    void_credit(invoice, memo, entry)
    assert (line.credited_charge_amount, line.credited_tax_amount) == (0, 0)
    assert (line.copy_credited_charge_amount, line.copy_credited_tax_amount) == (0, 0)
    again, _ = credit(invoice, "CopyFromInvoiceLine", inputs.CreditLineInput(line.id, D("100.00")))
    assert again.total_tax_amount == D("10.00")


_STRATEGIES = ("Ignore", "ManualOverride", "CopyFromInvoiceLine")


@settings(max_examples=200, deadline=None)
@given(
    currency=st.sampled_from(["USD", "JPY", "KWD"]),
    charge_units=st.one_of(st.integers(1, 1000), st.integers(1, 10**17)),
    tax_units=st.one_of(st.integers(0, 1000), st.integers(0, 10**17)),
    level=st.sampled_from(["Invoice", "InvoiceLine"]),
    steps=st.lists(
        st.tuples(
            st.sampled_from([*_STRATEGIES, "CopyFromInvoiceLine", "void"]),
            st.integers(0, 10**18),
            st.integers(0, 10**18),
        ),
        max_size=25,
    ),
    pieces=st.lists(st.integers(1, 10**18), max_size=6),
)
@example("USD", 10000, 1000, "Invoice", [("Ignore", 4999, 0), ("CopyFromInvoiceLine", 999, 0)], [])
@example("USD", 10000, 1000, "Invoice", [("ManualOverride", 8999, 50), ("CopyFromInvoiceLine", 99, 0)], [])
def test_copy_from_invoice_line_tax_over_mixed_strategies_and_voids(
    currency: str,
    charge_units: int,
    tax_units: int,
    level: str,
    steps: list[tuple[str, int, int]],
    pieces: list[int],
) -> None:
    """Random credits of every strategy and voids on one line, then CopyFromInvoiceLine to the end.

    After every step: the line's credited charge and tax are the sums over the memos still
    standing, never above its charge and tax; each CopyFromInvoiceLine credit takes
    floor(T x a / C) of tax (whatever came before), except the one that completes the
    charge under CopyFromInvoiceLine, which takes what makes those credits' tax exactly T,
    and except where that would take the line past T, where it takes what is left of T.
    """
    exponent = {"USD": -2, "JPY": 0, "KWD": -3}[currency]
    assume(D(charge_units + tax_units).scaleb(exponent) < D(10) ** 15)

    def money_of(units_: int) -> Decimal:
        return D(units_).scaleb(exponent)

    def units_of(amount: Decimal) -> int:
        return int(amount.scaleb(-exponent))

    invoice = make_invoice(
        (f"{money_of(charge_units):f}", f"{money_of(tax_units):f}"), currency=currency, level=level
    )
    line = invoice.lines[0]
    standing: list[tuple[str, CreditMemo, ApplicationEntry]] = []

    def tally(*strategies: str) -> tuple[int, int]:
        memos = [m for s, m, _ in standing if s in strategies]
        return (
            sum(units_of(m.total_charge_amount) for m in memos),
            sum(units_of(m.total_tax_amount) for m in memos),
        )

    def do_credit(strategy: str, amount_units: int, manual_tax_units: int = 0) -> None:
        _charged, taxed = tally(*_STRATEGIES)
        copied_charge, copied_tax = tally("CopyFromInvoiceLine")
        taxes = (inputs.TaxInput(money_of(manual_tax_units)),) if strategy == "ManualOverride" else ()
        request = inputs.CreditLineInput(line.id, money_of(amount_units), taxes)
        if strategy == "ManualOverride" and taxed + manual_tax_units > tax_units:
            with unchanged(invoice), pytest.raises(ValidationError):
                credit(invoice, strategy, request)
            return
        memo, entry = credit(invoice, strategy, request)
        memo_tax = units_of(memo.total_tax_amount)
        if strategy == "CopyFromInvoiceLine":
            if copied_charge + amount_units == charge_units:
                expected = tax_units - copied_tax  # the series completes the charge: the leftover
            else:
                expected = Fraction(tax_units * amount_units, charge_units).__floor__()
                assert expected <= Fraction(tax_units * amount_units, charge_units) < expected + 1
            assert memo_tax == min(expected, tax_units - taxed)
        else:
            assert memo_tax == (manual_tax_units if strategy == "ManualOverride" else 0)
        assert sum(r.amount for r in entry.records) == memo.total_amount_with_tax
        standing.append((strategy, memo, entry))

    def check_line() -> None:
        charged, taxed = tally(*_STRATEGIES)
        assert (units_of(line.credited_charge_amount), units_of(line.credited_tax_amount)) == (charged, taxed)
        assert 0 <= charged <= charge_units and 0 <= taxed <= tax_units
        assert invoice.balance == invoice.total_amount_with_tax - money_of(charged + taxed)

    for action, x, y in steps:
        charged, taxed = tally(*_STRATEGIES)
        if action == "void":
            if standing:
                _strategy, memo, entry = standing.pop(x % len(standing))
                void_credit(invoice, memo, entry)
        elif charged < charge_units:
            do_credit(action, 1 + x % (charge_units - charged), y % (tax_units - taxed + 2))
        check_line()
    # Void everything but the CopyFromInvoiceLine credits, then credit the rest of the charge
    # under CopyFromInvoiceLine: that series covers the whole charge and credits exactly T.
    for strategy, memo, entry in [s for s in standing if s[0] != "CopyFromInvoiceLine"]:
        void_credit(invoice, memo, entry)
        standing.remove((strategy, memo, entry))
        check_line()
    for piece in [*pieces, charge_units]:
        left = charge_units - tally(*_STRATEGIES)[0]
        if left == 0:
            break
        do_credit("CopyFromInvoiceLine", min(piece, left))
        check_line()
    assert tally("CopyFromInvoiceLine") == tally(*_STRATEGIES) == (charge_units, tax_units)
    assert invoice.balance == 0
