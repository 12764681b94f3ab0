"""Refunds of credit memos and their reversals (spec section 10).

Carried out by ``credit_memos.usecases.refunds`` (``Command.use_cases``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from credit_memos.commands.base import Command
from credit_memos.domain.documents import ReasonCode


@dataclass(frozen=True)
class RefundCreditMemo(Command):
    """Refund part of a Posted memo's balance (money paid back outside this service)."""

    operation = "RefundCreditMemo"
    metric = "CreditMemoRefunded"
    role = "Approver"
    credit_memo_id: str
    amount: Decimal
    refund_reference: str
    method: str | None = None
    effective_date: str | None = None
    description: str | None = None
    reason_code: ReasonCode | None = None


@dataclass(frozen=True)
class ReverseCreditMemoRefund(Command):
    """Reverse a refund (the memo's balance is restored)."""

    operation = "ReverseCreditMemoRefund"
    metric = "RefundReversed"
    role = "Approver"
    refund_id: str
    description: str | None = None
    reason_code: ReasonCode | None = None


@dataclass(frozen=True)
class GetCreditMemoRefund(Command):
    """Read one Refund or Reversal record."""

    operation = "GetCreditMemoRefund"
    mutates = False
    refund_id: str


@dataclass(frozen=True)
class ListCreditMemoRefunds(Command):
    """A memo's Refund and Reversal records, oldest first."""

    operation = "ListCreditMemoRefunds"
    mutates = False
    credit_memo_id: str
    limit: int | None = None
    next_token: str | None = None
