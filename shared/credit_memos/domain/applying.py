"""Moving credit: applying memos to invoices (both levels) and unapplying records.

Every rule validates first and mutates last, so a rule that raises leaves its
arguments as they were; nothing is then written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from credit_memos.domain.documents import (
    ApplicationEntry,
    ApplicationRecord,
    CreditMemo,
    CreditMemoLine,
    Invoice,
    InvoiceLine,
    SettlementLevel,
    record_id,
)
from credit_memos.domain.inputs import LineApplyTarget
from credit_memos.errors import (
    AccountMismatch,
    AlreadyUnapplied,
    CurrencyMismatch,
    FieldPath,
    InsufficientBalance,
    InvalidStatus,
    LevelMismatch,
    NotFound,
    ValidationError,
)
from credit_memos.money import parse_amount


def check_can_move_credit(memo: CreditMemo, invoice: Invoice) -> None:
    """The rules every apply shares: both Posted, same account and currency."""
    if memo.status != "Posted":
        raise InvalidStatus(f"credit memo {memo.id} is {memo.status}; credit moves only from a Posted memo")
    if invoice.status != "Posted":
        raise InvalidStatus(
            f"invoice {invoice.id} is {invoice.status}; credit moves only to a Posted invoice"
        )
    if memo.billing_account_id != invoice.billing_account_id:
        raise AccountMismatch(
            f"credit memo {memo.id} and invoice {invoice.id} belong to different billing accounts"
        )
    if memo.currency != invoice.currency:
        raise CurrencyMismatch(
            f"credit memo {memo.id} is in {memo.currency} but invoice {invoice.id} is in {invoice.currency}"
        )


def requested_amount(amount: Decimal | None, currency: str, field: FieldPath, default: Decimal) -> Decimal:
    if amount is None:
        if default <= 0:
            raise InsufficientBalance("nothing to apply: the credit memo or the invoice has no balance left")
        return default
    value = parse_amount(amount, currency, field)
    if value <= 0:
        raise ValidationError("must be greater than 0", field=field)
    return value


def ensure_within(amount: Decimal, available: Decimal, what: str) -> None:
    if amount > available:
        raise InsufficientBalance(f"amount {amount} exceeds the {what} balance {available}")


@dataclass
class Move:
    """One pending movement of credit; applied only after every check passed."""

    amount: Decimal
    memo_line: CreditMemoLine | None
    invoice_line: InvoiceLine | None
    # A line application's own description and effective date, if it named them.
    description: str | None = None
    effective_date: str | None = None


def commit_moves(
    memo: CreditMemo,
    invoice: Invoice,
    moves: list[Move],
    *,
    level: SettlementLevel,
    entry_id: str,
    now: str,
    effective_date: str,
    description: str | None,
) -> ApplicationEntry:
    records: list[ApplicationRecord] = []
    for index, move in enumerate(moves, start=1):
        memo.balance -= move.amount
        memo.net_credits_applied += move.amount
        invoice.balance -= move.amount
        invoice.net_credits_applied += move.amount
        if move.memo_line is not None:
            move.memo_line.balance -= move.amount
            move.memo_line.net_credits_applied += move.amount
        if move.invoice_line is not None:
            move.invoice_line.balance -= move.amount
            move.invoice_line.net_credits_applied += move.amount
        records.append(
            ApplicationRecord(
                id=record_id(entry_id, index),
                level=level,
                type="Applied",
                amount=move.amount,
                credit_memo_id=memo.id,
                invoice_id=invoice.id,
                credit_memo_line_id=move.memo_line.id if move.memo_line else None,
                invoice_line_id=move.invoice_line.id if move.invoice_line else None,
                effective_date=move.effective_date or effective_date,
                recorded_at=now,
                has_been_unapplied="No",
                credit_memo_balance=memo.balance,
                invoice_balance=invoice.balance,
                credit_memo_line_balance=move.memo_line.balance if move.memo_line else None,
                invoice_line_balance=move.invoice_line.balance if move.invoice_line else None,
                description=move.description if move.description is not None else description,
            )
        )
    memo.updated_at = invoice.updated_at = now
    return ApplicationEntry(
        id=entry_id,
        credit_memo_id=memo.id,
        invoice_id=invoice.id,
        level=level,
        currency=memo.currency,
        created_at=now,
        records=records,
    )


def _spread_over_lines(memo: CreditMemo, invoice: Invoice, amount: Decimal) -> list[Move]:
    """Split ``amount`` across invoice lines and memo lines, highest balance first.

    Each side is ordered once by balance (ties keep document order) and filled in
    that order, so the largest open invoice line is settled first and the largest
    memo line is drawn down first.
    """
    invoice_lines = sorted((line for line in invoice.lines if line.balance > 0), key=lambda x: -x.balance)
    memo_lines = sorted((line for line in memo.lines if line.balance > 0), key=lambda x: -x.balance)
    invoice_left = {line.id: line.balance for line in invoice_lines}
    memo_left = {line.id: line.balance for line in memo_lines}
    moves: list[Move] = []
    remaining = amount
    i = m = 0
    while remaining > 0:
        if i >= len(invoice_lines) or m >= len(memo_lines):
            raise InsufficientBalance(f"amount {amount} exceeds what the lines of the documents can take")
        invoice_line, memo_line = invoice_lines[i], memo_lines[m]
        step = min(remaining, invoice_left[invoice_line.id], memo_left[memo_line.id])
        moves.append(Move(step, memo_line, invoice_line))
        remaining -= step
        invoice_left[invoice_line.id] -= step
        memo_left[memo_line.id] -= step
        if invoice_left[invoice_line.id] == 0:
            i += 1
        if memo_left[memo_line.id] == 0:
            m += 1
    return moves


def apply_credit_memo(
    memo: CreditMemo,
    invoice: Invoice,
    *,
    amount: Decimal | None,
    entry_id: str,
    now: str,
    effective_date: str,
    description: str | None,
    field: FieldPath = ("amount",),
) -> ApplicationEntry:
    """Apply memo credit to an invoice at the invoice's settlement level."""
    check_can_move_credit(memo, invoice)
    value = requested_amount(amount, memo.currency, field, min(memo.balance, invoice.balance))
    ensure_within(value, memo.balance, f"credit memo {memo.id}")
    ensure_within(value, invoice.balance, f"invoice {invoice.id}")
    if invoice.settlement_level == "Invoice":
        moves = [Move(value, None, None)]
    else:
        moves = _spread_over_lines(memo, invoice, value)
    return commit_moves(
        memo,
        invoice,
        moves,
        level=invoice.settlement_level,
        entry_id=entry_id,
        now=now,
        effective_date=effective_date,
        description=description,
    )


