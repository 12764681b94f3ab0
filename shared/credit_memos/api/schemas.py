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

from credit_memos.money import MAX_ABS_AMOUNT

_DECIMAL_TEXT = re.compile(r"^[+-]?(\d{1,40}(\.\d{0,20})?|\.\d{1,20})$")
_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$"
ID_RE = re.compile(_ID_PATTERN)


def _to_decimal(value: Any) -> Decimal:
    """Accept a JSON string or number as an exact decimal; never through binary float."""
    if isinstance(value, bool):
        raise ValueError("must be a decimal amount, not a boolean")
    if isinstance(value, float):
        # Direct invocation only (Lambda's runtime parses numbers as float); repr is the
        # shortest text that reads back to the same float, i.e. what the caller wrote.
        value = repr(value)
    if isinstance(value, str):
        if not _DECIMAL_TEXT.match(value):
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


_AMOUNT_SCHEMA = {
    "oneOf": [
        {"type": "string", "pattern": r"^[+-]?(\d{1,40}(\.\d{0,20})?|\.\d{1,20})$", "examples": ["120.00"]},
        {"type": "number"},
    ],
    "description": "Decimal amount; at most the currency's minor-unit digits; |amount| < 10^15.",
}
Amount = Annotated[
    Decimal,
    PlainValidator(_to_decimal),
    PlainSerializer(lambda value: f"{value:f}", return_type=str),
    WithJsonSchema(_AMOUNT_SCHEMA),
]


# C0 controls except tab, line feed and carriage return, and DEL (one regex search, not a Python
# loop over every character: a 300-line request has tens of thousands of text characters).
_CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean_text(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    if _CONTROL_CHARACTER.search(value):
        raise ValueError("must not contain control characters")
    return value


Text64 = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_clean_text)]
Text128 = Annotated[str, Field(min_length=1, max_length=128), AfterValidator(_clean_text)]
Text255 = Annotated[str, Field(min_length=1, max_length=255), AfterValidator(_clean_text)]
Text1000 = Annotated[str, Field(min_length=1, max_length=1000), AfterValidator(_clean_text)]


def _check_date(value: str) -> str:
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a calendar date YYYY-MM-DD") from None
    return value


IsoDate = Annotated[
    str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$", examples=["2026-11-25"]), AfterValidator(_check_date)
]
Identifier = Annotated[str, Field(pattern=_ID_PATTERN, examples=["acct-001"])]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["USD"])]

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
    taxAmount: Amount
    taxCode: Text64 | None = None
    taxName: Text64 | None = None
    taxRate: Amount | None = None


class MemoChargeRequest(_Request):
    chargeAmount: Amount
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
    amount: Amount | None = None
    description: Text255 | None = None
    effectiveDate: IsoDate | None = None


class ApplyCreditMemoRequest(_Request):
    applications: list[ApplicationTargetRequest] = Field(min_length=1, max_length=25)


class LineApplicationTargetRequest(_Request):
    invoiceId: Identifier
    invoiceLineId: Identifier
    amount: Amount | None = None
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
    amountToCredit: Amount
    taxes: list[TaxRequest] = Field(default_factory=list, max_length=5)


class CreditInvoiceRequest(_Request):
    taxStrategy: Literal["Ignore", "ManualOverride", "CopyFromInvoiceLine"]
    description: Text1000 | None = None
    effectiveDate: IsoDate | None = None
    invoiceLines: list[CreditInvoiceLineRequest] = Field(min_length=1, max_length=MAX_LINES)


class ConvertNegativeLinesRequest(_Request):
    invoiceLineIds: list[Identifier] | None = Field(None, min_length=1, max_length=MAX_LINES)
    effectiveDate: IsoDate | None = None
    description: Text1000 | None = None
    applyToInvoice: bool = True
