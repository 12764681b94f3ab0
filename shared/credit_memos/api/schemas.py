"""Request models: validation at the edge, the OpenAPI document's request schemas, and the one
conversion of each request into its command (``command()``). Response models are
``credit_memos.views``; the field types are ``credit_memos.api.fields``.

Each ``command()`` imports its group of commands when called: every function imports this
module, and each needs one group (``credit_memos.commands``).
"""

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from credit_memos.commands.applications import (
        ApplyCreditMemo,
        ApplyCreditMemoLine,
        UnapplyCreditMemoApplication,
    )
    from credit_memos.commands.books import ListJournalEntries, ReopenAccountingPeriod
    from credit_memos.commands.conversion import ConvertNegativeInvoiceLines, CreditInvoice
    from credit_memos.commands.invoices import CreateInvoice
    from credit_memos.commands.memos import CreateCreditMemo, VoidCreditMemo
    from credit_memos.commands.payments import RecordInvoicePayment, ReverseInvoicePayment
    from credit_memos.commands.write_offs import WriteOffInvoices

from credit_memos.api.fields import (
    Amount,
    CurrencyCode,
    DocumentNumber,
    Identifier,
    IdText,
    IsoDate,
    LongText,
    NextToken,
    NonNegativeAmount,
    PageLimit,
    PaymentReference,
    PositiveAmount,
    Rate,
    ShortText,
    Text,
)
from credit_memos.domain.documents import (
    InvoiceStatus,
    MemoStatus,
    ReasonCode,
    SettlementLevel,
    TaxStrategy,
    WriteOffReasonCode,
)
from credit_memos.domain.inputs import (
    ApplyTarget,
    CreditLineInput,
    InvoiceLineInput,
    LineApplyTarget,
    MemoChargeInput,
    TaxInput,
)
from credit_memos.limits import (
    MAX_APPLY_TARGETS,
    MAX_LINE_APPLY_TARGETS,
    MAX_LINES,
    MAX_TAXES_PER_LINE,
    MAX_WRITE_OFF_INVOICES,
)


