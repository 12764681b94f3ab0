"""Refunds of a credit memo's balance (money paid back outside this service) and their reversals.

A refund takes from the memo's balance like an application: both are checked against the same
balance, read consistently and written conditional on the memo's version, so no interleaving of
refunds, applies, reversals and unapplies takes it below 0. Every rule validates first and
mutates last, so a rule that raises leaves its arguments as they were.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from credit_memos.domain.documents import CreditMemo, ReasonCode, YesNo
from credit_memos.errors import (
    AlreadyReversed,
    DuplicateReference,
    InsufficientBalance,
    InvalidStatus,
    ValidationError,
)
from credit_memos.money import parse_amount

RefundRecordType = Literal["Refund", "Reversal"]


@dataclass
class RefundAllocation:
    """The part of a refund (or of its reversal) drawn from one credit memo line."""

    credit_memo_line_id: str
    amount: Decimal


@dataclass
class CreditMemoRefund:
    """One Refund or Reversal record of a credit memo; one item in storage.

    Append-only like payments: a reversal never edits the refund's amount, it writes a Reversal
    record and flips ``has_been_reversed`` to Yes.
    """

    id: str
    type: RefundRecordType
    credit_memo_id: str
    billing_account_id: str  # the memo's: who may see the record (spec section 9)
    currency: str
    amount: Decimal
    refund_reference: str
    effective_date: str
    created_at: str
    has_been_reversed: YesNo  # Yes|No on a Refund, NA on a Reversal
    credit_memo_balance: Decimal  # the memo's balance right after this record
    line_allocations: list[RefundAllocation] = field(default_factory=list)
    method: str | None = None
    associated_refund_id: str | None = None  # on a Reversal: the refund it reverses
    description: str | None = None
    reason_code: ReasonCode | None = None
    created_by: str | None = None
    # A Refund once reversed: when; a Reversal: its own created_at.
    reversed_at: str | None = None
    # The memo's event sequence number of the write that made it: the list's commit order.
    sequence: int = 0
    version: int = 0


@dataclass
class RefundReferenceClaim:
    """A memo's refund reference, held by its unreversed refund (``refund_id``); freed (None) by
    the refund's reversal. Written conditional on the version read, like a document: two racing
    refunds with one reference cannot both commit."""

    credit_memo_id: str
    reference: str
    refund_id: str | None
    version: int = 0

    @property
    def id(self) -> str:
        return refund_claim_id(self.credit_memo_id, self.reference)


def refund_claim_id(credit_memo_id: str, reference: str) -> str:
    return f"{credit_memo_id}#{reference}"


def _allocate(memo: CreditMemo, amount: Decimal) -> list[RefundAllocation]:
    """Draw ``amount`` from the lines with a balance, highest balance first (ties: line order)."""
    allocations: list[RefundAllocation] = []
    remaining = amount
    for line in sorted((line for line in memo.lines if line.balance > 0), key=lambda x: -x.balance):
        if remaining == 0:
            break
        step = min(remaining, line.balance)
        allocations.append(RefundAllocation(line.id, step))
        remaining -= step
    if remaining > 0:  # pragma: no cover - the line balances add up to the memo's
        raise InsufficientBalance(f"amount {amount} exceeds what the lines of credit memo {memo.id} hold")
    return allocations


def refund(
    memo: CreditMemo,
    claim: RefundReferenceClaim | None,
    *,
    amount: Decimal,
    refund_reference: str,
    refund_id: str,
    now: str,
    effective_date: str,
    method: str | None,
    description: str | None,
    reason_code: ReasonCode | None,
) -> tuple[CreditMemoRefund, RefundReferenceClaim]:
    """Refund part of a Posted memo's balance; returns the record and the reference's claim.

    ``claim`` is the reference's claim as read (None if never used on this memo); the claim
    returned holds the new refund and is written in the same transaction.
    """
    if memo.status != "Posted":
        raise InvalidStatus(f"credit memo {memo.id} is {memo.status}; only a Posted memo can be refunded")
    value = parse_amount(amount, memo.currency, ("amount",))
    if value <= 0:
        raise ValidationError("must be greater than 0", field=("amount",))
    if claim is not None and claim.refund_id is not None:
        raise DuplicateReference(
            f"refund reference {refund_reference!r} is already used on credit memo {memo.id} "
            f"by refund {claim.refund_id}; reverse that refund first or use another reference"
        )
    if value > memo.balance:
        raise InsufficientBalance(f"amount {value} exceeds the credit memo {memo.id} balance {memo.balance}")
    allocations = _allocate(memo, value)
    for allocation in allocations:
        line = memo.line(allocation.credit_memo_line_id)
        assert line is not None
        line.balance -= allocation.amount
        line.net_refunds += allocation.amount
    memo.balance -= value
    memo.net_refunds += value
    memo.updated_at = now
    record = CreditMemoRefund(
        id=refund_id,
        type="Refund",
        credit_memo_id=memo.id,
        billing_account_id=memo.billing_account_id,
        currency=memo.currency,
        amount=value,
        refund_reference=refund_reference,
        effective_date=effective_date,
        created_at=now,
        has_been_reversed="No",
        credit_memo_balance=memo.balance,
        line_allocations=allocations,
        method=method,
        description=description,
        reason_code=reason_code,
    )
    if claim is None:
        claim = RefundReferenceClaim(memo.id, refund_reference, refund_id)
    else:
        claim.refund_id = refund_id
    return record, claim


def reverse_refund(
    record: CreditMemoRefund,
    memo: CreditMemo,
    claim: RefundReferenceClaim | None,
    *,
    reversal_id: str,
    now: str,
    effective_date: str,
    description: str | None,
    reason_code: ReasonCode | None,
) -> CreditMemoRefund:
    """Reverse a refund with a new Reversal record; the memo and its lines get exactly its amounts
    back. The reference's claim (if this refund holds it) is freed for use again."""
    if record.type != "Refund":
        raise InvalidStatus(f"{record.id} is a Reversal record and cannot be reversed")
    if record.has_been_reversed == "Yes":
        raise AlreadyReversed(f"credit memo refund {record.id} has already been reversed")
    for allocation in record.line_allocations:
        line = memo.line(allocation.credit_memo_line_id)
        if line is not None:
            line.balance += allocation.amount
            line.net_refunds -= allocation.amount
    memo.balance += record.amount
    memo.net_refunds -= record.amount
    memo.updated_at = now
    record.has_been_reversed = "Yes"
    record.reversed_at = now
    if claim is not None and claim.refund_id == record.id:
        claim.refund_id = None
    return CreditMemoRefund(
        id=reversal_id,
        type="Reversal",
        credit_memo_id=memo.id,
        billing_account_id=memo.billing_account_id,
        currency=memo.currency,
        amount=record.amount,
        refund_reference=record.refund_reference,
        effective_date=effective_date,
        created_at=now,
        has_been_reversed="NA",
        credit_memo_balance=memo.balance,
        line_allocations=[RefundAllocation(a.credit_memo_line_id, a.amount) for a in record.line_allocations],
        method=record.method,
        associated_refund_id=record.id,
        description=description,
        reason_code=reason_code,
        reversed_at=now,
    )
