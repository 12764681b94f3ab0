"""Credit memos made from an invoice's lines (``actions/credit``), created and applied at once.

Every rule validates first and mutates last, so a rule that raises leaves its
arguments as they were; nothing is then written.
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from decimal import Decimal
from typing import get_args

from credit_memos.domain.applying import Move, commit_moves, ensure_within
from credit_memos.domain.documents import (
    ApplicationEntry,
    CreditMemo,
    CreditMemoLine,
    Invoice,
    InvoiceLine,
    TaxStrategy,
    check_line_count,
)
from credit_memos.domain.inputs import CreditLineInput, MemoChargeInput, TaxInput
from credit_memos.domain.memos import build_memo_line, create_credit_memo
from credit_memos.errors import FieldPath, InsufficientBalance, InvalidStatus, ValidationError
from credit_memos.money import ZERO, parse_amount, round_down, to_money


def prorated_tax(line: InvoiceLine, amount_to_credit: Decimal, currency: str) -> Decimal:
    """Tax of one CopyFromInvoiceLine credit of ``amount_to_credit`` (a) on ``line`` (spec section 6).

    With the line's charge C and tax T:

    - a credit that brings the charge credited under CopyFromInvoiceLine to C (a series of
      such credits covering the whole charge) takes the leftover: T minus the tax those
      earlier CopyFromInvoiceLine credits still standing took, so the series credits exactly T;
    - any other takes round-down(a x T / C): never more than a x T / C and less by under one
      minor unit, whatever was credited on the line before;
    - either way it is capped at T minus the tax every credit still standing took (any
      strategy), so the line never credits more than T. Only a ManualOverride credit that
      took more than its share of T can make this cap bite.

    The CopyFromInvoiceLine tallies are ``copy_credited_*`` (a subset of ``credited_*``);
    voiding a memo subtracts from both exactly what it added.
    """
    if line.charge_amount <= 0 or line.tax_amount <= 0:
        return to_money(ZERO, currency)
    if line.copy_credited_charge_amount + amount_to_credit == line.charge_amount:
        tax = line.tax_amount - line.copy_credited_tax_amount
    else:
        # Exact product, truncated quotient: the default 28-digit context rounds the product
        # of large amounts.
        with decimal.localcontext() as exact:
            exact.prec = 100
            exact.rounding = decimal.ROUND_DOWN
            share = line.tax_amount * amount_to_credit / line.charge_amount
        tax = round_down(share, currency)
    left = line.tax_amount - line.credited_tax_amount
    return to_money(max(min(tax, left), ZERO), currency)


def credit_invoice(
    invoice: Invoice,
    credits: Sequence[CreditLineInput],
    *,
    tax_strategy: TaxStrategy,
    memo_id: str,
    memo_line_ids: Sequence[str],
    now: str,
    effective_date: str,
    description: str | None,
) -> CreditMemo:
    """A memo crediting lines of ``invoice``, Posted (to be applied at once with
    ``apply_invoice_credit``); nothing is changed yet. Each line keeps its invoice line."""
    if invoice.status != "Posted":
        raise InvalidStatus(
            f"invoice {invoice.id} is {invoice.status}; only a Posted invoice can be credited"
        )
    check_line_count(len(credits), ("invoice_lines",))
    if tax_strategy not in get_args(TaxStrategy):  # the edge admits only these
        raise ValidationError("is not a tax strategy", field=("tax_strategy",))
    currency = invoice.currency
    invoice_lines = invoice.distinct_lines([c.invoice_line_id for c in credits], ("invoice_lines",))
    memo_lines: list[CreditMemoLine] = []
    for index, (credit, invoice_line, memo_line_id) in enumerate(
        zip(credits, invoice_lines, memo_line_ids, strict=False)
    ):
        field: FieldPath = ("invoice_lines", index)
        amount_field = (*field, "amount_to_credit")
        amount = parse_amount(credit.amount_to_credit, currency, amount_field)
        if amount <= 0:
            raise ValidationError("must be greater than 0", field=amount_field)
        creditable = invoice_line.left_to_credit
        if amount > creditable:
            raise ValidationError(
                f"{amount} exceeds what line {invoice_line.id} has left to credit ({creditable})",
                field=amount_field,
            )
        if tax_strategy != "ManualOverride" and credit.taxes:
            raise ValidationError(
                "taxes may be given only with taxStrategy ManualOverride", field=(*field, "taxes")
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
        _check_fits(invoice, invoice_line, memo_line, field)
        memo_lines.append(memo_line)
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
        lines_field=("invoice_lines",),
        source_action="Invoice",
        reference_invoice_id=invoice.id,
    )
    ensure_within(memo.total_amount_with_tax, invoice.balance, f"invoice {invoice.id}")
    memo.tax_strategy = tax_strategy
    return memo


def _check_fits(
    invoice: Invoice, invoice_line: InvoiceLine, memo_line: CreditMemoLine, field: FieldPath
) -> None:
    """A memo line's credit fits what its invoice line has left to credit, and its balance."""
    creditable = invoice_line.left_to_credit
    if memo_line.charge_amount > creditable:
        raise ValidationError(
            f"{memo_line.charge_amount} exceeds what line {invoice_line.id} has left to credit "
            f"({creditable})",
            field=(*field, "amount_to_credit"),
        )
    creditable_tax = invoice_line.tax_amount - invoice_line.credited_tax_amount
    if memo_line.tax_amount > max(creditable_tax, ZERO):
        raise ValidationError(
            f"the credited tax {memo_line.tax_amount} exceeds the tax line {invoice_line.id} has left "
            f"to credit ({creditable_tax})",
            field=(*field, "taxes"),
        )
    if invoice.settlement_level == "InvoiceLine" and memo_line.amount_with_tax > invoice_line.balance:
        raise InsufficientBalance(
            f"the credit with tax {memo_line.amount_with_tax} exceeds the balance {invoice_line.balance} "
            f"of invoice line {invoice_line.id}"
        )


