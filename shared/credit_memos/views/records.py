"""The views of records: credit applications (with the memo they changed) and invoice payments."""

from typing import Any

from pydantic import Field

from credit_memos.domain.documents import (
    ApplicationRecord,
    CreditMemo,
    InvoicePayment,
    PaymentRecordType,
    ReasonCode,
    RecordType,
    SettlementLevel,
    WriteOffReasonCode,
    YesNo,
)
from credit_memos.money import format_amount
from credit_memos.views.base import CREATED_BY, Money, View
from credit_memos.views.documents import CreditMemoView


class ApplicationView(View):
    id: str
    level: SettlementLevel
    type: RecordType
    amount: Money
    credit_memo_id: str
    invoice_id: str
    credit_memo_line_id: str | None = None
    invoice_line_id: str | None = None
    applied_date: str | None = Field(
        description="When the credit was applied (of the reversed record, on an Unapplied one)."
    )
    unapplied_date: str | None = Field(
        description="When it was unapplied; null on an Applied record still active."
    )
    effective_date: str
    description: str | None
    reason_code: WriteOffReasonCode | None
    created_by: str | None = Field(description=CREATED_BY)
    has_been_unapplied: YesNo
    associated_application_id: str | None
    credit_memo_balance: Money
    invoice_balance: Money
    credit_memo_line_balance: Money | None = None
    invoice_line_balance: Money | None = None

    @classmethod
    def of(cls, record: ApplicationRecord, currency: str) -> "ApplicationView":
        fields: dict[str, Any] = {
            "id": record.id,
            "level": record.level,
            "type": record.type,
            "amount": format_amount(record.amount, currency),
            "credit_memo_id": record.credit_memo_id,
            "invoice_id": record.invoice_id,
            "applied_date": record.applied_date,
            "unapplied_date": record.unapplied_date,
            "effective_date": record.effective_date,
            "description": record.description,
            "reason_code": record.reason_code,
            "created_by": record.created_by,
            "has_been_unapplied": record.has_been_unapplied,
            "associated_application_id": record.associated_application_id,
            "credit_memo_balance": format_amount(record.credit_memo_balance, currency),
            "invoice_balance": format_amount(record.invoice_balance, currency),
        }
        if record.level == "InvoiceLine":
            assert record.credit_memo_line_balance is not None and record.invoice_line_balance is not None
            fields["credit_memo_line_id"] = record.credit_memo_line_id
            fields["invoice_line_id"] = record.invoice_line_id
            fields["credit_memo_line_balance"] = format_amount(record.credit_memo_line_balance, currency)
            fields["invoice_line_balance"] = format_amount(record.invoice_line_balance, currency)
        return cls(**fields)


class ApplicationsResult(View):
    """A memo after a change and the records the change wrote."""

    credit_memo: CreditMemoView
    applications: list[ApplicationView]

    @classmethod
    def of(cls, memo: CreditMemo, records: list[ApplicationRecord]) -> "ApplicationsResult":
        return cls(
            credit_memo=CreditMemoView.of(memo),
            applications=[ApplicationView.of(r, memo.currency) for r in records],
        )


class ApplicationPage(View):
    items: list[ApplicationView]
    nextToken: str | None  # the JSON name: the use cases build pages with it


class PaymentAllocationView(View):
    invoice_line_id: str
    amount: Money


class InvoicePaymentView(View):
    """A Payment or Reversal record of an invoice (spec section 8)."""

    id: str
    type: PaymentRecordType
    invoice_id: str
    amount: Money
    payment_reference: str
    effective_date: str
    description: str | None
    reason_code: ReasonCode | None = Field(description="A Reversal's reason; null on a Payment.")
    has_been_reversed: YesNo = Field(description="Yes or No on a Payment, NA on a Reversal.")
    associated_payment_id: str | None = Field(description="On a Reversal: the payment it reverses.")
    line_allocations: list[PaymentAllocationView] | None = Field(
        None, description="At level InvoiceLine: the amount on each line (highest balance first)."
    )
    invoice_balance: Money = Field(description="The invoice's balance right after this record.")
    created_at: str
    reversed_at: str | None = Field(description="When the payment was reversed (a Reversal's own time).")
    created_by: str | None = Field(description=CREATED_BY)

    @classmethod
    def of(cls, record: InvoicePayment) -> "InvoicePaymentView":
        c = record.currency
        fields: dict[str, Any] = {
            "id": record.id,
            "type": record.type,
            "invoice_id": record.invoice_id,
            "amount": format_amount(record.amount, c),
            "payment_reference": record.payment_reference,
            "effective_date": record.effective_date,
            "description": record.description,
            "reason_code": record.reason_code,
            "has_been_reversed": record.has_been_reversed,
            "associated_payment_id": record.associated_payment_id,
            "invoice_balance": format_amount(record.invoice_balance, c),
            "created_at": record.created_at,
            "reversed_at": record.reversed_at,
            "created_by": record.created_by,
        }
        if record.level == "InvoiceLine":
            fields["line_allocations"] = [
                dict(invoice_line_id=a.invoice_line_id, amount=format_amount(a.amount, c))
                for a in record.line_allocations
            ]
        return cls(**fields)


class InvoicePaymentPage(View):
    items: list[InvoicePaymentView]
    nextToken: str | None  # the JSON name: the use cases build pages with it
