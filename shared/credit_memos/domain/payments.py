"""Payments received elsewhere, recorded against an invoice, and their reversals (spec section 8).

A payment takes from the invoice's balance like a credit: both are checked against the same
balance, read consistently and written conditional on the invoice's version, so no
interleaving of payments, credits, reversals and unapplies takes it below 0. Every rule
validates first and mutates last, so a rule that raises leaves its arguments as they were.
"""

from __future__ import annotations

from decimal import Decimal

from credit_memos.domain.documents import (
    Invoice,
    InvoicePayment,
    PaymentAllocation,
    PaymentReferenceClaim,
    ReasonCode,
)
from credit_memos.errors import (
    AlreadyReversed,
    DuplicateReference,
    InsufficientBalance,
    InvalidStatus,
    ValidationError,
)
from credit_memos.money import parse_amount


def _allocate(invoice: Invoice, amount: Decimal) -> list[PaymentAllocation]:
    """Spread ``amount`` over the lines with a balance, highest balance first (ties: line order)."""
    allocations: list[PaymentAllocation] = []
    remaining = amount
    for line in sorted((line for line in invoice.lines if line.balance > 0), key=lambda x: -x.balance):
        if remaining == 0:
            break
        step = min(remaining, line.balance)
        allocations.append(PaymentAllocation(line.id, step))
        remaining -= step
    if remaining > 0:  # pragma: no cover - the line balances add up to the invoice's
        raise InsufficientBalance(f"amount {amount} exceeds what the lines of invoice {invoice.id} can take")
    return allocations


def record_payment(
    invoice: Invoice,
    claim: PaymentReferenceClaim | None,
    *,
    amount: Decimal,
    payment_reference: str,
    payment_id: str,
    now: str,
    effective_date: str,
    description: str | None,
) -> tuple[InvoicePayment, PaymentReferenceClaim]:
    """Record a payment against a Posted invoice; returns it and the reference's claim.

    ``claim`` is the reference's claim as read (None if it was never used on this invoice);
    the claim returned holds the new payment and is written in the same transaction.
    """
    if invoice.status != "Posted":
        raise InvalidStatus(
            f"invoice {invoice.id} is {invoice.status}; payments are recorded only on a Posted invoice"
        )
    value = parse_amount(amount, invoice.currency, ("amount",))
    if value <= 0:
        raise ValidationError("must be greater than 0", field=("amount",))
    if claim is not None and claim.payment_id is not None:
        raise DuplicateReference(
            f"payment reference {payment_reference!r} is already used on invoice {invoice.id} "
            f"by payment {claim.payment_id}; reverse that payment first or use another reference"
        )
    if value > invoice.balance:
        raise InsufficientBalance(
            f"amount {value} exceeds the invoice {invoice.id} balance {invoice.balance}"
        )
    allocations = _allocate(invoice, value) if invoice.settlement_level == "InvoiceLine" else []
    for allocation in allocations:
        line = invoice.line(allocation.invoice_line_id)
        assert line is not None
        line.balance -= allocation.amount
        line.net_payments_applied = line.payments_applied + allocation.amount
    invoice.balance -= value
    invoice.net_payments_applied += value
    invoice.updated_at = now
    payment = InvoicePayment(
        id=payment_id,
        type="Payment",
        invoice_id=invoice.id,
        currency=invoice.currency,
        level=invoice.settlement_level,
        amount=value,
        payment_reference=payment_reference,
        effective_date=effective_date,
        created_at=now,
        has_been_reversed="No",
        invoice_balance=invoice.balance,
        line_allocations=allocations,
        description=description,
    )
    if claim is None:
        claim = PaymentReferenceClaim(invoice.id, payment_reference, payment_id)
    else:
        claim.payment_id = payment_id
    return payment, claim


def reverse_payment(
    payment: InvoicePayment,
    invoice: Invoice,
    claim: PaymentReferenceClaim | None,
    *,
    reversal_id: str,
    now: str,
    effective_date: str,
    description: str | None,
    reason_code: ReasonCode | None,
) -> InvoicePayment:
    """Reverse a payment with a new Reversal record; the balances get exactly its amounts back.

    The reference's claim (if this payment holds it) is freed, so the reference can be used again.
    """
    if payment.type != "Payment":
        raise InvalidStatus(f"{payment.id} is a Reversal record and cannot be reversed")
    if payment.has_been_reversed == "Yes":
        raise AlreadyReversed(f"invoice payment {payment.id} has already been reversed")
    for allocation in payment.line_allocations:
        line = invoice.line(allocation.invoice_line_id)
        if line is not None:
            line.balance += allocation.amount
            line.net_payments_applied = line.payments_applied - allocation.amount
    invoice.balance += payment.amount
    invoice.net_payments_applied -= payment.amount
    invoice.updated_at = now
    payment.has_been_reversed = "Yes"
    payment.reversed_at = now
    if claim is not None and claim.payment_id == payment.id:
        claim.payment_id = None
    return InvoicePayment(
        id=reversal_id,
        type="Reversal",
        invoice_id=invoice.id,
        currency=invoice.currency,
        level=payment.level,
        amount=payment.amount,
        payment_reference=payment.payment_reference,
        effective_date=effective_date,
        created_at=now,
        has_been_reversed="NA",
        invoice_balance=invoice.balance,
        line_allocations=[PaymentAllocation(a.invoice_line_id, a.amount) for a in payment.line_allocations],
        associated_payment_id=payment.id,
        description=description,
        reason_code=reason_code,
        reversed_at=now,
    )
