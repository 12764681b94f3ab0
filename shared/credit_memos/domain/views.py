"""The contract's JSON shape of documents and records (spec section 1): one definition.

These pydantic models are the response bodies of the HTTP API and of direct invocation,
the bodies stored for idempotent replays, the documents carried by domain events, and
the schemas of the OpenAPI document. Each is built from a domain object by its ``of``
classmethod; a field that only some objects have (line-level fields of a record, a
list's omitted lines) is left unset, and ``body()`` leaves unset fields out.
"""

import json
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field

from credit_memos.domain.documents import (
    ApplicationRecord,
    ApprovalStatus,
    CreditMemo,
    Invoice,
    InvoicePayment,
    InvoiceStatus,
    MemoStatus,
    PaymentRecordType,
    ReasonCode,
    RecordType,
    SettlementLevel,
    SourceAction,
    YesNo,
)
from credit_memos.money import format_amount

if TYPE_CHECKING:
    from credit_memos.domain.summary import AccountTotals

Money = Annotated[str, Field(examples=["120.00"])]
_CREATED_BY = (
    "Who did it: the caller's IAM identity (userArn, else caller, else accountId), a direct "
    "invocation's actor or lambda:<function name>, or local; null on records written before."
)


# Made once: ``json.dumps`` with options builds a new encoder per call.
_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def json_text(body: Any) -> str:
    """A body as the API sends it: compact JSON, non-ASCII characters as they are (UTF-8)."""
    return _JSON.encode(body)


class View(BaseModel):
    # defer_build: a model's serializer is built on first use, not at import (cold start).
    model_config = ConfigDict(defer_build=True, frozen=True)

    def body(self) -> dict[str, Any]:
        """The JSON body: what was set, as JSON-ready values."""
        return self.model_dump(mode="json", exclude_unset=True)

    @classmethod
    def trusted(cls, **values: Any) -> Self:
        """``model_construct(**values)`` for the views' shapes (no aliases, no default factories,
        no private attributes): the same object, without pydantic's per-field alias lookups, which
        cost more than the rest of building a view. Values are the domain's own checked ones."""
        fields = _FIELDS.get(cls)
        if fields is None:
            fields = _FIELDS[cls] = _plain_fields(cls)
        data: dict[str, Any] = {}
        for name, required, default in fields:
            if name in values:
                data[name] = values[name]
            elif not required:
                data[name] = default
        given = values.keys() & cls.__pydantic_fields__.keys()
        view = cls.__new__(cls)
        _set(view, "__dict__", data)
        _set(view, "__pydantic_fields_set__", given)
        _set(view, "__pydantic_extra__", None)
        _set(view, "__pydantic_private__", None)
        return view


_set = object.__setattr__
_FIELDS: dict[type[View], tuple[tuple[str, bool, Any], ...]] = {}


def _plain_fields(cls: type[View]) -> tuple[tuple[str, bool, Any], ...]:
    """Each field's (name, required, default), in declaration order (``model_construct``'s order)."""
    fields = []
    for name, info in cls.model_fields.items():
        plain = info.alias is None and info.validation_alias is None and info.default_factory is None
        if not plain or cls.__private_attributes__ or cls.model_config.get("extra") == "allow":
            raise TypeError(f"{cls.__name__}.trusted supports plain fields only ({name})")
        fields.append((name, info.is_required(), info.default))
    return tuple(fields)


class InvoiceLineView(View):
    id: str
    chargeAmount: Money
    taxAmount: Money
    amountWithTax: Money
    balance: Money
    netCreditsApplied: Money
    convertedNegAmount: Money
    netPaymentsApplied: Money = Field(
        description="Unreversed payments on this line (level InvoiceLine; 0 else)."
    )
    productId: str | None
    productName: str | None
    description: str | None


