"""Request models: validation at the edge, the OpenAPI document's request schemas, and the one
conversion of each request into its command (``command()``). Response models are
``credit_memos.domain.views``."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
)

from credit_memos import commands
from credit_memos.domain.documents import InvoiceStatus, MemoStatus, ReasonCode, SettlementLevel, TaxStrategy
from credit_memos.domain.inputs import (
    ApplyTarget,
    CreditLineInput,
    InvoiceLineInput,
    LineApplyTarget,
    MemoChargeInput,
    TaxInput,
)
from credit_memos.limits import (
    MAX_ABS_AMOUNT,
    MAX_APPLY_TARGETS,
    MAX_ID_TEXT,
    MAX_IDEMPOTENCY_KEY_LENGTH,
    MAX_LINE_APPLY_TARGETS,
    MAX_LINES,
    MAX_LONG_TEXT,
    MAX_PAGE_SIZE,
    MAX_SHORT_TEXT,
    MAX_TAXES_PER_LINE,
    MAX_TEXT,
    MAX_TOKEN_LENGTH,
)
from credit_memos.money import MAX_MINOR_UNITS, money_currencies

# ASCII: Python's \d also matches other scripts' digits, which Decimal reads ("\u0661" is 1).
_DECIMAL_TEXT = re.compile(r"^[+-]?(\d{1,40}(\.\d{0,20})?|\.\d{1,20})$", re.ASCII)
_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$"
ID_RE = re.compile(_ID_PATTERN)
# Idempotency-Key: 1 to 255 visible ASCII characters (spec section 3). The header's declaration
# and the check of a direct invocation's idempotencyKey (api/edge.py) both use this pattern.
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
_TEXT_SCHEMA = {"pattern": f"^[^{_CONTROL_CHARACTERS}]*$"}


def _clean_text(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    if _CONTROL_CHARACTER.search(value):
        raise ValueError("must not contain control characters")
    return value


ShortText = Annotated[
    str,
    Field(min_length=1, max_length=MAX_SHORT_TEXT, json_schema_extra=_TEXT_SCHEMA),
    AfterValidator(_clean_text),
]
IdText = Annotated[
    str,
    Field(min_length=1, max_length=MAX_ID_TEXT, json_schema_extra=_TEXT_SCHEMA),
    AfterValidator(_clean_text),
]
Text = Annotated[
    str, Field(min_length=1, max_length=MAX_TEXT, json_schema_extra=_TEXT_SCHEMA), AfterValidator(_clean_text)
]
LongText = Annotated[
    str,
    Field(min_length=1, max_length=MAX_LONG_TEXT, json_schema_extra=_TEXT_SCHEMA),
    AfterValidator(_clean_text),
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

# A credit memo number as issued (prefix and at least 8 digits); other text finds nothing.
DocumentNumber = Annotated[str, Field(min_length=1, max_length=64, examples=["CM-00000042"])]

PageLimit = Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)]
NextToken = Annotated[str, Field(max_length=MAX_TOKEN_LENGTH)]


# defer_build: a model's validator is built when it is first used, not at import. A function uses
# two or three of these models, and building all of them at import was about 15 ms of every cold
# start (docs/benchmarks.md).
class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, frozen=True, defer_build=True)


class InvoiceLineRequest(_Request):
    chargeAmount: Amount
    taxAmount: Amount = Decimal(0)
    productId: IdText | None = None
    productName: Text | None = None
    description: Text | None = None


class CreateInvoiceRequest(_Request):
    billingAccountId: Identifier
    currency: CurrencyCode
    status: InvoiceStatus = "Posted"
    settlementLevel: SettlementLevel | None = None
    invoiceDate: IsoDate | None = None
    dueDate: IsoDate | None = None
    lines: list[InvoiceLineRequest] = Field(min_length=1, max_length=MAX_LINES)

    def command(self) -> commands.CreateInvoice:
        return commands.CreateInvoice(
            billing_account_id=self.billingAccountId,
            currency=self.currency,
            status=self.status,
            settlement_level=self.settlementLevel,
            invoice_date=self.invoiceDate,
            due_date=self.dueDate,
            lines=tuple(
                InvoiceLineInput(
                    line.chargeAmount, line.taxAmount, line.productId, line.productName, line.description
                )
                for line in self.lines
            ),
        )


class TaxRequest(_Request):
    taxAmount: NonNegativeAmount
    taxCode: ShortText | None = None
    taxName: ShortText | None = None
    taxRate: Rate | None = None

    def input(self) -> TaxInput:
        return TaxInput(self.taxAmount, self.taxCode, self.taxName, self.taxRate)


# The domain's rule (memos.build_memo_line), stated for the document: null counts as absent.
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
    productId: IdText | None = None
    productName: Text | None = None
    description: Text | None = None
    taxes: list[TaxRequest] = Field(default_factory=list, max_length=MAX_TAXES_PER_LINE)


class CreateCreditMemoRequest(_Request):
    billingAccountId: Identifier
    currency: CurrencyCode
    type: InvoiceStatus = "Posted"
    description: LongText | None = None
    effectiveDate: IsoDate | None = None
    externalReference: Text | None = None
    reasonCode: ReasonCode | None = None
    charges: list[MemoChargeRequest] = Field(min_length=1, max_length=MAX_LINES)

    def command(self) -> commands.CreateCreditMemo:
        return commands.CreateCreditMemo(
            billing_account_id=self.billingAccountId,
            currency=self.currency,
            status=self.type,
            description=self.description,
            effective_date=self.effectiveDate,
            external_reference=self.externalReference,
            reason_code=self.reasonCode,
            charges=tuple(
                MemoChargeInput(
                    c.chargeAmount,
                    c.productId,
                    c.productName,
                    c.description,
                    tuple(t.input() for t in c.taxes),
                )
                for c in self.charges
            ),
        )


class EmptyActionRequest(_Request):
    """Post takes no fields; an empty body or {} is fine."""


class VoidRequest(_Request):
    """An empty body or {} is fine."""

    reasonCode: ReasonCode | None = None

    def command(self, credit_memo_id: str) -> commands.VoidCreditMemo:
        return commands.VoidCreditMemo(credit_memo_id, reason_code=self.reasonCode)


class ApplicationTargetRequest(_Request):
    invoiceId: Identifier
    amount: PositiveAmount | None = None
    description: Text | None = None
    effectiveDate: IsoDate | None = None


class ApplyCreditMemoRequest(_Request):
    applications: list[ApplicationTargetRequest] = Field(min_length=1, max_length=MAX_APPLY_TARGETS)

    def command(self, credit_memo_id: str) -> commands.ApplyCreditMemo:
        return commands.ApplyCreditMemo(
            credit_memo_id=credit_memo_id,
            applications=tuple(
                ApplyTarget(t.invoiceId, t.amount, t.description, t.effectiveDate) for t in self.applications
            ),
        )


class LineApplicationTargetRequest(_Request):
    invoiceId: Identifier
    invoiceLineId: Identifier
    amount: PositiveAmount | None = None
    description: Text | None = None
    effectiveDate: IsoDate | None = None


class ApplyCreditMemoLineRequest(_Request):
    applications: list[LineApplicationTargetRequest] = Field(min_length=1, max_length=MAX_LINE_APPLY_TARGETS)

    def command(self, credit_memo_id: str, credit_memo_line_id: str) -> commands.ApplyCreditMemoLine:
        return commands.ApplyCreditMemoLine(
            credit_memo_id=credit_memo_id,
            credit_memo_line_id=credit_memo_line_id,
            applications=tuple(
                LineApplyTarget(t.invoiceId, t.invoiceLineId, t.amount, t.description, t.effectiveDate)
                for t in self.applications
            ),
        )


class UnapplyRequest(_Request):
    description: Text | None = None
    effectiveDate: IsoDate | None = None
    reasonCode: ReasonCode | None = None

    def command(
        self, application_id: str, command_type: type[commands.UnapplyCreditMemoApplication]
    ) -> commands.UnapplyCreditMemoApplication:
        return command_type(
            application_id=application_id,
            description=self.description,
            effective_date=self.effectiveDate,
            reason_code=self.reasonCode,
        )


# ---------------------------------------------------------------- errors (the bodies of every failure)


class ErrorDetail(BaseModel, defer_build=True):
    field: str | None = None
    message: str | None = None


class ErrorResponse(BaseModel, defer_build=True):
    errorCode: str = Field(examples=["INSUFFICIENT_BALANCE"])
    message: str
    details: list[ErrorDetail] | None = None


class ListQuery(_Request):
    """A list's query parameters, as fields of a direct invocation."""

    billingAccountId: Identifier | None = None
    status: MemoStatus | None = None
    limit: PageLimit | None = None
    nextToken: NextToken | None = None
    # Credit memo lists only (the invoice read function refuses them).
    reasonCode: ReasonCode | None = None
    documentNumber: DocumentNumber | None = None


