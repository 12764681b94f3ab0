"""Request and response models. One source for validation and the OpenAPI document."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
)

from credit_memos.money import MAX_ABS_AMOUNT, MAX_MINOR_UNITS, money_currencies

# ASCII: Python's \d also matches other scripts' digits, which Decimal reads ("\u0661" is 1).
_DECIMAL_TEXT = re.compile(r"^[+-]?(\d{1,40}(\.\d{0,20})?|\.\d{1,20})$", re.ASCII)
_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$"
ID_RE = re.compile(_ID_PATTERN)
# Idempotency-Key: 1 to 255 visible ASCII characters (spec section 3). The header's declaration
# and the check of a direct invocation's idempotencyKey (api/edge.py) both use this pattern.
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
IdempotencyKey = Annotated[str, Field(pattern=IDEMPOTENCY_KEY_PATTERN, min_length=1, max_length=255)]


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
_TEXT_SCHEMA = {"pattern": f"^[^{_CONTROL_CHARACTERS}]*$"}


def _clean_text(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    if _CONTROL_CHARACTER.search(value):
        raise ValueError("must not contain control characters")
    return value


Text64 = Annotated[
    str, Field(min_length=1, max_length=64, json_schema_extra=_TEXT_SCHEMA), AfterValidator(_clean_text)
]
Text128 = Annotated[
    str, Field(min_length=1, max_length=128, json_schema_extra=_TEXT_SCHEMA), AfterValidator(_clean_text)
]
Text255 = Annotated[
    str, Field(min_length=1, max_length=255, json_schema_extra=_TEXT_SCHEMA), AfterValidator(_clean_text)
]
Text1000 = Annotated[
    str, Field(min_length=1, max_length=1000, json_schema_extra=_TEXT_SCHEMA), AfterValidator(_clean_text)
]

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

MAX_LINES = 300


# defer_build: a model's validator is built when it is first used, not at import. A function uses
# two or three of these models (the view models only for the OpenAPI document), and building all
# of them at import was about 15 ms of every cold start (docs/benchmarks.md).
class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, frozen=True, defer_build=True)


class InvoiceLineRequest(_Request):
    chargeAmount: Amount
    taxAmount: Amount = Decimal(0)
    productId: Text128 | None = None
    productName: Text255 | None = None
    description: Text255 | None = None


class CreateInvoiceRequest(_Request):
    billingAccountId: Identifier
    currency: CurrencyCode
    status: Literal["Draft", "Posted"] = "Posted"
    settlementLevel: Literal["Invoice", "InvoiceLine"] | None = None
    invoiceDate: IsoDate | None = None
    dueDate: IsoDate | None = None
    lines: list[InvoiceLineRequest] = Field(min_length=1, max_length=MAX_LINES)


class TaxRequest(_Request):
    taxAmount: NonNegativeAmount
    taxCode: Text64 | None = None
    taxName: Text64 | None = None
    taxRate: Rate | None = None


# The domain's rule (rules.build_memo_line), stated for the document: null counts as absent.
_PRODUCT_ID_OR_NAME: dict[str, Any] = {
    "anyOf": [
        {"required": [name], "properties": {name: {"type": "string"}}}
        for name in ("productId", "productName")
    ],
    "description": "A charge names its product: productId, productName or both.",
}


class MemoChargeRequest(_Request):
    model_config = ConfigDict(json_schema_extra=_PRODUCT_ID_OR_NAME)

    chargeAmount: PositiveAmount
    productId: Text128 | None = None
    productName: Text255 | None = None
    description: Text255 | None = None
    taxes: list[TaxRequest] = Field(default_factory=list, max_length=5)


class CreateCreditMemoRequest(_Request):
    billingAccountId: Identifier
    currency: CurrencyCode
    type: Literal["Posted", "Draft"] = "Posted"
    description: Text1000 | None = None
    effectiveDate: IsoDate | None = None
    externalReference: Text255 | None = None
    charges: list[MemoChargeRequest] = Field(min_length=1, max_length=MAX_LINES)


class EmptyActionRequest(_Request):
    """Post and void take no fields; an empty body or {} is fine."""


class ApplicationTargetRequest(_Request):
    invoiceId: Identifier
    amount: PositiveAmount | None = None
    description: Text255 | None = None
    effectiveDate: IsoDate | None = None


class ApplyCreditMemoRequest(_Request):
    applications: list[ApplicationTargetRequest] = Field(min_length=1, max_length=25)


class LineApplicationTargetRequest(_Request):
    invoiceId: Identifier
    invoiceLineId: Identifier
    amount: PositiveAmount | None = None
    description: Text255 | None = None
    effectiveDate: IsoDate | None = None


class ApplyCreditMemoLineRequest(_Request):
    applications: list[LineApplicationTargetRequest] = Field(min_length=1, max_length=50)


class UnapplyRequest(_Request):
    description: Text255 | None = None
    effectiveDate: IsoDate | None = None


# ---------------------------------------------------------------- responses (OpenAPI)

Money = Annotated[str, Field(examples=["120.00"])]


class ErrorDetail(BaseModel, defer_build=True):
    field: str | None = None
    message: str | None = None


class ErrorResponse(BaseModel, defer_build=True):
    errorCode: str = Field(examples=["INSUFFICIENT_BALANCE"])
    message: str
    details: list[ErrorDetail] | None = None


class InvoiceLineView(BaseModel, defer_build=True):
    id: str
    chargeAmount: Money
    taxAmount: Money
    amountWithTax: Money
    balance: Money
    netCreditsApplied: Money
    convertedNegAmount: Money
    productId: str | None
    productName: str | None
    description: str | None


class InvoiceView(BaseModel, defer_build=True):
    id: str
    billingAccountId: str
    currency: str
    status: Literal["Draft", "Posted"]
    settlementLevel: Literal["Invoice", "InvoiceLine"]
    invoiceDate: str
    dueDate: str | None
    totalChargeAmount: Money
    totalTaxAmount: Money
    totalAmountWithTax: Money
    totalConvertedNegAmount: Money
    netCreditsApplied: Money
    balance: Money
    settlementStatus: Literal["NotSettled", "PartiallySettled", "Settled"]
    lineCount: int
    createdAt: str
    updatedAt: str
    lines: list[InvoiceLineView] | None = Field(None, description="Omitted in list responses.")


class TaxView(BaseModel, defer_build=True):
    taxAmount: Money
    taxCode: str | None
    taxName: str | None
    taxRate: str | None


class CreditMemoLineView(BaseModel, defer_build=True):
    id: str
    type: Literal["Charge", "Adjustment"]
    chargeAmount: Money
    taxAmount: Money
    amountWithTax: Money
    balance: Money
    netCreditsApplied: Money
    referenceInvoiceLineId: str | None
    productId: str | None
    productName: str | None
    description: str | None
    taxes: list[TaxView]


class CreditMemoView(BaseModel, defer_build=True):
    id: str
    billingAccountId: str
    currency: str
    status: Literal["Draft", "Posted", "Voided"]
    sourceAction: Literal["Standalone", "Invoice", "NegativeInvoiceLineConversion"]
    referenceInvoiceId: str | None
    effectiveDate: str
    description: str | None
    externalReference: str | None
    totalChargeAmount: Money
    totalTaxAmount: Money
    totalAmountWithTax: Money
    netCreditsApplied: Money
    balance: Money
    lineCount: int
    createdAt: str
    updatedAt: str
    lines: list[CreditMemoLineView] | None = Field(None, description="Omitted in list responses.")


class ApplicationView(BaseModel, defer_build=True):
    id: str
    level: Literal["Invoice", "InvoiceLine"]
    type: Literal["Applied", "Unapplied"]
    amount: Money
    creditMemoId: str
    invoiceId: str
    creditMemoLineId: str | None = None
    invoiceLineId: str | None = None
    appliedDate: str | None = None
    unappliedDate: str | None = None
    effectiveDate: str
    description: str | None
    hasBeenUnapplied: Literal["Yes", "No", "NA"]
    associatedApplicationId: str | None
    creditMemoBalance: Money
    invoiceBalance: Money
    creditMemoLineBalance: Money | None = None
    invoiceLineBalance: Money | None = None


class ApplicationsResult(BaseModel, defer_build=True):
    creditMemo: CreditMemoView
    applications: list[ApplicationView]


class InvoicePage(BaseModel, defer_build=True):
    items: list[InvoiceView]
    nextToken: str | None


class CreditMemoPage(BaseModel, defer_build=True):
    items: list[CreditMemoView]
    nextToken: str | None


class ApplicationPage(BaseModel, defer_build=True):
    items: list[ApplicationView]
    nextToken: str | None


class ListQuery(_Request):
    """A list's query parameters, as fields of a direct invocation."""

    billingAccountId: Identifier | None = None
    status: Literal["Draft", "Posted", "Voided"] | None = None
    limit: int | None = Field(None, ge=1, le=100)
    nextToken: str | None = Field(None, max_length=2048)


class CreditInvoiceLineRequest(_Request):
    invoiceLineId: Identifier
    amountToCredit: PositiveAmount
    taxes: list[TaxRequest] = Field(default_factory=list, max_length=5)


class CreditInvoiceRequest(_Request):
    taxStrategy: Literal["Ignore", "ManualOverride", "CopyFromInvoiceLine"]
    description: Text1000 | None = None
    effectiveDate: IsoDate | None = None
    invoiceLines: list[CreditInvoiceLineRequest] = Field(min_length=1, max_length=MAX_LINES)


class ConvertNegativeLinesRequest(_Request):
    invoiceLineIds: list[Identifier] | None = Field(
        None, min_length=1, max_length=MAX_LINES, json_schema_extra={"uniqueItems": True}
    )
    effectiveDate: IsoDate | None = None
    description: Text1000 | None = None
    applyToInvoice: bool = True
