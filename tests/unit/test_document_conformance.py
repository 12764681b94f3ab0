"""Every UBL and CII the service renders passes the official EN 16931 rules with no error, or the
memo is one EN 16931 cannot express exactly and rendering answers NOT_REPRESENTABLE."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

import pytest
from credit_memos.documents.model import CreditNote, NotRepresentable
from credit_memos.documents.render import render
from credit_memos.domain.inputs import TaxInput
from credit_memos.money import minor_units
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import make_credit_note, make_memo
from tests.unit import en16931

D = Decimal
RATES = [D(19), D(7), D(20), D("5.5"), D(10), D("8.1"), D("25.5"), D("2.1")]
CURRENCIES = ["EUR", "JPY", "KWD", "CHF"]
TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=400
).filter(lambda text: text.strip() != "")


def schematron_errors(syntax: str, xml: bytes) -> list[str]:
    if not en16931.available():
        pytest.skip(en16931.MISSING)
    return en16931.failed_rules(syntax, xml)


# ---------------------------------------------------------------- examples of each case


def note_of(*charges: tuple[str, list[TaxInput]], currency: str = "EUR", **kwargs: object) -> CreditNote:
    return make_credit_note(make_memo(*charges, currency=currency), **kwargs)  # type: ignore[arg-type]


def tax(amount: str, rate: str | None = None) -> TaxInput:
    return TaxInput(D(amount), tax_rate=None if rate is None else D(rate))


EXAMPLES = {
    "mixed rates, zero rated, exempt": note_of(
        ("100.00", [tax("19.00", "19")]), ("40.00", [tax("2.80")]), ("10.00", [tax("0", "0")]), ("5.00", [])
    ),
    "JPY": note_of(("1000", [tax("100", "10")]), ("333", [tax("26", "8")]), currency="JPY"),
    "KWD with two decimals' worth": note_of(("12.340", [tax("0.620", "5")]), currency="KWD"),
    "voided, no preceding invoice": note_of(
        ("99.99", [tax("19.00", "19")]), voided=True, invoice_number=None, invoice_date=None
    ),
    "only exempt lines": note_of(("250.00", [])),
}


@pytest.mark.parametrize("syntax", ["ubl", "cii"])
@pytest.mark.parametrize("case", sorted(EXAMPLES))
def test_each_case_passes_the_en_16931_rules(syntax: str, case: str) -> None:
    xml = render(EXAMPLES[case], syntax)  # type: ignore[arg-type]
    if syntax == "cii":
        en16931.check_cii_xsd(xml)
    assert schematron_errors(syntax, xml) == []


def test_cii_passes_the_factur_x_xsd_without_the_shared_rules() -> None:
    for note in EXAMPLES.values():
        en16931.check_cii_xsd(render(note, "cii"))


# ---------------------------------------------------------------- random memos


@dataclass(frozen=True)
class Charge:
    """A generated line: its taxes, and the VAT category and rate the generator meant."""

    amount: Decimal
    taxes: list[TaxInput]
    category: str
    rate: Decimal


def _half_up(value: Decimal, exponent: int) -> Decimal:
    return value.quantize(D(1).scaleb(-exponent), rounding=ROUND_HALF_UP)


@st.composite
def charges(draw: st.DrawFn, currency: str) -> Charge:
    digits = minor_units(currency)
    kind = draw(st.sampled_from(["rate", "rate", "derived", "split", "zero", "exempt", "inconsistent"]))
    # A derived rate is unambiguous only on amounts large enough that a nearby rate rounds apart.
    smallest = 100_000 if kind == "derived" else 1
    units = draw(st.integers(smallest, 10**9))
    amount = D(units).scaleb(-digits)
    if kind == "exempt":
        return Charge(amount, [], "E", D(0))
    if kind == "zero":
        return Charge(amount, [TaxInput(D(0), tax_rate=draw(st.sampled_from([D(0), None])))], "Z", D(0))
    rate = draw(st.sampled_from(RATES))
    if kind == "split":
        first = draw(st.sampled_from([part for part in (D(1), D(2)) if part < rate]))
        parts = [first, rate - first]
        taxes = [TaxInput(_half_up(amount * part / 100, digits), tax_rate=part) for part in parts]
        return Charge(amount, taxes, "S", rate)
    due = _half_up(amount * rate / 100, digits)
    if kind == "inconsistent":
        due = D(draw(st.integers(0, units))).scaleb(-digits)
    return Charge(amount, [TaxInput(due, tax_rate=None if kind == "derived" else rate)], "S", rate)


def _xpath_round(value: Decimal) -> Decimal:
    return (value + D("0.5")).to_integral_value(rounding=ROUND_FLOOR)


def expected_refusal(lines: list[Charge]) -> str | None:
    """What the contract says: an amount with more than two decimals, or taxes that are not their
    rate of the lines' net amounts (EN 16931 allows one currency unit of rounding per rate)."""
    for line in lines:
        for amount in [line.amount, *(t.tax_amount for t in line.taxes)]:
            if amount != amount.quantize(D("0.01")):
                return "decimals"
    groups: dict[tuple[str, Decimal], tuple[Decimal, Decimal]] = {}
    for line in lines:
        basis, taxed = groups.get((line.category, line.rate), (D(0), D(0)))
        groups[line.category, line.rate] = (
            basis + line.amount,
            taxed + sum((t.tax_amount for t in line.taxes), D(0)),
        )
    for (category, rate), (basis, taxed) in groups.items():
        if category != "S":
            continue
        if _xpath_round(rate) == 0:
            consistent = _xpath_round(taxed) == 0
        else:
            consistent = abs(taxed - _xpath_round(basis * rate) / 100) < 1
        if not consistent:
            return "rate"
    return None


@st.composite
def credit_notes(draw: st.DrawFn) -> tuple[CreditNote, str | None]:
    currency = draw(st.sampled_from(CURRENCIES))
    count = draw(st.sampled_from([1, 2, 3, 5, 12, 300]))
    lines = draw(st.lists(charges(currency), min_size=count, max_size=count))
    memo = make_memo(
        *[(f"{line.amount:f}", line.taxes) for line in lines],  # type: ignore[misc]
        currency=currency,
    )
    for line in memo.lines:
        line.product_name = draw(TEXT)
        line.description = draw(st.none() | TEXT)
    memo.description = draw(st.none() | TEXT)
    note = make_credit_note(
        memo, language=draw(st.sampled_from(["en", "de", "fr"])), voided=draw(st.booleans())
    )
    return note, expected_refusal(lines)


@pytest.mark.slow
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(credit_notes())
def test_random_memos_pass_the_en_16931_rules_or_are_not_representable(
    case: tuple[CreditNote, str | None],
) -> None:
    note, refusal = case
    for syntax in ("ubl", "cii"):
        if refusal is not None:
            with pytest.raises(NotRepresentable, match=refusal):
                render(note, syntax)  # type: ignore[arg-type]
            continue
        xml = render(note, syntax)  # type: ignore[arg-type]
        if syntax == "cii":
            en16931.check_cii_xsd(xml)
        if en16931.available():
            assert en16931.failed_rules(syntax, xml) == []
