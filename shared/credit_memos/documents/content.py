"""What every format of a credit note states: its header facts, its lines with a VAT category and
rate each, the VAT breakdown and totals; and whether EN 16931 can express them exactly."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Literal

from credit_memos.documents import texts
from credit_memos.documents.model import CreditNote, NotRepresentable
from credit_memos.domain.documents import CreditMemoLine
from credit_memos.money import ZERO, minor_units

# UNTDID 5305 codes used here: standard rate, zero rated, exempt.
VatCategory = Literal["S", "Z", "E"]

# EN 16931 allows at most two decimals in every amount (rules BR-DEC-*).
EN16931_DECIMALS = 2
# A derived rate has the fewest decimals (up to this many) that reproduce the line's tax exactly.
MAX_DERIVED_RATE_DECIMALS = 4
EXEMPTION_REASON = "Exempt from VAT"
PAYMENT_TERMS = "Credit note: the amount is credited to the buyer's account."
VOIDED = "VOIDED"
HUNDRED = Decimal(100)
ONE = Decimal(1)
# Characters XML 1.0 cannot carry; text is written without them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


@dataclass(frozen=True)
class DocumentLine:
    """One memo line as the document states it."""

    number: int
    name: str
    description: str | None
    product_id: str | None
    net_amount: Decimal
    tax_amount: Decimal
    category: VatCategory
    # None: the line's taxes agree with no single rate (the XML formats refuse it).
    rate: Decimal | None


@dataclass(frozen=True)
class VatGroup:
    """One entry of the VAT breakdown: the lines of one category and rate."""

    category: VatCategory
    rate: Decimal | None
    basis: Decimal
    tax: Decimal

    @property
    def exemption_reason(self) -> str | None:
        return EXEMPTION_REASON if self.category == "E" else None


@dataclass(frozen=True)
class Content:
    """The facts every format of the credit note states."""

    number: str
    issue_date: str
    currency: str
    voided: bool
    lines: list[DocumentLine]
    breakdown: list[VatGroup]
    net_total: Decimal
    tax_total: Decimal
    grand_total: Decimal


def content(note: CreditNote) -> Content:
    """The credit note's facts, whether or not EN 16931 can express them (the PDF shows them all)."""
    memo = note.memo
    lines = [_document_line(index + 1, line, memo.currency) for index, line in enumerate(memo.lines)]
    groups: dict[tuple[VatCategory, Decimal | None], list[DocumentLine]] = {}
    for line in lines:
        groups.setdefault((line.category, line.rate), []).append(line)
    breakdown = [
        VatGroup(
            category, rate, sum((x.net_amount for x in group), ZERO), sum((x.tax_amount for x in group), ZERO)
        )
        for (category, rate), group in sorted(groups.items(), key=_group_order)
    ]
    net_total = sum((line.net_amount for line in lines), ZERO)
    tax_total = sum((line.tax_amount for line in lines), ZERO)
    return Content(
        number=memo.document_number or memo.id,
        issue_date=(memo.posted_at or memo.effective_date)[:10],
        currency=memo.currency,
        voided=memo.status == "Voided",
        lines=lines,
        breakdown=breakdown,
        net_total=net_total,
        tax_total=tax_total,
        grand_total=net_total + tax_total,
    )


def check_representable(note: CreditNote, facts: Content) -> None:
    """Raise NotRepresentable naming the first thing EN 16931 cannot express exactly."""
    for line in facts.lines:
        for amount in (line.net_amount, line.tax_amount):
            if amount != amount.quantize(Decimal(1).scaleb(-EN16931_DECIMALS)):
                raise NotRepresentable(
                    f"line {line.number}: the amount {amount} {facts.currency} has more than "
                    f"{EN16931_DECIMALS} decimals, which EN 16931 does not allow"
                )
        if line.rate is None:
            raise NotRepresentable(
                f"line {line.number}: its taxes ({line.tax_amount} on {line.net_amount}) agree with no "
                "single VAT rate"
            )
        if line.rate < 0:
            raise NotRepresentable(f"line {line.number}: a negative tax rate ({line.rate} %)")
    for group in facts.breakdown:
        if not _group_consistent(group):
            raise NotRepresentable(
                f"the taxes at {rate_text(group.rate or ZERO)} % ({group.tax} {facts.currency}) are not "
                f"that rate of their lines' net amounts ({group.basis} {facts.currency}) within one "
                f"{facts.currency}, as EN 16931 requires"
            )
    if facts.lines and not note.seller.vat_id:
        raise NotRepresentable("the seller has no VAT identifier, which EN 16931 requires for VAT categories")


