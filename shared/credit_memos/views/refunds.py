"""The view of a credit memo's Refund and Reversal records (spec section 10), and their page."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from credit_memos.domain.documents import ReasonCode, YesNo
from credit_memos.domain.refunds import CreditMemoRefund, RefundRecordType
from credit_memos.money import format_amount
from credit_memos.views.base import CREATED_BY, Money, View


class RefundAllocationView(View):
    credit_memo_line_id: str
    amount: Money


class CreditMemoRefundView(View):
    """A Refund or Reversal record of a credit memo."""

    id: str
    type: RefundRecordType
    credit_memo_id: str
    amount: Money
    refund_reference: str
    method: str | None = Field(description="How the money was paid back (e.g. ACH), as given.")
    effective_date: str
    description: str | None
    reason_code: ReasonCode | None
    has_been_reversed: YesNo = Field(description="Yes or No on a Refund, NA on a Reversal.")
    associated_refund_id: str | None = Field(description="On a Reversal: the refund it reverses.")
    line_allocations: list[RefundAllocationView] = Field(
        description="The amount drawn from (or given back to) each memo line, highest balance first."
    )
    credit_memo_balance: Money = Field(description="The memo's balance right after this record.")
    created_at: str
    reversed_at: str | None = Field(description="When the refund was reversed (a Reversal's own time).")
    created_by: str | None = Field(description=CREATED_BY)

    @classmethod
    def of(cls, record: CreditMemoRefund) -> CreditMemoRefundView:
        c = record.currency
        fields: dict[str, Any] = {
            "id": record.id,
            "type": record.type,
            "credit_memo_id": record.credit_memo_id,
            "amount": format_amount(record.amount, c),
            "refund_reference": record.refund_reference,
            "method": record.method,
            "effective_date": record.effective_date,
            "description": record.description,
            "reason_code": record.reason_code,
            "has_been_reversed": record.has_been_reversed,
            "associated_refund_id": record.associated_refund_id,
            "line_allocations": [
                dict(credit_memo_line_id=a.credit_memo_line_id, amount=format_amount(a.amount, c))
                for a in record.line_allocations
            ],
            "credit_memo_balance": format_amount(record.credit_memo_balance, c),
            "created_at": record.created_at,
            "reversed_at": record.reversed_at,
            "created_by": record.created_by,
        }
        return cls(**fields)


class CreditMemoRefundPage(View):
    items: list[CreditMemoRefundView]
    nextToken: str | None  # the JSON name: the use cases build pages with it
