"""The field types of the request models: amounts, text, dates, ids, currencies, keys.

Each states in its JSON schema what its validator enforces, so the OpenAPI document says
what the service checks (spec section 6)."""

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    Field,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
)

from credit_memos.domain.periods import PERIOD_RE
from credit_memos.limits import (
    MAX_ABS_AMOUNT,
    MAX_ID_TEXT,
    MAX_IDEMPOTENCY_KEY_LENGTH,
    MAX_LONG_TEXT,
    MAX_PAGE_SIZE,
    MAX_PAYMENT_REFERENCE,
    MAX_REFUND_METHOD,
    MAX_REFUND_REFERENCE,
    MAX_SHORT_TEXT,
    MAX_TEXT,
    MAX_TOKEN_LENGTH,
)
from credit_memos.money import MAX_MINOR_UNITS, money_currencies

# ASCII: Python's \d also matches other scripts' digits, which Decimal reads ("\u0661" is 1).
_DECIMAL_TEXT = re.compile(r"^[+-]?(\d{1,40}(\.\d{0,20})?|\.\d{1,20})$", re.ASCII)
_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$"
ID_RE = re.compile(_ID_PATTERN)
# Idempotency-Key: 1 to 255 visible ASCII characters (spec section 3). The header's declaration
# and the check of a direct invocation's idempotencyKey (api/direct_invocation.py) both use this pattern.
IDEMPOTENCY_KEY_PATTERN = rf"^[\x21-\x7e]{{1,{MAX_IDEMPOTENCY_KEY_LENGTH}}}$"
IdempotencyKey = Annotated[
    str, Field(pattern=IDEMPOTENCY_KEY_PATTERN, min_length=1, max_length=MAX_IDEMPOTENCY_KEY_LENGTH)
]


def _to_decimal(value: Any) -> Decimal:
    """Accept a JSON string or number as an exact decimal; never through binary float."""
    if isinstance(value, bool):
        raise ValueError("must be a decimal amount, not a boolean")
    if isinstance(value, float):
        # Direct invocation only (Lambda's runtime parses numbers as float); repr is the
        # shortest text that reads back to the same float, i.e. what the caller wrote.
        value = repr(value)
    if isinstance(value, str):
        if not _DECIMAL_TEXT.fullmatch(value):  # fullmatch: "$" alone lets "1.5\n" through
            raise ValueError('must be a decimal number such as "12.50"')
        value = Decimal(value)
    if isinstance(value, int):
        value = Decimal(value)
    if not isinstance(value, Decimal):
        raise ValueError("must be a decimal amount")
    try:
        if not value.is_finite() or abs(value) >= MAX_ABS_AMOUNT:
            raise ValueError("must be finite and less than 10^15 in absolute value")
    except InvalidOperation:
        raise ValueError("must be a decimal amount") from None
    return value


# The documented forms of an amount state what the service checks, as far as JSON Schema can:
# the text form (at most 40 integer digits and 20 decimals), |amount| < 10^15 (at most 15
# integer digits after leading zeros) and no significant decimal beyond the MAX_MINOR_UNITS
# that any currency has. What depends on the currency field (JPY takes none, USD two) is in the
# description only. The text patterns allow at most 25 leading zeros, which the service would
# also accept beyond; a document slightly stricter than the service misleads no client.
_SIGNIFICANT_DECIMALS = rf"\d{{0,{MAX_MINOR_UNITS}}}0{{0,{20 - MAX_MINOR_UNITS}}}"
_NONZERO_DECIMALS = (  # a nonzero digit among the first MAX_MINOR_UNITS decimals
    "(?:"
    + "|".join(
        "0" * zeros
        + "[1-9]"
        + (rf"\d{{0,{MAX_MINOR_UNITS - zeros - 1}}}" if zeros < MAX_MINOR_UNITS - 1 else "")
        for zeros in range(MAX_MINOR_UNITS)
    )
    + rf")0{{0,{20 - MAX_MINOR_UNITS}}}"
)
_INTEGER_PART = r"0{0,25}\d{1,15}"  # < 10^15
_UNSIGNED_MONEY = (
    rf"(?:{_INTEGER_PART}(?:\.{_SIGNIFICANT_DECIMALS})?"
    rf"|\.\d{{1,{MAX_MINOR_UNITS}}}0{{0,{20 - MAX_MINOR_UNITS}}})"
)
_MONEY_PATTERNS = {
    "any": rf"^[+-]?{_UNSIGNED_MONEY}$",
    "nonnegative": rf"^\+?{_UNSIGNED_MONEY}$",
    "positive": (
        rf"^\+?(?:0{{0,25}}[1-9]\d{{0,14}}(?:\.{_SIGNIFICANT_DECIMALS})?"
        rf"|0{{0,40}}\.{_NONZERO_DECIMALS})$"
    ),
}
_MONEY_NUMBERS: dict[str, dict[str, Any]] = {
    "any": {"exclusiveMinimum": -1e15, "exclusiveMaximum": 1e15},
    "nonnegative": {"minimum": 0, "exclusiveMaximum": 1e15},
    "positive": {"exclusiveMinimum": 0, "exclusiveMaximum": 1e15},
}
_MONEY_WORDS = {"any": "", "nonnegative": "; at least 0", "positive": "; greater than 0"}


def _amount_schema(sign: str) -> dict[str, Any]:
    return {
        "oneOf": [
            {"type": "string", "pattern": _MONEY_PATTERNS[sign], "examples": ["120.00"]},
            {"type": "number", **_MONEY_NUMBERS[sign]},
        ],
        "description": "Decimal amount as a string or number; |amount| < 10^15"
        + _MONEY_WORDS[sign]
        + "; at most the currency's minor-unit digits (ISO 4217: JPY 0, USD 2, KWD 3), which "
        "depends on the currency and is checked by the service (422 VALIDATION_ERROR).",
    }


