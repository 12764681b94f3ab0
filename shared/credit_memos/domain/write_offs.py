"""Writing off a Posted invoice's balance (spec section 10): a Posted memo of exactly that
balance, applied to the invoice at its level, so that the invoice is Settled.

The memo has one line per invoice line with something left to write off, referencing it, and
each line splits its amount into charge and tax in the invoice line's own proportion of tax to
amount with tax (docs/money-out.md): the tax part of a bad debt is what a seller may reclaim,
so it must be identifiable per line and rate. The rule validates first and mutates last.
"""

from __future__ import annotations

import decimal
from decimal import Decimal

from credit_memos.domain.applying import Move, commit_moves
from credit_memos.domain.documents import (
    ApplicationEntry,
    CreditMemo,
    CreditMemoLine,
    Invoice,
    InvoiceLine,
    TaxDetail,
)
from credit_memos.domain.memos import create_credit_memo
from credit_memos.errors import InvalidStatus
from credit_memos.money import ZERO, quantum, round_down, to_money

# The name of the tax part of a write-off memo's line.
WRITTEN_OFF_TAX = "Tax of the written-off amount"


def write_off_invoice(
    invoice: Invoice,
    *,
    memo_id: str,
    memo_line_ids: list[str],
    entry_id: str,
    now: str,
    effective_date: str,
    description: str | None,
) -> tuple[CreditMemo, ApplicationEntry]:
    """The Posted memo writing off ``invoice``'s whole balance, applied to it (one entry)."""
    if invoice.status != "Posted":
        raise InvalidStatus(
            f"invoice {invoice.id} is {invoice.status}; only a Posted invoice can be written off"
        )
    if invoice.balance <= 0:
        raise InvalidStatus(f"invoice {invoice.id} is Settled; it has no balance to write off")
    currency = invoice.currency
    shares = written_off_shares(invoice)
    memo_lines = [
        _memo_line(line_id, line, amount, currency)
        for (line, amount), line_id in zip(shares, memo_line_ids, strict=False)
    ]
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
        lines_field=("invoices", 0),
        source_action="WriteOffPostedInvoice",
        reference_invoice_id=invoice.id,
    )
    if invoice.settlement_level == "InvoiceLine":
        moves = [
            Move(memo_line.amount_with_tax, memo_line, line)
            for memo_line, (line, _) in zip(memo.lines, shares, strict=True)
        ]
    else:
        moves = [Move(memo.total_amount_with_tax, None, None)]
    entry = commit_moves(
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


def _memo_line(line_id: str, line: InvoiceLine, amount: Decimal, currency: str) -> CreditMemoLine:
    tax = tax_part(line, amount, currency)
    return CreditMemoLine(
        id=line_id,
        type="Charge",
        charge_amount=amount - tax,
        tax_amount=tax,
        amount_with_tax=amount,
        balance=amount,
        reference_invoice_line_id=line.id,
        product_id=line.product_id,
        product_name=line.product_name,
        description=line.description,
        taxes=[TaxDetail(tax, tax_name=WRITTEN_OFF_TAX)] if tax > 0 else [],
    )


def written_off_shares(invoice: Invoice) -> list[tuple[InvoiceLine, Decimal]]:
    """How the invoice's balance falls on its lines, each share above 0, summing to the balance.

    At level InvoiceLine the lines keep balances: highest balance first, as a payment is spread,
    so a line that a credit or payment settled takes nothing. At level Invoice only the invoice
    has a balance: it is shared by the positive lines in proportion to their amounts with tax
    (rounded down to the minor unit; the largest line takes what rounding left).
    """
    balance = invoice.balance
    if invoice.settlement_level == "InvoiceLine":
        taken: dict[str, Decimal] = {}
        for line in sorted((x for x in invoice.lines if x.balance > 0), key=lambda x: -x.balance):
            taken[line.id] = min(balance, line.balance)
            balance -= taken[line.id]
        return [(line, taken[line.id]) for line in invoice.lines if taken.get(line.id, ZERO) > 0]
    positive = [line for line in invoice.lines if line.amount_with_tax > 0]
    whole = sum((line.amount_with_tax for line in positive), ZERO)
    with decimal.localcontext() as exact:
        exact.prec = 100
        amounts = [round_down(balance * line.amount_with_tax / whole, invoice.currency) for line in positive]
    largest = max(range(len(positive)), key=lambda i: positive[i].amount_with_tax)
    amounts[largest] += balance - sum(amounts, ZERO)
    return [(line, amount) for line, amount in zip(positive, amounts, strict=True) if amount > 0]


def tax_part(line: InvoiceLine, amount: Decimal, currency: str) -> Decimal:
    """The tax in ``amount`` written off from ``line``: its share of the line's tax, as the line's
    tax is of its amount with tax, rounded half-even to the minor unit; never below 0 nor above
    ``amount``."""
    if line.tax_amount <= 0 or line.amount_with_tax <= 0:
        return to_money(ZERO, currency)
    with decimal.localcontext() as exact:
        exact.prec = 100
        share = amount * line.tax_amount / line.amount_with_tax
        tax = share.quantize(quantum(currency), rounding=decimal.ROUND_HALF_EVEN)
    return to_money(min(max(tax, ZERO), amount), currency)
