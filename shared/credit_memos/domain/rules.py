"""The rules that create documents and move credit between them.

Every function validates first and mutates last, so a rule that raises leaves its
arguments as they were; the service then writes nothing.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from credit_memos.domain.documents import (
    MAX_LINES,
    ApplicationEntry,
    ApplicationRecord,
    CreditMemo,
    CreditMemoLine,
    Invoice,
    InvoiceLine,
    SettlementLevel,
    TaxDetail,
    record_id,
)
from credit_memos.errors import (
    AccountMismatch,
    AlreadyConverted,
    AlreadyUnapplied,
    CurrencyMismatch,
    HasActiveApplications,
    InsufficientBalance,
    InvalidStatus,
    LevelMismatch,
    NotFound,
    ValidationError,
)
from credit_memos.money import ZERO, minor_units, parse_amount, round_down, to_money

IdFactory = Callable[[], str]


# ---------------------------------------------------------------- creation


@dataclass(frozen=True)
class InvoiceLineInput:
    charge_amount: Decimal
    tax_amount: Decimal = ZERO
    product_id: str | None = None
    product_name: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class TaxInput:
    tax_amount: Decimal
    tax_code: str | None = None
    tax_name: str | None = None
    tax_rate: Decimal | None = None


@dataclass(frozen=True)
class MemoChargeInput:
    charge_amount: Decimal
    product_id: str | None = None
    product_name: str | None = None
    description: str | None = None
    taxes: tuple[TaxInput, ...] = ()


def _check_line_count(count: int, field: str) -> None:
    if not 1 <= count <= MAX_LINES:
        raise ValidationError(
            f"{field} must have between 1 and {MAX_LINES} entries", details=[{"field": field}]
        )


def create_invoice(
    *,
    invoice_id: str,
    line_ids: Sequence[str],
    billing_account_id: str,
    currency: str,
    status: str,
    settlement_level: SettlementLevel,
    invoice_date: str,
    due_date: str | None,
    lines: Sequence[InvoiceLineInput],
    now: str,
) -> Invoice:
    minor_units(currency)  # unknown currency -> ValidationError before anything else
    _check_line_count(len(lines), "lines")
    if status not in ("Draft", "Posted"):
        raise ValidationError("status must be Draft or Posted", details=[{"field": "status"}])
    if due_date is not None and due_date < invoice_date:
        raise ValidationError("dueDate must not be before invoiceDate", details=[{"field": "dueDate"}])
    built: list[InvoiceLine] = []
    for index, (line_id, line) in enumerate(zip(line_ids, lines, strict=True)):
        charge = parse_amount(line.charge_amount, currency, f"lines[{index}].chargeAmount")
        tax = parse_amount(line.tax_amount, currency, f"lines[{index}].taxAmount")
        if charge != 0 and tax != 0 and (charge < 0) != (tax < 0):
            raise ValidationError(
                "a line's tax must have the sign of its charge",
                details=[{"field": f"lines[{index}].taxAmount"}],
            )
        with_tax = charge + tax
        built.append(
            InvoiceLine(
                id=line_id,
                charge_amount=charge,
                tax_amount=tax,
                amount_with_tax=with_tax,
                balance=with_tax,
                product_id=line.product_id,
                product_name=line.product_name,
                description=line.description,
            )
        )
    total_charge = sum((line.charge_amount for line in built), ZERO)
    total_tax = sum((line.tax_amount for line in built), ZERO)
    total = total_charge + total_tax
    if total < 0:
        raise ValidationError("an invoice's total may not be negative", details=[{"field": "lines"}])
    return Invoice(
        id=invoice_id,
        billing_account_id=billing_account_id,
        currency=currency,
        status=status,  # type: ignore[arg-type]
        settlement_level=settlement_level,
        invoice_date=invoice_date,
        due_date=due_date,
        lines=built,
        total_charge_amount=to_money(total_charge, currency),
        total_tax_amount=to_money(total_tax, currency),
        total_amount_with_tax=to_money(total, currency),
        balance=to_money(total, currency),
        created_at=now,
        updated_at=now,
    )


def post_invoice(invoice: Invoice, now: str) -> None:
    if invoice.status != "Draft":
        raise InvalidStatus(f"invoice {invoice.id} is {invoice.status}; only a Draft invoice can be posted")
    invoice.status = "Posted"
    invoice.updated_at = now


def build_memo_line(
    *,
    line_id: str,
    currency: str,
    charge: MemoChargeInput,
    field: str,
    reference_invoice_line_id: str | None = None,
) -> CreditMemoLine:
    amount = parse_amount(charge.charge_amount, currency, f"{field}.chargeAmount")
    if amount <= 0:
        raise ValidationError(
            "chargeAmount must be greater than 0", details=[{"field": f"{field}.chargeAmount"}]
        )
    if not (charge.product_id or charge.product_name) and reference_invoice_line_id is None:
        raise ValidationError("each charge needs productId or productName", details=[{"field": field}])
    taxes: list[TaxDetail] = []
    for tax_index, tax in enumerate(charge.taxes):
        tax_field = f"{field}.taxes[{tax_index}].taxAmount"
        tax_amount = parse_amount(tax.tax_amount, currency, tax_field)
        if tax_amount < 0:
            raise ValidationError("taxAmount may not be negative", details=[{"field": tax_field}])
        taxes.append(TaxDetail(tax_amount, tax.tax_code, tax.tax_name, tax.tax_rate))
    total_tax = to_money(sum((t.tax_amount for t in taxes), ZERO), currency)
    with_tax = amount + total_tax
    return CreditMemoLine(
        id=line_id,
        type="Charge",
        charge_amount=amount,
        tax_amount=total_tax,
        amount_with_tax=with_tax,
        balance=with_tax,
        reference_invoice_line_id=reference_invoice_line_id,
        product_id=charge.product_id,
        product_name=charge.product_name,
        description=charge.description,
        taxes=taxes,
    )


def create_credit_memo(
    *,
    memo_id: str,
    billing_account_id: str,
    currency: str,
    status: str,
    effective_date: str,
    description: str | None,
    external_reference: str | None,
    lines: list[CreditMemoLine],
    now: str,
    source_action: str = "Standalone",
    reference_invoice_id: str | None = None,
) -> CreditMemo:
    minor_units(currency)
    _check_line_count(len(lines), "charges")
    if status not in ("Draft", "Posted"):
        raise ValidationError("type must be Posted or Draft", details=[{"field": "type"}])
    total_charge = to_money(sum((line.charge_amount for line in lines), ZERO), currency)
    total_tax = to_money(sum((line.tax_amount for line in lines), ZERO), currency)
    total = total_charge + total_tax
    return CreditMemo(
        id=memo_id,
        billing_account_id=billing_account_id,
        currency=currency,
        status=status,  # type: ignore[arg-type]
        source_action=source_action,  # type: ignore[arg-type]
        reference_invoice_id=reference_invoice_id,
        effective_date=effective_date,
        description=description,
        external_reference=external_reference,
        lines=lines,
        total_charge_amount=total_charge,
        total_tax_amount=total_tax,
        total_amount_with_tax=total,
        balance=total,
        created_at=now,
        updated_at=now,
    )


def post_credit_memo(memo: CreditMemo, now: str) -> None:
    if memo.status != "Draft":
        raise InvalidStatus(f"credit memo {memo.id} is {memo.status}; only a Draft memo can be posted")
    memo.status = "Posted"
    memo.updated_at = now


def void_credit_memo(memo: CreditMemo, now: str, *, source_invoice: Invoice | None = None) -> None:
    """Void a Posted memo with no active applications; its balance goes to 0.

    A memo created from invoice lines (``actions/credit``) gives those lines their
    creditable amounts back, so the same charge can be credited again correctly.
    """
    if memo.status != "Posted":
        raise InvalidStatus(f"credit memo {memo.id} is {memo.status}; only a Posted memo can be voided")
    # net_credits_applied is the sum of active applications, each of which is > 0.
    if memo.net_credits_applied != 0:
        raise HasActiveApplications(
            f"credit memo {memo.id} has active applications totalling "
            f"{memo.net_credits_applied}; unapply them before voiding"
        )
    if memo.source_action == "Invoice":
        if source_invoice is None or source_invoice.id != memo.reference_invoice_id:
            raise NotFound(
                f"invoice {memo.reference_invoice_id} that credit memo {memo.id} credits does not exist"
            )
        for line in memo.lines:
            invoice_line = source_invoice.line(line.reference_invoice_line_id or "")
            if invoice_line is not None:
                invoice_line.credited_charge_amount -= line.charge_amount
                invoice_line.credited_tax_amount -= line.tax_amount
        source_invoice.updated_at = now
    memo.status = "Voided"
    memo.balance = to_money(ZERO, memo.currency)
    for line in memo.lines:
        line.balance = to_money(ZERO, memo.currency)
    memo.updated_at = now


# ---------------------------------------------------------------- applying credit


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


def _requested_amount(amount: Decimal | None, currency: str, field: str, default: Decimal) -> Decimal:
    if amount is None:
        if default <= 0:
            raise InsufficientBalance("nothing to apply: the credit memo or the invoice has no balance left")
        return default
    value = parse_amount(amount, currency, field)
    if value <= 0:
        raise ValidationError("amount must be greater than 0", details=[{"field": field}])
    return value


def _ensure_within(amount: Decimal, available: Decimal, what: str) -> None:
    if amount > available:
        raise InsufficientBalance(f"amount {amount} exceeds the {what} balance {available}")


@dataclass
class _Move:
    """One pending movement of credit; applied only after every check passed."""

    amount: Decimal
    memo_line: CreditMemoLine | None
    invoice_line: InvoiceLine | None
    # A line application's own description and effective date, if it named them.
    description: str | None = None
    effective_date: str | None = None


def _commit_moves(
    memo: CreditMemo,
    invoice: Invoice,
    moves: list[_Move],
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


def _spread_over_lines(memo: CreditMemo, invoice: Invoice, amount: Decimal) -> list[_Move]:
    """Split ``amount`` across invoice lines and memo lines, highest balance first.

    Each side is ordered once by balance (ties keep document order) and filled in
    that order, so the largest open invoice line is settled first and the largest
    memo line is drawn down first.
    """
    invoice_lines = sorted((line for line in invoice.lines if line.balance > 0), key=lambda x: -x.balance)
    memo_lines = sorted((line for line in memo.lines if line.balance > 0), key=lambda x: -x.balance)
    invoice_left = {line.id: line.balance for line in invoice_lines}
    memo_left = {line.id: line.balance for line in memo_lines}
    moves: list[_Move] = []
    remaining = amount
    i = m = 0
    while remaining > 0:
        if i >= len(invoice_lines) or m >= len(memo_lines):
            raise InsufficientBalance(f"amount {amount} exceeds what the lines of the documents can take")
        invoice_line, memo_line = invoice_lines[i], memo_lines[m]
        step = min(remaining, invoice_left[invoice_line.id], memo_left[memo_line.id])
        moves.append(_Move(step, memo_line, invoice_line))
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
    field: str = "amount",
) -> ApplicationEntry:
    """Apply memo credit to an invoice at the invoice's settlement level."""
    check_can_move_credit(memo, invoice)
    value = _requested_amount(amount, memo.currency, field, min(memo.balance, invoice.balance))
    _ensure_within(value, memo.balance, f"credit memo {memo.id}")
    _ensure_within(value, invoice.balance, f"invoice {invoice.id}")
    if invoice.settlement_level == "Invoice":
        moves = [_Move(value, None, None)]
    else:
        moves = _spread_over_lines(memo, invoice, value)
    return _commit_moves(
        memo,
        invoice,
        moves,
        level=invoice.settlement_level,
        entry_id=entry_id,
        now=now,
        effective_date=effective_date,
        description=description,
    )