_READ_DECIMAL = PlainValidator(_to_decimal)
_WRITE_DECIMAL = PlainSerializer(lambda value: f"{value:f}", return_type=str)
# Every amount is read by the same validator; the sign rules are the domain's (rules.py), and the
# document states them where they apply.
Amount = Annotated[Decimal, _READ_DECIMAL, _WRITE_DECIMAL, WithJsonSchema(_amount_schema("any"))]
NonNegativeAmount = Annotated[
    Decimal, _READ_DECIMAL, _WRITE_DECIMAL, WithJsonSchema(_amount_schema("nonnegative"))
]
PositiveAmount = Annotated[Decimal, _READ_DECIMAL, _WRITE_DECIMAL, WithJsonSchema(_amount_schema("positive"))]
# A tax rate is a decimal, not money of a currency: any text form the validator reads.
_RATE_SCHEMA = {
    "oneOf": [
        {"type": "string", "pattern": rf"^[+-]?(?:{_INTEGER_PART}(?:\.\d{{0,20}})?|\.\d{{1,20}})$"},
        {"type": "number", "exclusiveMinimum": -1e15, "exclusiveMaximum": 1e15},
    ],
    "description": "Decimal rate as a string or number; |rate| < 10^15.",
}
Rate = Annotated[Decimal, _READ_DECIMAL, _WRITE_DECIMAL, WithJsonSchema(_RATE_SCHEMA)]


# C0 controls except tab, line feed and carriage return, and DEL (one regex search, not a Python
# loop over every character: a 300-line request has tens of thousands of text characters).
_CONTROL_CHARACTERS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
_CONTROL_CHARACTER = re.compile(f"[{_CONTROL_CHARACTERS}]")
# The same rule, for the OpenAPI document only (validation keeps _clean_text's clearer message).
_TEXT_SCHEMA: dict[str, Any] = {"pattern": f"^[^{_CONTROL_CHARACTERS}]*$"}


def _clean_text(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    if _CONTROL_CHARACTER.search(value):
        raise ValueError("must not contain control characters")
    return value


def _text(max_length: int) -> Any:
    """Text of 1 to ``max_length`` characters, without control characters."""
    schema = Field(min_length=1, max_length=max_length, json_schema_extra=_TEXT_SCHEMA)
    return Annotated[str, schema, AfterValidator(_clean_text)]


ShortText = _text(MAX_SHORT_TEXT)
IdText = _text(MAX_ID_TEXT)
Text = _text(MAX_TEXT)
PaymentReference = _text(MAX_PAYMENT_REFERENCE)
RefundReference = _text(MAX_REFUND_REFERENCE)
RefundMethod = _text(MAX_REFUND_METHOD)
LongText = _text(MAX_LONG_TEXT)

_DATE_SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
# The calendar dates _check_date accepts, as one regex for the document (a unit test compares
# the two): years 0001-9999, each month's days, 29 February in leap years only.
_YEAR = r"(?:[1-9]\d{3}|0[1-9]\d{2}|00[1-9]\d|000[1-9])"
_MONTH_DAY = r"(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
_LEAP_YEAR = r"(?:\d{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
DATE_PATTERN = rf"^(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)$"


def _check_date(value: str) -> str:
    try:
        if not _DATE_SHAPE.match(value):
            raise ValueError
        date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a calendar date YYYY-MM-DD") from None
    return value


IsoDate = Annotated[
    str,
    Field(examples=["2026-11-25"], json_schema_extra={"format": "date", "pattern": DATE_PATTERN}),
    AfterValidator(_check_date),
]
Identifier = Annotated[str, Field(pattern=_ID_PATTERN, examples=["acct-001"])]


def _currency_schema(schema: dict[str, Any]) -> None:
    # Evaluated only when the document is generated: the table is not read on a request's path.
    schema["enum"] = money_currencies()
    schema["description"] = "An ISO 4217 code with minor units (not XAU, XTS, ...)."


CurrencyCode = Annotated[
    str, Field(pattern=r"^[A-Z]{3}$", examples=["USD"], json_schema_extra=_currency_schema)
]

# An accounting period: a month (the domain's rule, stated for the document).
AccountingPeriodId = Annotated[str, Field(pattern=PERIOD_RE.pattern, examples=["2026-11"])]

# A credit memo number as issued (prefix and at least 8 digits); other text finds nothing.
DocumentNumber = Annotated[str, Field(min_length=1, max_length=64, examples=["CM-00000042"])]

PageLimit = Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)]
NextToken = Annotated[str, Field(max_length=MAX_TOKEN_LENGTH)]


def _assigned_country(code: str) -> str:
    from credit_memos.country_table import COUNTRIES

    if code not in COUNTRIES:
        raise ValueError("must be an ISO 3166-1 alpha-2 country code")
    return code


def _country_schema(schema: dict[str, Any]) -> None:
    # Evaluated only when the document is generated: the table is not read on a request's path.
    from credit_memos.country_table import COUNTRIES

    schema["enum"] = sorted(COUNTRIES)
    schema["description"] = "An ISO 3166-1 alpha-2 code (one ISO has assigned)."


# ISO 3166-1 alpha-2, upper case; a code ISO has not assigned is refused too (country_table).
CountryCode = Annotated[
    str,
    Field(pattern=r"^[A-Z]{2}$", examples=["DE"], json_schema_extra=_country_schema),
    AfterValidator(_assigned_country),
]


# An address as RFC 5322 writes it, checked only for its shape (one @, no spaces).
EmailAddress = Annotated[
    str, Field(min_length=3, max_length=MAX_TEXT, pattern=r"^[^@\s]+@[^@\s]+$", examples=["ap@example.com"])
]
