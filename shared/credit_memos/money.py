"""Exact decimal money, quantized to ISO 4217 minor units.

The minor units come from ISO's own published table, as the ``iso4217`` package ships it:
``credit_memos.currency_table`` is generated from that package (``python -m infra.currencies``,
checked by a test), so a currency change is a dependency bump and a regeneration, never a hand
edit; the service reads the generated table rather than import the package, which parses its XML
at import (~5 ms of a cold start).
"""

from __future__ import annotations

import decimal
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from credit_memos.currency_table import MINOR_UNITS
from credit_memos.errors import FieldPath, ValidationError
from credit_memos.limits import MAX_ABS_AMOUNT

# Enough precision for 10^15 with any ISO exponent (at most 4) and sums of many lines.
_CONTEXT = decimal.Context(prec=34, rounding=decimal.ROUND_HALF_EVEN, traps=[InvalidOperation])
ZERO = Decimal(0)


@lru_cache(maxsize=512)
def minor_units(currency: str) -> int:
    """Digits after the decimal point for an ISO 4217 currency code.

    Raises ValidationError for unknown codes and for codes without minor units
    (precious metals, testing codes), which cannot carry invoice money.
    """
    if not isinstance(currency, str) or currency not in MINOR_UNITS:
        raise ValidationError(f"unknown currency {currency!r}", field=("currency",))
    exponent = MINOR_UNITS[currency]
    if exponent is None:
        raise ValidationError(
            f"currency {currency} has no minor units and cannot be used for money", field=("currency",)
        )
    return int(exponent)


def money_currencies() -> list[str]:
    """The codes ``minor_units`` accepts, sorted: for the OpenAPI document's enum."""
    return sorted(code for code, exponent in MINOR_UNITS.items() if exponent is not None)


# The most minor-unit digits any of them has (CLF, UYW); a unit test checks it against the table.
MAX_MINOR_UNITS = 4


@lru_cache(maxsize=512)
def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def parse_amount(value: object, currency: str, field: FieldPath = ("amount",)) -> Decimal:
    """Turn a JSON string or number into an exact amount of ``currency``.

    Rejects floats' inexact artefacts by never converting through float: numbers
    arrive from the JSON parser as Decimal or int. Too many digits, non-finite
    values and magnitudes of 10^15 or more are validation errors, never rounded.
    """
    if isinstance(value, bool) or value is None:
        raise ValidationError("must be a decimal amount", field=field)
    if isinstance(value, float):
        # A float has already lost exactness; repr gives the shortest round-trip text.
        value = repr(value)
    try:
        amount = Decimal(value) if isinstance(value, (str, int, Decimal)) else None
    except (InvalidOperation, ValueError):
        amount = None
    if isinstance(value, str) and value.strip() != value:
        amount = None
    if amount is None or not amount.is_finite():
        raise ValidationError("must be a finite decimal amount", field=field)
    if abs(amount) >= MAX_ABS_AMOUNT:
        raise ValidationError("must be less than 10^15 in absolute value", field=field)
    digits = minor_units(currency)
    exponent = amount.as_tuple().exponent
    assert isinstance(exponent, int)
    if -exponent > digits and amount != amount.quantize(quantum(currency), context=_CONTEXT):
        raise ValidationError(f"has more decimal places than {currency} allows ({digits})", field=field)
    # Normalises -0 to 0 and fixes the exponent to the currency's minor units.
    return to_money(amount, currency)


def check_magnitude(amount: Decimal, what: str, field: FieldPath) -> None:
    """A document's total or line total stays below 10^15 in absolute value, like a single amount."""
    if abs(amount) >= MAX_ABS_AMOUNT:
        raise ValidationError(
            f"{what} must be less than 10^15 in absolute value (it is {amount})", field=field
        )


def to_money(amount: Decimal, currency: str) -> Decimal:
    """Quantize an already-exact amount to the currency (no precision is lost)."""
    result = amount.quantize(quantum(currency), context=_CONTEXT)
    return result + ZERO if result.is_zero() else result  # -0.00 -> 0.00


def round_down(amount: Decimal, currency: str) -> Decimal:
    """Round toward zero to minor units: used where rounding up could over-credit."""
    return to_money(
        amount.quantize(quantum(currency), rounding=decimal.ROUND_DOWN, context=_CONTEXT), currency
    )


def format_amount(amount: Decimal, currency: str) -> str:
    """The response form: a string with exactly the currency's minor-unit digits."""
    return f"{to_money(amount, currency):f}"
