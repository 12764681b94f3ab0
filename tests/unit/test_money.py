"""Money: exact decimals quantized to ISO 4217 minor units (spec section 1)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from credit_memos.api.errors import field_name, http_status
from credit_memos.errors import ValidationError
from credit_memos.limits import MAX_ABS_AMOUNT
from credit_memos.money import format_amount, minor_units, parse_amount, round_down, to_money


@pytest.mark.parametrize(("currency", "digits"), [("USD", 2), ("EUR", 2), ("JPY", 0), ("KWD", 3), ("BHD", 3)])
def test_minor_units_follow_iso_4217(currency: str, digits: int) -> None:
    assert minor_units(currency) == digits


@pytest.mark.parametrize("currency", ["XYZ", "usd", "US", "USDX", "", "12A", "XAU", "XTS", None])
def test_unknown_or_moneyless_currency_is_a_validation_error(currency: object) -> None:
    with pytest.raises(ValidationError) as caught:
        minor_units(currency)  # type: ignore[arg-type]
    assert caught.value.error_code == "VALIDATION_ERROR"
    assert http_status(caught.value) == 422
    assert caught.value.field == ("currency",)


def test_parse_amount_with_unknown_currency_is_rejected() -> None:
    with pytest.raises(ValidationError):
        parse_amount("1.00", "XYZ")


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        ("12.5", "USD", "12.50"),
        ("12.50", "USD", "12.50"),
        ("1.000", "USD", "1.00"),  # trailing zeros are not extra precision
        (Decimal("7"), "USD", "7.00"),
        (3, "USD", "3.00"),
        (12.5, "USD", "12.50"),
        ("1E+2", "USD", "100.00"),
        ("1200", "JPY", "1200"),
        ("1200.0", "JPY", "1200"),
        ("1.25", "KWD", "1.250"),
        ("1.250", "KWD", "1.250"),
        ("-100.00", "USD", "-100.00"),
        ("999999999999999.99", "USD", "999999999999999.99"),
        ("-999999999999999", "JPY", "-999999999999999"),
    ],
)
def test_parse_amount_quantizes_to_the_currency(value: object, currency: str, expected: str) -> None:
    amount = parse_amount(value, currency)
    assert amount == Decimal(expected)
    assert format_amount(amount, currency) == expected


@pytest.mark.parametrize(
    ("value", "currency"),
    [
        ("1.001", "USD"),
        ("0.001", "USD"),
        ("1.5", "JPY"),
        ("100.01", "JPY"),
        ("1.2345", "KWD"),
        ("1e-3", "USD"),
    ],
)
def test_too_many_digits_is_rejected_never_rounded(value: str, currency: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_amount(value, currency, ("lines", 0, "charge_amount"))
    assert field_name(caught.value.field) == "lines[0].chargeAmount"
    assert "decimal places" in caught.value.message


@pytest.mark.parametrize(
    "value",
    [
        "NaN",
        "nan",
        "sNaN",
        "Infinity",
        "-Infinity",
        Decimal("NaN"),
        Decimal("Infinity"),
        float("nan"),
        float("inf"),
        "1e400",
        Decimal("1e400"),
        "-1e400",
        str(10**15),
        Decimal(10) ** 15,
        -(Decimal(10) ** 15),
        "1000000000000000.00",
        "abc",
        "",
        " 1.00",
        "1.00 ",
        None,
        True,
        False,
        [],
        {},
    ],
)
def test_non_finite_huge_or_non_numeric_amounts_are_rejected(value: object) -> None:
    with pytest.raises(ValidationError):
        parse_amount(value, "USD")


def test_limit_is_exclusive_at_ten_to_the_fifteen() -> None:
    assert Decimal(10) ** 15 == MAX_ABS_AMOUNT
    assert parse_amount("999999999999999", "JPY") == Decimal("999999999999999")
    with pytest.raises(ValidationError):
        parse_amount("1000000000000000", "JPY")


@pytest.mark.parametrize("value", ["-0", "-0.00", "-0.0", Decimal("-0"), Decimal("-0E+3")])
def test_negative_zero_is_normalised(value: object) -> None:
    amount = parse_amount(value, "USD")
    assert amount == 0
    assert not amount.is_signed()
    assert format_amount(amount, "USD") == "0.00"


def test_to_money_and_format_amount() -> None:
    assert format_amount(Decimal("0"), "USD") == "0.00"
    assert format_amount(Decimal("-0.000"), "KWD") == "0.000"
    assert format_amount(Decimal("5"), "KWD") == "5.000"
    assert format_amount(Decimal("1200"), "JPY") == "1200"
    assert format_amount(Decimal("1.2E+3"), "JPY") == "1200"  # never scientific notation
    assert format_amount(Decimal("123456789012345.67"), "USD") == "123456789012345.67"
    assert not to_money(Decimal("-0.00"), "USD").is_signed()


def test_round_down_never_rounds_up() -> None:
    assert round_down(Decimal("3.339"), "USD") == Decimal("3.33")
    assert round_down(Decimal("-3.339"), "USD") == Decimal("-3.33")
    assert round_down(Decimal("9.9"), "JPY") == Decimal("9")
    assert not round_down(Decimal("-0.001"), "USD").is_signed()