class InvoiceView(View):
    id: str
    billingAccountId: str
    currency: str
    status: InvoiceStatus
    settlementLevel: SettlementLevel
    invoiceDate: str
    dueDate: str | None
    totalChargeAmount: Money
    totalTaxAmount: Money
    totalAmountWithTax: Money
    totalConvertedNegAmount: Money
    netCreditsApplied: Money
    netPaymentsApplied: Money = Field(description="The sum of the invoice's unreversed payments.")
    balance: Money
    settlementStatus: Literal["NotSettled", "PartiallySettled", "Settled"]
    lineCount: int
    createdAt: str
    updatedAt: str
    createdBy: str | None = Field(description=_CREATED_BY)
    lines: list[InvoiceLineView] | None = Field(None, description="Omitted in list responses.")

    @classmethod
    def of(cls, invoice: Invoice, *, with_lines: bool = True) -> "InvoiceView":
        c = invoice.currency
        fields: dict[str, Any] = {
            "id": invoice.id,
            "billingAccountId": invoice.billing_account_id,
            "currency": c,
            "status": invoice.status,
            "settlementLevel": invoice.settlement_level,
            "invoiceDate": invoice.invoice_date,
            "dueDate": invoice.due_date,
            "totalChargeAmount": format_amount(invoice.total_charge_amount, c),
            "totalTaxAmount": format_amount(invoice.total_tax_amount, c),
            "totalAmountWithTax": format_amount(invoice.total_amount_with_tax, c),
            "totalConvertedNegAmount": format_amount(invoice.total_converted_neg_amount, c),
            "netCreditsApplied": format_amount(invoice.net_credits_applied, c),
            "netPaymentsApplied": format_amount(invoice.net_payments_applied, c),
            "balance": format_amount(invoice.balance, c),
            "settlementStatus": invoice.settlement_status,
            "lineCount": invoice.line_count,
            "createdAt": invoice.created_at,
            "updatedAt": invoice.updated_at,
            "createdBy": invoice.created_by,
        }
        if with_lines:
            fields["lines"] = [
                InvoiceLineView.trusted(
                    id=line.id,
                    chargeAmount=format_amount(line.charge_amount, c),
                    taxAmount=format_amount(line.tax_amount, c),
                    amountWithTax=format_amount(line.amount_with_tax, c),
                    balance=format_amount(line.balance, c),
                    netCreditsApplied=format_amount(line.net_credits_applied, c),
                    convertedNegAmount=format_amount(line.converted_neg_amount, c),
                    netPaymentsApplied=format_amount(line.payments_applied, c),
                    productId=line.product_id,
                    productName=line.product_name,
                    description=line.description,
                )
                for line in invoice.lines
            ]
        # Built from the domain's own checked values: validating them again would only cost time.
        return cls.trusted(**fields)


class TaxView(View):
    taxAmount: Money
    taxCode: str | None
    taxName: str | None
    taxRate: str | None


class CreditMemoLineView(View):
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