def apply_invoice_credit(
    memo: CreditMemo, invoice: Invoice, *, entry_id: str, now: str, effective_date: str
) -> ApplicationEntry:
    """Apply a Posted memo made from ``invoice``'s lines to them: checked again against the
    invoice as it is now (a Draft posted later may no longer fit: 409 or 422), then applied."""
    if invoice.status != "Posted":
        raise InvalidStatus(
            f"invoice {invoice.id} is {invoice.status}; only a Posted invoice can be credited"
        )
    moves: list[Move] = []
    for index, memo_line in enumerate(memo.lines):
        invoice_line = invoice.line(memo_line.reference_invoice_line_id or "")
        if invoice_line is None:  # lines are never removed from an invoice
            raise InvalidStatus(f"invoice line {memo_line.reference_invoice_line_id} no longer exists")
        _check_fits(invoice, invoice_line, memo_line, ("invoice_lines", index))
        moves.append(Move(memo_line.amount_with_tax, memo_line, invoice_line))
    ensure_within(memo.total_amount_with_tax, invoice.balance, f"invoice {invoice.id}")
    for move in moves:
        assert move.invoice_line is not None and move.memo_line is not None
        move.invoice_line.credited_charge_amount += move.memo_line.charge_amount
        move.invoice_line.credited_tax_amount += move.memo_line.tax_amount
        if memo.tax_strategy == "CopyFromInvoiceLine":
            move.invoice_line.copy_credited_charge_amount += move.memo_line.charge_amount
            move.invoice_line.copy_credited_tax_amount += move.memo_line.tax_amount
    if invoice.settlement_level == "Invoice":
        moves = [Move(memo.total_amount_with_tax, None, None)]
    return commit_moves(
        memo,
        invoice,
        moves,
        level=invoice.settlement_level,
        entry_id=entry_id,
        now=now,
        effective_date=effective_date,
        description=memo.description,
    )