def apply_credit_memo_line(
    memo: CreditMemo,
    memo_line_id: str,
    invoice: Invoice,
    targets: Sequence[tuple[int, LineApplyTarget]],
    *,
    entry_id: str,
    now: str,
    effective_date: str,
    description: str | None,
) -> ApplicationEntry:
    """Apply one memo line to lines of one invoice (level InvoiceLine only).

    ``targets`` pairs each request index (for error paths) with its input.
    """
    memo_line = memo.line(memo_line_id)
    if memo_line is None:
        raise NotFound(f"credit memo {memo.id} has no line {memo_line_id}")
    check_can_move_credit(memo, invoice)
    if invoice.settlement_level != "InvoiceLine":
        raise LevelMismatch(
            f"invoice {invoice.id} is settled at level {invoice.settlement_level}; "
            "apply the credit memo to the invoice instead of a memo line to invoice lines"
        )
    memo_left = min(memo.balance, memo_line.balance)
    invoice_left = invoice.balance
    line_left: dict[str, Decimal] = {}
    moves: list[Move] = []
    for index, target in targets:
        invoice_line = invoice.line(target.invoice_line_id)
        if invoice_line is None:
            raise ValidationError(
                f"invoice {invoice.id} has no line {target.invoice_line_id}",
                field=("applications", index, "invoice_line_id"),
            )
        available_line = line_left.get(invoice_line.id, invoice_line.balance)
        default = min(memo_left, invoice_left, available_line)
        value = requested_amount(target.amount, memo.currency, ("applications", index, "amount"), default)
        ensure_within(value, memo_left, f"credit memo line {memo_line.id}")
        ensure_within(value, available_line, f"invoice line {invoice_line.id}")
        ensure_within(value, invoice_left, f"invoice {invoice.id}")
        memo_left -= value
        invoice_left -= value
        line_left[invoice_line.id] = available_line - value
        moves.append(Move(value, memo_line, invoice_line, target.description, target.effective_date))
    return commit_moves(
        memo,
        invoice,
        moves,
        level="InvoiceLine",
        entry_id=entry_id,
        now=now,
        effective_date=effective_date,
        description=description,
    )