class CreditMemoView(View):
    id: str
    documentNumber: str | None = Field(
        description="Given when the memo becomes Posted: the deployment's prefix and a gap-free "
        "sequence number (CM-00000001); null for a Draft and for memos posted before numbering.",
        examples=["CM-00000042"],
    )
    billingAccountId: str
    currency: str
    status: MemoStatus
    sourceAction: SourceAction
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
    reasonCode: ReasonCode | None
    voidReasonCode: ReasonCode | None
    createdAt: str
    updatedAt: str
    createdBy: str | None = Field(description=_CREATED_BY)
    voidedBy: str | None = Field(description="Who voided it (as createdBy); null unless Voided.")
    approvalStatus: ApprovalStatus | None = Field(
        None, description="Whether posting it needs a second person's approval. Omitted in list responses."
    )
    approvedBy: str | None = Field(None, description="Who approved it. Omitted in list responses.")
    postedBy: str | None = Field(None, description="Who posted it. Omitted in list responses.")
    postedAt: str | None = Field(None, description="When it was posted. Omitted in list responses.")
    lines: list[CreditMemoLineView] | None = Field(None, description="Omitted in list responses.")

    @classmethod
    def of(cls, memo: CreditMemo, *, with_lines: bool = True) -> "CreditMemoView":
        c = memo.currency
        fields: dict[str, Any] = {
            "id": memo.id,
            "billingAccountId": memo.billing_account_id,
            "currency": c,
            "status": memo.status,
            "sourceAction": memo.source_action,
            "referenceInvoiceId": memo.reference_invoice_id,
            "effectiveDate": memo.effective_date,
            "description": memo.description,
            "externalReference": memo.external_reference,
            "totalChargeAmount": format_amount(memo.total_charge_amount, c),
            "totalTaxAmount": format_amount(memo.total_tax_amount, c),
            "totalAmountWithTax": format_amount(memo.total_amount_with_tax, c),
            "netCreditsApplied": format_amount(memo.net_credits_applied, c),
            "balance": format_amount(memo.balance, c),
            "lineCount": memo.line_count,
            "reasonCode": memo.reason_code,
            "voidReasonCode": memo.void_reason_code,
            "createdAt": memo.created_at,
            "updatedAt": memo.updated_at,
            "createdBy": memo.created_by,
            "voidedBy": memo.voided_by,
            "documentNumber": memo.document_number,
        }
        if with_lines:
            # Lists read the list indexes, which do not hold these (as they hold no lines).
            fields["approvalStatus"] = memo.approval_status
            fields["approvedBy"] = memo.approved_by
            fields["postedBy"] = memo.posted_by
            fields["postedAt"] = memo.posted_at
            fields["lines"] = [
                CreditMemoLineView.trusted(
                    id=line.id,
                    type=line.type,
                    chargeAmount=format_amount(line.charge_amount, c),
                    taxAmount=format_amount(line.tax_amount, c),
                    amountWithTax=format_amount(line.amount_with_tax, c),
                    balance=format_amount(line.balance, c),
                    netCreditsApplied=format_amount(line.net_credits_applied, c),
                    referenceInvoiceLineId=line.reference_invoice_line_id,
                    productId=line.product_id,
                    productName=line.product_name,
                    description=line.description,
                    taxes=[
                        TaxView.trusted(
                            taxAmount=format_amount(tax.tax_amount, c),
                            taxCode=tax.tax_code,
                            taxName=tax.tax_name,
                            taxRate=None if tax.tax_rate is None else f"{tax.tax_rate:f}",
                        )
                        for tax in line.taxes
                    ],
                )
                for line in memo.lines
            ]
        return cls.trusted(**fields)


class ApplicationView(View):
    id: str
    level: SettlementLevel
    type: RecordType
    amount: Money
    creditMemoId: str
    invoiceId: str
    creditMemoLineId: str | None = None
    invoiceLineId: str | None = None
    appliedDate: str | None = Field(
        description="When the credit was applied (of the reversed record, on an Unapplied one)."
    )
    unappliedDate: str | None = Field(
        description="When it was unapplied; null on an Applied record still active."
    )
    effectiveDate: str
    description: str | None
    reasonCode: ReasonCode | None
    createdBy: str | None = Field(description=_CREATED_BY)
    hasBeenUnapplied: YesNo
    associatedApplicationId: str | None
    creditMemoBalance: Money
    invoiceBalance: Money
    creditMemoLineBalance: Money | None = None
    invoiceLineBalance: Money | None = None

    @classmethod
    def of(cls, record: ApplicationRecord, currency: str) -> "ApplicationView":
        fields: dict[str, Any] = {
            "id": record.id,
            "level": record.level,
            "type": record.type,
            "amount": format_amount(record.amount, currency),
            "creditMemoId": record.credit_memo_id,
            "invoiceId": record.invoice_id,
            "appliedDate": record.applied_date,
            "unappliedDate": record.unapplied_date,
            "effectiveDate": record.effective_date,
            "description": record.description,
            "reasonCode": record.reason_code,
            "createdBy": record.created_by,
            "hasBeenUnapplied": record.has_been_unapplied,
            "associatedApplicationId": record.associated_application_id,
            "creditMemoBalance": format_amount(record.credit_memo_balance, currency),
            "invoiceBalance": format_amount(record.invoice_balance, currency),
        }
        if record.level == "InvoiceLine":
            assert record.credit_memo_line_balance is not None and record.invoice_line_balance is not None
            fields["creditMemoLineId"] = record.credit_memo_line_id
            fields["invoiceLineId"] = record.invoice_line_id
            fields["creditMemoLineBalance"] = format_amount(record.credit_memo_line_balance, currency)
            fields["invoiceLineBalance"] = format_amount(record.invoice_line_balance, currency)
        return cls.trusted(**fields)


