"""Payments on invoices (spec section 8).

Carried out by ``credit_memos.usecases.payments`` (``Command.use_cases``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from credit_memos.commands.base import Command
from credit_memos.domain.documents import ReasonCode


@dataclass(frozen=True)
class RecordInvoicePayment(Command):
    """Record a payment against an invoice's balance."""

    operation = "RecordInvoicePayment"
    metric = "PaymentRecorded"
    invoice_id: str
    amount: Decimal
    payment_reference: str
    effective_date: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class ReverseInvoicePayment(Command):
    """Reverse a recorded payment (the invoice's balance is restored)."""

    operation = "ReverseInvoicePayment"
    metric = "PaymentReversed"
    payment_id: str
    description: str | None = None
    reason_code: ReasonCode | None = None


@dataclass(frozen=True)
class ListInvoicePayments(Command):
    """An invoice's Payment and Reversal records, oldest first."""

    operation = "ListInvoicePayments"
    mutates = False
    invoice_id: str
    limit: int | None = None
    next_token: str | None = None