def unapply_application(
    entry: ApplicationEntry,
    application_id: str,
    memo: CreditMemo,
    invoice: Invoice,
    *,
    level: SettlementLevel,
    new_entry_id: str,
    now: str,
    effective_date: str,
    description: str | None,
) -> ApplicationEntry:
    """Reverse one Applied record with a new Unapplied record; balances restored exactly."""
    applied = entry.record(application_id)
    if applied is None:
        raise NotFound(f"no credit memo application {application_id}")
    if applied.level != level:
        other = (
            "credit-memo-line-applications" if applied.level == "InvoiceLine" else "credit-memo-applications"
        )
        raise LevelMismatch(
            f"application {application_id} is at level {applied.level}; unapply it via /{other}"
        )
    if applied.type != "Applied":
        raise InvalidStatus(f"application {application_id} is an Unapplied record and cannot be unapplied")
    if applied.has_been_unapplied == "Yes":
        raise AlreadyUnapplied(f"application {application_id} has already been unapplied")
    memo_line = invoice_line = None
    if applied.credit_memo_line_id is not None:
        memo_line = memo.line(applied.credit_memo_line_id)
    if applied.invoice_line_id is not None:
        invoice_line = invoice.line(applied.invoice_line_id)
    amount = applied.amount
    memo.balance += amount
    memo.net_credits_applied -= amount
    invoice.balance += amount
    invoice.net_credits_applied -= amount
    if memo_line is not None:
        memo_line.balance += amount
        memo_line.net_credits_applied -= amount
    if invoice_line is not None:
        invoice_line.balance += amount
        invoice_line.net_credits_applied -= amount
    applied.has_been_unapplied = "Yes"
    applied.unapplied_at = now
    memo.updated_at = invoice.updated_at = now
    unapplied = ApplicationRecord(
        id=record_id(new_entry_id, 1),
        level=applied.level,
        type="Unapplied",
        amount=amount,
        credit_memo_id=memo.id,
        invoice_id=invoice.id,
        credit_memo_line_id=applied.credit_memo_line_id,
        invoice_line_id=applied.invoice_line_id,
        effective_date=effective_date,
        recorded_at=now,
        applied_at=applied.recorded_at,
        has_been_unapplied="NA",
        associated_application_id=applied.id,
        credit_memo_balance=memo.balance,
        invoice_balance=invoice.balance,
        credit_memo_line_balance=memo_line.balance if memo_line else None,
        invoice_line_balance=invoice_line.balance if invoice_line else None,
        description=description,
    )
    return ApplicationEntry(
        id=new_entry_id,
        credit_memo_id=memo.id,
        invoice_id=invoice.id,
        level=applied.level,
        currency=memo.currency,
        created_at=now,
        records=[unapplied],
    )
