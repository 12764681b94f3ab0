"""Request models of refunds and their reversals (spec section 10), each with its ``command()``."""

from typing import TYPE_CHECKING

from credit_memos.api.fields import IsoDate, PositiveAmount, RefundMethod, RefundReference, Text
from credit_memos.api.schemas import _Request
from credit_memos.domain.documents import ReasonCode

if TYPE_CHECKING:
    from credit_memos.commands.refunds import RefundCreditMemo, ReverseCreditMemoRefund


class RefundRequest(_Request):
    amount: PositiveAmount
    refundReference: RefundReference
    method: RefundMethod | None = None
    effectiveDate: IsoDate | None = None
    description: Text | None = None
    reasonCode: ReasonCode | None = None

    def command(self, credit_memo_id: str) -> "RefundCreditMemo":
        from credit_memos.commands.refunds import RefundCreditMemo

        return RefundCreditMemo(
            credit_memo_id=credit_memo_id,
            amount=self.amount,
            refund_reference=self.refundReference,
            method=self.method,
            effective_date=self.effectiveDate,
            description=self.description,
            reason_code=self.reasonCode,
        )


class ReverseRefundRequest(_Request):
    """An empty body or {} is fine."""

    description: Text | None = None
    reasonCode: ReasonCode | None = None

    def command(self, refund_id: str) -> "ReverseCreditMemoRefund":
        from credit_memos.commands.refunds import ReverseCreditMemoRefund

        return ReverseCreditMemoRefund(
            refund_id=refund_id, description=self.description, reason_code=self.reasonCode
        )
