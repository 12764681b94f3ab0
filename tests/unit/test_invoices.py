"""Creating invoices (credit_memos.domain.invoices): totals, validation, limits, currencies."""

from __future__ import annotations

from decimal import Decimal

import pytest
from credit_memos.api.errors import field_name
from credit_memos.errors import (
    ValidationError,
)

from tests.builders import make_invoice, make_memo
from tests.unit.rules import line_balances

D = Decimal


def test_create_invoice_totals_include_negative_lines() -> None:
    invoice = make_invoice(("300.00", "30.00"), ("-100.00", "-10.00"), "0.50")
    assert invoice.total_charge_amount == D("200.50")
    assert invoice.total_tax_amount == D("20.00")
    assert invoice.total_amount_with_tax == D("220.50")
    assert invoice.balance == D("220.50")
    assert [line.amount_with_tax for line in invoice.lines] == [D("330.00"), D("-110.00"), D("0.50")]
    assert line_balances(invoice) == [D("330.00"), D("-110.00"), D("0.50")]
    assert invoice.lines[1].is_negative and not invoice.lines[0].is_negative
    assert invoice.net_credits_applied == 0 and invoice.total_converted_neg_amount == 0
    assert invoice.settlement_status == "NotSettled"


def test_invoice_total_of_zero_is_allowed_and_settled() -> None:
    invoice = make_invoice("100.00", "-100.00")
    assert invoice.total_amount_with_tax == 0 and invoice.balance == 0
    assert invoice.settlement_status == "Settled"


@pytest.mark.parametrize(
    "lines", [("-0.01",), ("100.00", "-100.01"), (("10.00", "1.00"), ("-10.00", "-1.01"))]
)
def test_invoice_total_may_not_be_negative(lines: tuple) -> None:
    with pytest.raises(ValidationError) as caught:
        make_invoice(*lines)
    assert caught.value.field == ("lines",)


def test_create_invoice_validates_lines_and_currency() -> None:
    with pytest.raises(ValidationError, match="decimal places"):
        make_invoice("1.001")
    with pytest.raises(ValidationError, match="decimal places"):
        make_invoice("1.5", currency="JPY")
    with pytest.raises(ValidationError, match="unknown currency"):
        make_invoice("1.00", currency="XYZ")
    with pytest.raises(ValidationError, match="sign"):
        make_invoice(("10.00", "-1.00"))
    with pytest.raises(ValidationError):
        make_invoice()
    with pytest.raises(ValidationError):
        make_invoice(*["1.00"] * 301)
    assert len(make_invoice(*["1.00"] * 300).lines) == 300
    with pytest.raises(ValidationError):
        make_invoice("1.00", status="Voided")


def test_documents_whose_total_reaches_10_to_the_15_are_rejected() -> None:
    """Each amount below the limit, the sum at or above it."""
    half = "500000000000000.00"
    cases: list[tuple[tuple[tuple[str, str] | str, ...], str]] = [
        ((half, half), "lines"),
        (("999999999999999.99", "0.01"), "lines"),
        ((("900000000000000.00", "100000000000000.00"),), "lines[0]"),  # one line with its tax
        (((half, "1.00"), (half, "1.00")), "lines"),  # the charges alone sum to 10^15
        (  # the taxes alone sum to 10^15 or more, the total does not
            (("-900000000000000.00", "0"), ("0.01", "600000000000000.00"), ("0.01", "600000000000000.00")),
            "lines",
        ),
    ]
    for lines, field in cases:
        with pytest.raises(ValidationError) as raised:
            make_invoice(*lines)
        assert field_name(raised.value.field or ()) == field, lines
    assert make_invoice("999999999999999.98", "0.01").total_amount_with_tax == D("999999999999999.99")
    for charges, field in [
        ((half, half), "charges"),
        ((("900000000000000.00", ("60000000000000.00", "40000000000000.00")),), "charges[0]"),
    ]:
        with pytest.raises(ValidationError) as raised:
            make_memo(*charges)
        assert field_name(raised.value.field or ()) == field, charges
    assert make_memo(("999999999999999.00", ("0.99",))).total_amount_with_tax == D("999999999999999.99")


def test_create_invoice_in_jpy_and_kwd() -> None:
    jpy = make_invoice("1200", currency="JPY")
    assert jpy.balance == D("1200") and jpy.balance.as_tuple().exponent == 0
    kwd = make_invoice(("1.25", "0.125"), currency="KWD")
    assert kwd.total_amount_with_tax == D("1.375") and kwd.balance.as_tuple().exponent == -3
