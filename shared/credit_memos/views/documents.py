"""The views of invoices and credit memos: one document with its lines, and a page of them."""

from typing import Literal

from pydantic import Field

from credit_memos.domain.documents import (
    ApprovalStatus,
    CreditMemo,
    Invoice,
    InvoiceStatus,
    MemoStatus,
    ReasonCode,
    SettlementLevel,
    SourceAction,
    WriteOffReasonCode,
)
from credit_memos.money import ZERO, format_amount
from credit_memos.views.base import CREATED_BY, Money, View, amounts, copied


class InvoiceLineView(View):
    id: str
    charge_amount: Money
    tax_amount: Money
    amount_with_tax: Money
    balance: Money
    net_credits_applied: Money
    converted_neg_amount: Money
    net_payments_applied: Money = Field(
        description="Unreversed payments on this line (level InvoiceLine; 0 else)."
    )
    credited_amount: Money = Field(
        description="The charge credited from the line by unvoided memos of actions/credit and by its "
        "conversion (negative for a negative line)."
    )
    creditable_amount: Money = Field(
        description="What actions/credit's amountToCredit may still be (0 or more)."
    )
    product_id: str | None
    product_name: str | None
    description: str | None


class InvoiceView(View):
    id: str
    billing_account_id: str
    currency: str
    status: InvoiceStatus
    settlement_level: SettlementLevel
    invoice_date: str
    due_date: str | None
    total_charge_amount: Money
    total_tax_amount: Money
    total_amount_with_tax: Money
    total_converted_neg_amount: Money
    net_credits_applied: Money
    net_payments_applied: Money = Field(description="The sum of the invoice's unreversed payments.")
    balance: Money
    settlement_status: Literal["NotSettled", "PartiallySettled", "Settled"]
    line_count: int
    created_at: str
    updated_at: str
    created_by: str | None = Field(description=CREATED_BY)
    lines: list[InvoiceLineView] | None = Field(None, description="Omitted in list responses.")

    @classmethod
    def of(cls, invoice: Invoice, *, with_lines: bool = True) -> "InvoiceView":
        c = invoice.currency
        fields = copied(
            invoice,
            *("id", "billing_account_id", "currency", "status", "settlement_level", "invoice_date"),
            *("due_date", "settlement_status", "line_count", "created_at", "updated_at", "created_by"),
        ) | amounts(
            invoice,
            c,
            *("total_charge_amount", "total_tax_amount", "total_amount_with_tax", "balance"),
            *("total_converted_neg_amount", "net_credits_applied", "net_payments_applied"),
        )
        if with_lines:
            fields["lines"] = [
                dict(
                    id=line.id,
                    charge_amount=format_amount(line.charge_amount, c),
                    tax_amount=format_amount(line.tax_amount, c),
                    amount_with_tax=format_amount(line.amount_with_tax, c),
                    balance=format_amount(line.balance, c),
                    net_credits_applied=format_amount(line.net_credits_applied, c),
                    converted_neg_amount=format_amount(line.converted_neg_amount, c),
                    net_payments_applied=format_amount(line.payments_applied, c),
                    credited_amount=format_amount(line.credited_amount, c),
                    creditable_amount=format_amount(max(line.left_to_credit, ZERO), c),
                    product_id=line.product_id,
                    product_name=line.product_name,
                    description=line.description,
                )
                for line in invoice.lines
            ]
        return cls(**fields)


class TaxView(View):
    tax_amount: Money
    tax_code: str | None
    tax_name: str | None
    tax_rate: str | None


class CreditMemoLineView(View):
    id: str
    type: Literal["Charge", "Adjustment"]
    charge_amount: Money
    tax_amount: Money
    amount_with_tax: Money
    balance: Money
    net_credits_applied: Money
    net_refunds: Money = Field(description="Unreversed refunds drawn from this line.")
    reference_invoice_line_id: str | None
    product_id: str | None
    product_name: str | None
    description: str | None
    taxes: list[TaxView]


class CreditMemoView(View):
    id: str
    document_number: str | None = Field(
        description="Given when the memo becomes Posted: the deployment's prefix and a gap-free "
        "sequence number (CM-00000001); null for a Draft and for memos posted before numbering.",
        examples=["CM-00000042"],
    )
    billing_account_id: str
    currency: str
    status: MemoStatus
    source_action: SourceAction
    reference_invoice_id: str | None
    effective_date: str
    description: str | None
    external_reference: str | None
    total_charge_amount: Money
    total_tax_amount: Money
    total_amount_with_tax: Money
    net_credits_applied: Money
    net_refunds: Money = Field(description="The sum of the memo's unreversed refunds.")
    balance: Money
    line_count: int
    reason_code: WriteOffReasonCode | None
    void_reason_code: ReasonCode | None
    created_at: str
    updated_at: str
    created_by: str | None = Field(description=CREATED_BY)
    voided_by: str | None = Field(description="Who voided it (as createdBy); null unless Voided.")
    approval_status: ApprovalStatus | None = Field(
        None, description="Whether posting it needs a second person's approval. Omitted in list responses."
    )
    approved_by: str | None = Field(None, description="Who approved it. Omitted in list responses.")
    posted_by: str | None = Field(None, description="Who posted it. Omitted in list responses.")
    posted_at: str | None = Field(None, description="When it was posted. Omitted in list responses.")
    lines: list[CreditMemoLineView] | None = Field(None, description="Omitted in list responses.")

    @classmethod
    def of(
        cls, memo: CreditMemo, *, with_lines: bool = True, with_approval: bool | None = None
    ) -> "CreditMemoView":
        c = memo.currency
        fields = copied(
            memo,
            *("id", "document_number", "billing_account_id", "currency", "status", "source_action"),
            *("reference_invoice_id", "effective_date", "description", "external_reference"),
            *("line_count", "reason_code", "void_reason_code", "created_at", "updated_at"),
            *("created_by", "voided_by"),
        ) | amounts(
            memo,
            c,
            *("total_charge_amount", "total_tax_amount", "total_amount_with_tax", "balance"),
            *("net_credits_applied", "net_refunds"),
        )
        if with_lines if with_approval is None else with_approval:
            # Lists read the list indexes, which do not hold these (as they hold no lines).
            fields |= copied(memo, "approval_status", "approved_by", "posted_by", "posted_at")
        if with_lines:
            fields["lines"] = [
                dict(
                    id=line.id,
                    type=line.type,
                    charge_amount=format_amount(line.charge_amount, c),
                    tax_amount=format_amount(line.tax_amount, c),
                    amount_with_tax=format_amount(line.amount_with_tax, c),
                    balance=format_amount(line.balance, c),
                    net_credits_applied=format_amount(line.net_credits_applied, c),
                    net_refunds=format_amount(line.net_refunds, c),
                    reference_invoice_line_id=line.reference_invoice_line_id,
                    product_id=line.product_id,
                    product_name=line.product_name,
                    description=line.description,
                    taxes=[
                        dict(
                            tax_amount=format_amount(tax.tax_amount, c),
                            tax_code=tax.tax_code,
                            tax_name=tax.tax_name,
                            tax_rate=None if tax.tax_rate is None else f"{tax.tax_rate:f}",
                        )
                        for tax in line.taxes
                    ],
                )
                for line in memo.lines
            ]
        return cls(**fields)


class InvoicePage(View):
    items: list[InvoiceView]
    nextToken: str | None  # the JSON name: the use cases build pages with it


class CreditMemoPage(View):
    items: list[CreditMemoView]
    nextToken: str | None  # the JSON name: the use cases build pages with it