# defer_build: a model's validator is built when it is first used, not at import: a function uses
# two or three of these models, and building them all is a measurable part of a cold start.
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
    invoiceNumber: Text | None = None
    lines: list[InvoiceLineRequest] = Field(min_length=1, max_length=MAX_LINES)

    def command(self) -> "CreateInvoice":
        from credit_memos.commands.invoices import CreateInvoice

        return CreateInvoice(
            billing_account_id=self.billingAccountId,
            currency=self.currency,
            status=self.status,
            settlement_level=self.settlementLevel,
            invoice_date=self.invoiceDate,
            due_date=self.dueDate,
            invoice_number=self.invoiceNumber,
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

    def command(self) -> "CreateCreditMemo":
        from credit_memos.commands.memos import CreateCreditMemo

        return CreateCreditMemo(
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

    def command(self, credit_memo_id: str) -> "VoidCreditMemo":
        from credit_memos.commands.memos import VoidCreditMemo

        return VoidCreditMemo(credit_memo_id, reason_code=self.reasonCode)


class ApplicationTargetRequest(_Request):
    invoiceId: Identifier
    amount: PositiveAmount | None = None
    description: Text | None = None
    effectiveDate: IsoDate | None = None


class ApplyCreditMemoRequest(_Request):
    applications: list[ApplicationTargetRequest] = Field(min_length=1, max_length=MAX_APPLY_TARGETS)

    def command(self, credit_memo_id: str) -> "ApplyCreditMemo":
        from credit_memos.commands.applications import ApplyCreditMemo

        return ApplyCreditMemo(
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

    def command(self, credit_memo_id: str, credit_memo_line_id: str) -> "ApplyCreditMemoLine":
        from credit_memos.commands.applications import ApplyCreditMemoLine

        return ApplyCreditMemoLine(
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
        self, application_id: str, command_type: type["UnapplyCreditMemoApplication"]
    ) -> "UnapplyCreditMemoApplication":

        return command_type(
            application_id=application_id,
            description=self.description,
            effective_date=self.effectiveDate,
            reason_code=self.reasonCode,
        )


class RecordPaymentRequest(_Request):
    amount: PositiveAmount
    paymentReference: PaymentReference
    effectiveDate: IsoDate | None = None
    description: Text | None = None

    def command(self, invoice_id: str) -> "RecordInvoicePayment":
        from credit_memos.commands.payments import RecordInvoicePayment

        return RecordInvoicePayment(
            invoice_id=invoice_id,
            amount=self.amount,
            payment_reference=self.paymentReference,
            effective_date=self.effectiveDate,
            description=self.description,
        )


class ReversePaymentRequest(_Request):
    """An empty body or {} is fine."""

    description: Text | None = None
    reasonCode: ReasonCode | None = None

    def command(self, payment_id: str) -> "ReverseInvoicePayment":
        from credit_memos.commands.payments import ReverseInvoicePayment

        return ReverseInvoicePayment(
            payment_id=payment_id, description=self.description, reason_code=self.reasonCode
        )


class PageQuery(_Request):
    """A history's query parameters, as fields of a direct invocation."""

    limit: PageLimit | None = None
    nextToken: NextToken | None = None


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
    reasonCode: WriteOffReasonCode | None = None
    documentNumber: DocumentNumber | None = None


class GetApplicationQuery(_Request):
    """A direct read of one application record: the level of its route."""

    level: SettlementLevel = "Invoice"


class AccountSummaryQuery(_Request):
    """A direct read of an account's summary."""

    billingAccountId: Identifier


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

    def command(self, invoice_id: str) -> "CreditInvoice":
        from credit_memos.commands.conversion import CreditInvoice

        return CreditInvoice(
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

    def command(self, invoice_id: str) -> "ConvertNegativeInvoiceLines":
        from credit_memos.commands.conversion import ConvertNegativeInvoiceLines

        return ConvertNegativeInvoiceLines(
            invoice_id=invoice_id,
            invoice_line_ids=tuple(self.invoiceLineIds) if self.invoiceLineIds is not None else None,
            apply_to_invoice=self.applyToInvoice,
            description=self.description,
            effective_date=self.effectiveDate,
            reason_code=self.reasonCode,
        )


# ---------------------------------------------------------------- the books (spec section 11)


class ReopenPeriodRequest(_Request):
    reasonCode: ReasonCode
    description: Text | None = None

    def command(self, period: str) -> "ReopenAccountingPeriod":
        from credit_memos.commands.books import ReopenAccountingPeriod

        return ReopenAccountingPeriod(period, self.reasonCode, self.description)


class JournalQuery(_Request):
    """``GET /journal-entries``'s query parameters, as fields of a direct invocation."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True, populate_by_name=True)

    from_: IsoDate = Field(alias="from")
    to: IsoDate
    billingAccountId: Identifier | None = None
    limit: PageLimit | None = None
    nextToken: NextToken | None = None

    def command(self) -> "ListJournalEntries":
        from credit_memos.commands.books import ListJournalEntries

        return ListJournalEntries(self.from_, self.to, self.billingAccountId, self.limit, self.nextToken)


class TrialBalanceQuery(_Request):
    """``GET /trial-balance``'s query parameters, as fields of a direct invocation."""

    asOf: IsoDate | None = None
    currency: CurrencyCode
    billingAccountId: Identifier | None = None


class WriteOffInvoiceRequest(_Request):
    invoiceId: Identifier
    reasonCode: WriteOffReasonCode
    description: LongText | None = None


class WriteOffInvoicesRequest(_Request):
    invoices: list[WriteOffInvoiceRequest] = Field(min_length=1, max_length=MAX_WRITE_OFF_INVOICES)

    def command(self) -> "WriteOffInvoices":
        from credit_memos.commands.write_offs import InvoiceWriteOff, WriteOffInvoices

        return WriteOffInvoices(
            invoices=tuple(InvoiceWriteOff(i.invoiceId, i.reasonCode, i.description) for i in self.invoices)
        )