class ApplicationsResult(View):
    """A memo after a change and the records the change wrote."""

    creditMemo: CreditMemoView
    applications: list[ApplicationView]

    @classmethod
    def of(cls, memo: CreditMemo, records: list[ApplicationRecord]) -> "ApplicationsResult":
        return cls.trusted(
            creditMemo=CreditMemoView.of(memo),
            applications=[ApplicationView.of(r, memo.currency) for r in records],
        )


class PaymentAllocationView(View):
    invoiceLineId: str
    amount: Money


class InvoicePaymentView(View):
    """A Payment or Reversal record of an invoice (spec section 8)."""

    id: str
    type: PaymentRecordType
    invoiceId: str
    amount: Money
    paymentReference: str
    effectiveDate: str
    description: str | None
    reasonCode: ReasonCode | None = Field(description="A Reversal's reason; null on a Payment.")
    hasBeenReversed: YesNo = Field(description="Yes or No on a Payment, NA on a Reversal.")
    associatedPaymentId: str | None = Field(description="On a Reversal: the payment it reverses.")
    lineAllocations: list[PaymentAllocationView] | None = Field(
        None, description="At level InvoiceLine: the amount on each line (highest balance first)."
    )
    invoiceBalance: Money = Field(description="The invoice's balance right after this record.")
    createdAt: str
    reversedAt: str | None = Field(description="When the payment was reversed (a Reversal's own time).")
    createdBy: str | None = Field(description=_CREATED_BY)

    @classmethod
    def of(cls, record: InvoicePayment) -> "InvoicePaymentView":
        c = record.currency
        fields: dict[str, Any] = {
            "id": record.id,
            "type": record.type,
            "invoiceId": record.invoice_id,
            "amount": format_amount(record.amount, c),
            "paymentReference": record.payment_reference,
            "effectiveDate": record.effective_date,
            "description": record.description,
            "reasonCode": record.reason_code,
            "hasBeenReversed": record.has_been_reversed,
            "associatedPaymentId": record.associated_payment_id,
            "invoiceBalance": format_amount(record.invoice_balance, c),
            "createdAt": record.created_at,
            "reversedAt": record.reversed_at,
            "createdBy": record.created_by,
        }
        if record.level == "InvoiceLine":
            fields["lineAllocations"] = [
                PaymentAllocationView.trusted(
                    invoiceLineId=a.invoice_line_id, amount=format_amount(a.amount, c)
                )
                for a in record.line_allocations
            ]
        return cls.trusted(**fields)


class InvoicePage(View):
    items: list[InvoiceView]
    nextToken: str | None


class CreditMemoPage(View):
    items: list[CreditMemoView]
    nextToken: str | None


class ApplicationPage(View):
    items: list[ApplicationView]
    nextToken: str | None


class CurrencySummaryView(View):
    currency: str
    openCredit: Money = Field(description="Σ balances of the account's Posted credit memos.")
    openReceivable: Money = Field(description="Σ balances of the account's Posted invoices.")
    postedMemoCount: int = Field(description="Posted credit memos (with or without a balance left).")
    openInvoiceCount: int = Field(description="Posted invoices whose balance is above 0.")


class AccountSummaryView(View):
    billingAccountId: str
    currencies: list[CurrencySummaryView] = Field(
        description="One entry per currency the account has something open or posted in, by code; "
        "[] for an account with no such document."
    )
    asOf: str | None = Field(
        description="Commit time (UTC) of the newest document change the summary includes; null "
        "if it includes none. The summary is kept from the table's stream and lags the writes by "
        "a few seconds: a change committed after asOf, or still in flight before it, may be missing.",
        examples=["2026-01-31T12:00:00.000Z"],
    )

    @classmethod
    def of(cls, totals: "AccountTotals") -> "AccountSummaryView":
        return cls.trusted(
            billingAccountId=totals.billing_account_id,
            currencies=[
                CurrencySummaryView.trusted(
                    currency=currency,
                    openCredit=format_amount(amounts.open_credit, currency),
                    openReceivable=format_amount(amounts.open_receivable, currency),
                    postedMemoCount=amounts.posted_memo_count,
                    openInvoiceCount=amounts.open_invoice_count,
                )
                for currency, amounts in totals.listed
            ],
            asOf=totals.as_of,
        )


class InvoicePaymentPage(View):
    items: list[InvoicePaymentView]
    nextToken: str | None