def notes(note: CreditNote) -> list[tuple[str | None, str]]:
    """The XML formats' notes (BT-22), each with its UNTDID 4451 subject code: VOIDED, the reason,
    the memo's description."""
    memo = note.memo
    found: list[tuple[str | None, str]] = []
    if memo.status == "Voided":
        why = f": {texts.reason(memo.void_reason_code, 'en')}" if memo.void_reason_code else ""
        found.append(("AAI", f"{VOIDED}{why}. This credit note is void."))
    if memo.reason_code:
        found.append(("ACD", f"Reason: {texts.reason(memo.reason_code, 'en')}"))
    if memo.description:
        found.append(("AAI", xml_text(memo.description)))
    return found


def xml_amount(amount: Decimal, currency: str) -> Decimal:
    """An amount as the XML formats write it: the currency's minor units, at most two decimals."""
    digits = min(minor_units(currency), EN16931_DECIMALS)
    result = amount.quantize(Decimal(1).scaleb(-digits))
    return result + ZERO if result.is_zero() else result


def rate_text(rate: Decimal) -> str:
    """A percentage without trailing zeros or an exponent: 19, 5.5, 0."""
    text = format(rate.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _document_line(number: int, line: CreditMemoLine, currency: str) -> DocumentLine:
    name = line.product_name or line.description or line.product_id or f"Line {number}"
    description = line.description if line.description and line.description != name else None
    category, rate = _category_and_rate(line, currency)
    return DocumentLine(
        number=number,
        name=name,
        description=description,
        product_id=line.product_id,
        net_amount=line.charge_amount,
        tax_amount=line.tax_amount,
        category=category,
        rate=rate,
    )


def _category_and_rate(line: CreditMemoLine, currency: str) -> tuple[VatCategory, Decimal | None]:
    """A line's taxes as one VAT category and rate (docs/documents.md "How taxes map to VAT")."""
    if not line.taxes and line.tax_amount == 0:
        return "E", ZERO
    rates = [tax.tax_rate for tax in line.taxes]
    if rates and all(rate is not None for rate in rates):
        rate: Decimal | None = sum((r for r in rates if r is not None), ZERO)
    elif line.tax_amount == 0:
        rate = ZERO
    else:
        rate = _derived_rate(line.charge_amount, line.tax_amount, currency)
    if rate is not None and rate == 0:
        return "Z", ZERO
    return "S", rate


def _derived_rate(net: Decimal, tax: Decimal, currency: str) -> Decimal | None:
    """The rate with the fewest decimals whose tax on ``net``, rounded to the currency, is ``tax``."""
    if net <= 0:
        return None
    exact = tax / net * HUNDRED
    minor = Decimal(1).scaleb(-minor_units(currency))
    for decimals in range(MAX_DERIVED_RATE_DECIMALS + 1):
        rate = exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
        if (net * rate / HUNDRED).quantize(minor, rounding=ROUND_HALF_UP) == tax:
            return rate
    return None


def _xpath_round(value: Decimal) -> Decimal:
    """XPath's round(): half toward positive infinity, as the EN 16931 rules compute."""
    return (value + Decimal("0.5")).to_integral_value(rounding=ROUND_FLOOR)


def _group_consistent(group: VatGroup) -> bool:
    """The checks of rules BR-S-09, BR-CO-17, BR-Z-09 and BR-E-09 on one breakdown entry."""
    if group.category != "S":
        return group.tax == 0
    rate = group.rate or ZERO
    expected = _xpath_round(group.basis * rate) / HUNDRED
    if _xpath_round(rate) == 0:
        return _xpath_round(group.tax) == 0
    return abs(group.tax - expected) < ONE


def _group_order(item: tuple[tuple[VatCategory, Decimal | None], list[DocumentLine]]) -> tuple[int, Decimal]:
    """Standard rates first, highest first; then zero rated, then exempt."""
    (category, rate), _ = item
    return "SZE".index(category), -(rate if rate is not None else Decimal(-1))
