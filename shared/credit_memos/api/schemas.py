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
from credit_memos.domain.documents import InvoiceStatus, MemoStatus, SettlementLevel, TaxStrategy
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
    MAX_LINE_APPLY_TARGETS,
    MAX_LINES,
    MAX_LONG_TEXT,
    MAX_PAGE_SIZE,
    MAX_SHORT_TEXT,
    MAX_TAXES_PER_LINE,
    MAX_TEXT,
    MAX_TOKEN_LENGTH,
)

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


ShortText = Annotated[str, Field(min_length=1, max_length=MAX_SHORT_TEXT), AfterValidator(_clean_text)]
IdText = Annotated[str, Field(min_length=1, max_length=MAX_ID_TEXT), AfterValidator(_clean_text)]
Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT), AfterValidator(_clean_text)]
LongText = Annotated[str, Field(min_length=1, max_length=MAX_LONG_TEXT), AfterValidator(_clean_text)]


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
    taxAmount: Amount
    taxCode: ShortText | None = None
    taxName: ShortText | None = None
    taxRate: Amount | None = None

    def input(self) -> TaxInput:
        return TaxInput(self.taxAmount, self.taxCode, self.taxName, self.taxRate)


class MemoChargeRequest(_Request):
    chargeAmount: Amount
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
    charges: list[MemoChargeRequest] = Field(min_length=1, max_length=MAX_LINES)

    def command(self) -> commands.CreateCreditMemo:
        return commands.CreateCreditMemo(
            billing_account_id=self.billingAccountId,
            currency=self.currency,
            status=self.type,
            description=self.description,
            effective_date=self.effectiveDate,
            external_reference=self.externalReference,
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
    """Post and void take no fields; an empty body or {} is fine."""


class ApplicationTargetRequest(_Request):
    invoiceId: Identifier
    amount: Amount | None = None
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
    amount: Amount | None = None
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

    def command(
        self, application_id: str, command_type: type[commands.UnapplyCreditMemoApplication]
    ) -> commands.UnapplyCreditMemoApplication:
        return command_type(
            application_id=application_id, description=self.description, effective_date=self.effectiveDate
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


class CreditInvoiceLineRequest(_Request):
    invoiceLineId: Identifier
    amountToCredit: Amount
    taxes: list[TaxRequest] = Field(default_factory=list, max_length=MAX_TAXES_PER_LINE)


class CreditInvoiceRequest(_Request):
    taxStrategy: TaxStrategy
    description: LongText | None = None
    effectiveDate: IsoDate | None = None
    invoiceLines: list[CreditInvoiceLineRequest] = Field(min_length=1, max_length=MAX_LINES)

    def command(self, invoice_id: str) -> commands.CreditInvoice:
        return commands.CreditInvoice(
            invoice_id=invoice_id,
            tax_strategy=self.taxStrategy,
            description=self.description,
            effective_date=self.effectiveDate,
            invoice_lines=tuple(
                CreditLineInput(line.invoiceLineId, line.amountToCredit, tuple(t.input() for t in line.taxes))
                for line in self.invoiceLines
            ),
        )


class ConvertNegativeLinesRequest(_Request):
    invoiceLineIds: list[Identifier] | None = Field(None, min_length=1, max_length=MAX_LINES)
    effectiveDate: IsoDate | None = None
    description: LongText | None = None
    applyToInvoice: bool = True

    def command(self, invoice_id: str) -> commands.ConvertNegativeInvoiceLines:
        return commands.ConvertNegativeInvoiceLines(
            invoice_id=invoice_id,
            invoice_line_ids=tuple(self.invoiceLineIds) if self.invoiceLineIds is not None else None,
            apply_to_invoice=self.applyToInvoice,
            description=self.description,
            effective_date=self.effectiveDate,
        )