@dataclass(frozen=True)
class LineApplicationInput:
    invoice_line_id: str
    amount: Decimal | None
    description: str | None = None
    effective_date: str | None = None


def apply_credit_memo_line(
    memo: CreditMemo,
    memo_line_id: str,
    invoice: Invoice,
    targets: Sequence[tuple[int, LineApplicationInput]],
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
    moves: list[_Move] = []
    for index, target in targets:
        invoice_line = invoice.line(target.invoice_line_id)
        if invoice_line is None:
            raise ValidationError(
                f"invoice {invoice.id} has no line {target.invoice_line_id}",
                details=[{"field": f"applications[{index}].invoiceLineId"}],
            )
        available_line = line_left.get(invoice_line.id, invoice_line.balance)
        default = min(memo_left, invoice_left, available_line)
        value = _requested_amount(target.amount, memo.currency, f"applications[{index}].amount", default)
        _ensure_within(value, memo_left, f"credit memo line {memo_line.id}")
        _ensure_within(value, available_line, f"invoice line {invoice_line.id}")
        _ensure_within(value, invoice_left, f"invoice {invoice.id}")
        memo_left -= value
        invoice_left -= value
        line_left[invoice_line.id] = available_line - value
        moves.append(_Move(value, memo_line, invoice_line, target.description, target.effective_date))
    return _commit_moves(
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


# ---------------------------------------------------------------- credit from an invoice

TaxStrategy = str  # "Ignore" | "ManualOverride" | "CopyFromInvoiceLine"


@dataclass(frozen=True)
class CreditLineInput:
    invoice_line_id: str
    amount_to_credit: Decimal
    taxes: tuple[TaxInput, ...] = ()


def _distinct_lines(invoice: Invoice, line_ids: Sequence[str], field: str) -> list[InvoiceLine]:
    seen: set[str] = set()
    lines: list[InvoiceLine] = []
    for index, line_id in enumerate(line_ids):
        line = invoice.line(line_id)
        if line is None:
            raise ValidationError(
                f"invoice {invoice.id} has no line {line_id}", details=[{"field": f"{field}[{index}]"}]
            )
        if line_id in seen:
            raise ValidationError(f"line {line_id} is named twice", details=[{"field": f"{field}[{index}]"}])
        seen.add(line_id)
        lines.append(line)
    return lines


def prorated_tax(line: InvoiceLine, amount_to_credit: Decimal, currency: str) -> Decimal:
    """Tax for crediting ``amount_to_credit`` of ``line``, given what was credited before.

    The cumulative credited tax is round-down(tax x cumulative charge / charge), and
    this credit takes the difference, so partial credits never exceed the line's tax
    and a line credited in full has credited exactly its tax.
    """
    if line.charge_amount <= 0 or line.tax_amount <= 0:
        return to_money(ZERO, currency)
    cumulative_charge = line.credited_charge_amount + amount_to_credit
    # Exact product, truncated quotient: the default 28-digit context rounds the product
    # of large amounts, so a full credit of a 10^11-sized line could miss a cent of tax.
    with decimal.localcontext() as exact:
        exact.prec = 100
        exact.rounding = decimal.ROUND_DOWN
        share = line.tax_amount * cumulative_charge / line.charge_amount
    cumulative_tax = round_down(share, currency)
    return to_money(min(cumulative_tax, line.tax_amount) - line.credited_tax_amount, currency)


def credit_invoice(
    invoice: Invoice,
    credits: Sequence[CreditLineInput],
    *,
    tax_strategy: TaxStrategy,
    memo_id: str,
    memo_line_ids: Sequence[str],
    entry_id: str,
    now: str,
    effective_date: str,
    description: str | None,
) -> tuple[CreditMemo, ApplicationEntry]:
    """Create a Posted memo crediting lines of ``invoice`` and apply it to the invoice."""
    if invoice.status != "Posted":
        raise InvalidStatus(
            f"invoice {invoice.id} is {invoice.status}; only a Posted invoice can be credited"
        )
    _check_line_count(len(credits), "invoiceLines")
    if tax_strategy not in ("Ignore", "ManualOverride", "CopyFromInvoiceLine"):
        raise ValidationError("taxStrategy is not valid", details=[{"field": "taxStrategy"}])
    currency = invoice.currency
    invoice_lines = _distinct_lines(invoice, [c.invoice_line_id for c in credits], "invoiceLines")
    memo_lines: list[CreditMemoLine] = []
    moves: list[_Move] = []
    for index, (credit, invoice_line, memo_line_id) in enumerate(
        zip(credits, invoice_lines, memo_line_ids, strict=False)
    ):
        field = f"invoiceLines[{index}]"
        amount = parse_amount(credit.amount_to_credit, currency, f"{field}.amountToCredit")
        if amount <= 0:
            raise ValidationError(
                "amountToCredit must be greater than 0", details=[{"field": f"{field}.amountToCredit"}]
            )
        creditable = invoice_line.charge_amount - invoice_line.credited_charge_amount
        if amount > creditable:
            raise ValidationError(
                f"amountToCredit {amount} exceeds what line {invoice_line.id} "
                f"has left to credit ({creditable})",
                details=[{"field": f"{field}.amountToCredit"}],
            )
        if tax_strategy != "ManualOverride" and credit.taxes:
            raise ValidationError(
                "taxes may be given only with taxStrategy ManualOverride",
                details=[{"field": f"{field}.taxes"}],
            )
        taxes: tuple[TaxInput, ...]
        if tax_strategy == "CopyFromInvoiceLine":
            tax = prorated_tax(invoice_line, amount, currency)
            taxes = (TaxInput(tax, tax_name="Prorated from invoice line"),) if tax > 0 else ()
        else:
            taxes = credit.taxes
        memo_line = build_memo_line(
            line_id=memo_line_id,
            currency=currency,
            charge=MemoChargeInput(
                amount, invoice_line.product_id, invoice_line.product_name, invoice_line.description, taxes
            ),
            field=field,
            reference_invoice_line_id=invoice_line.id,
        )
        creditable_tax = invoice_line.tax_amount - invoice_line.credited_tax_amount
        if memo_line.tax_amount > max(creditable_tax, ZERO):
            raise ValidationError(
                f"the credited tax {memo_line.tax_amount} exceeds the tax line {invoice_line.id} has left "
                f"to credit ({creditable_tax})",
                details=[{"field": f"{field}.taxes"}],
            )
        if invoice.settlement_level == "InvoiceLine" and memo_line.amount_with_tax > invoice_line.balance:
            raise InsufficientBalance(
                f"the credit with tax {memo_line.amount_with_tax} exceeds the balance {invoice_line.balance} "
                f"of invoice line {invoice_line.id}"
            )
        memo_lines.append(memo_line)
        moves.append(_Move(memo_line.amount_with_tax, memo_line, invoice_line))
    memo = create_credit_memo(
        memo_id=memo_id,
        billing_account_id=invoice.billing_account_id,
        currency=currency,
        status="Posted",
        effective_date=effective_date,
        description=description,
        external_reference=None,
        lines=memo_lines,
        now=now,
        source_action="Invoice",
        reference_invoice_id=invoice.id,
    )
    _ensure_within(memo.total_amount_with_tax, invoice.balance, f"invoice {invoice.id}")
    for move in moves:
        assert move.invoice_line is not None and move.memo_line is not None
        move.invoice_line.credited_charge_amount += move.memo_line.charge_amount
        move.invoice_line.credited_tax_amount += move.memo_line.tax_amount
    if invoice.settlement_level == "Invoice":
        moves = [_Move(memo.total_amount_with_tax, None, None)]
    entry = _commit_moves(
        memo,
        invoice,
        moves,
        level=invoice.settlement_level,
        entry_id=entry_id,
        now=now,
        effective_date=effective_date,
        description=description,
    )
    return memo, entry


# ---------------------------------------------------------------- negative line conversion


def convert_negative_lines(
    invoice: Invoice,
    line_ids: Sequence[str] | None,
    *,
    apply_to_invoice: bool,
    memo_id: str,
    memo_line_ids: Sequence[str],
    entry_id: str,
    now: str,
    effective_date: str,
    description: str | None,
) -> tuple[CreditMemo, ApplicationEntry | None]:
    """Turn negative invoice lines into one Posted memo, optionally applied back."""
    if invoice.status != "Posted":
        raise InvalidStatus(
            f"invoice {invoice.id} is {invoice.status}; only a Posted invoice can be converted"
        )
    if invoice.net_credits_applied != 0:
        raise HasActiveApplications(
            f"invoice {invoice.id} has active credit applications; unapply them before converting lines"
        )
    if line_ids is None:
        negatives = [line for line in invoice.lines if line.is_negative]
        lines = [line for line in negatives if not line.is_converted]
        if not negatives:
            raise ValidationError(
                f"invoice {invoice.id} has no negative lines", details=[{"field": "invoiceLineIds"}]
            )
        if not lines:
            raise AlreadyConverted(f"every negative line of invoice {invoice.id} is already converted")
    else:
        _check_line_count(len(line_ids), "invoiceLineIds")
        lines = _distinct_lines(invoice, line_ids, "invoiceLineIds")
        for index, line in enumerate(lines):
            if not line.is_negative:
                raise ValidationError(
                    f"invoice line {line.id} is not negative", details=[{"field": f"invoiceLineIds[{index}]"}]
                )
            if line.is_converted:
                raise AlreadyConverted(f"invoice line {line.id} is already converted")
    currency = invoice.currency
    memo_lines: list[CreditMemoLine] = []
    for line, memo_line_id in zip(lines, memo_line_ids, strict=False):
        charge, tax = -line.charge_amount, -line.tax_amount
        memo_lines.append(
            CreditMemoLine(
                id=memo_line_id,
                type="Charge",
                charge_amount=charge,
                tax_amount=tax,
                amount_with_tax=charge + tax,
                balance=charge + tax,
                reference_invoice_line_id=line.id,
                product_id=line.product_id,
                product_name=line.product_name,
                description=line.description,
                taxes=[TaxDetail(tax, tax_name="Converted from invoice line")] if tax else [],
            )
        )
        converted = line.amount_with_tax  # negative
        line.converted_neg_amount = converted
        line.balance -= converted
        invoice.total_converted_neg_amount += converted
        invoice.balance -= converted
    invoice.updated_at = now
    memo = create_credit_memo(
        memo_id=memo_id,
        billing_account_id=invoice.billing_account_id,
        currency=currency,
        status="Posted",
        effective_date=effective_date,
        description=description,
        external_reference=None,
        lines=memo_lines,
        now=now,
        source_action="NegativeInvoiceLineConversion",
        reference_invoice_id=invoice.id,
    )
    amount = min(memo.balance, invoice.balance)
    if not apply_to_invoice or amount <= 0:
        return memo, None
    entry = apply_credit_memo(
        memo,
        invoice,
        amount=amount,
        entry_id=entry_id,
        now=now,
        effective_date=effective_date,
        description=description,
    )
    return memo, entry