class GetApplicationQuery(_Request):
    """A direct read of one application record: the level of its route."""

    level: SettlementLevel = "Invoice"


class CreditInvoiceLineRequest(_Request):
    invoiceLineId: Identifier
    amountToCredit: PositiveAmount
    taxes: list[TaxRequest] = Field(default_factory=list, max_length=MAX_TAXES_PER_LINE)


class CreditInvoiceRequest(_Request):
    taxStrategy: TaxStrategy
    description: LongText | None = None
    effectiveDate: IsoDate | None = None
    reasonCode: ReasonCode | None = None
    invoiceLines: list[CreditInvoiceLineRequest] = Field(min_length=1, max_length=MAX_LINES)

    def command(self, invoice_id: str) -> commands.CreditInvoice:
        return commands.CreditInvoice(
            invoice_id=invoice_id,
            tax_strategy=self.taxStrategy,
            description=self.description,
            effective_date=self.effectiveDate,
            reason_code=self.reasonCode,
            invoice_lines=tuple(
                CreditLineInput(line.invoiceLineId, line.amountToCredit, tuple(t.input() for t in line.taxes))
                for line in self.invoiceLines
            ),
        )


class ConvertNegativeLinesRequest(_Request):
    invoiceLineIds: list[Identifier] | None = Field(
        None, min_length=1, max_length=MAX_LINES, json_schema_extra={"uniqueItems": True}
    )
    effectiveDate: IsoDate | None = None
    description: LongText | None = None
    applyToInvoice: bool = True
    reasonCode: ReasonCode | None = None

    def command(self, invoice_id: str) -> commands.ConvertNegativeInvoiceLines:
        return commands.ConvertNegativeInvoiceLines(
            invoice_id=invoice_id,
            invoice_line_ids=tuple(self.invoiceLineIds) if self.invoiceLineIds is not None else None,
            apply_to_invoice=self.applyToInvoice,
            description=self.description,
            effective_date=self.effectiveDate,
            reason_code=self.reasonCode,
        )
