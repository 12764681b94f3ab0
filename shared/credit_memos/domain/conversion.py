"""Converting an invoice's negative lines into a Posted credit memo, optionally applied back.

Every rule validates first and mutates last, so a rule that raises leaves its
arguments as they were; nothing is then written.
"""

from __future__ import annotations

from collections.abc import Sequence

from credit_memos.domain.applying import apply_credit_memo
from credit_memos.domain.documents import (
    ApplicationEntry,
    CreditMemo,
    CreditMemoLine,
    Invoice,
    TaxDetail,
    check_line_count,
)
from credit_memos.domain.memos import create_credit_memo
from credit_memos.errors import AlreadyConverted, HasActiveApplications, InvalidStatus, ValidationError
from credit_memos.money import ZERO, check_magnitude


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
            raise ValidationError(f"invoice {invoice.id} has no negative lines", field=("invoice_line_ids",))
        if not lines:
            raise AlreadyConverted(f"every negative line of invoice {invoice.id} is already converted")
    else:
        check_line_count(len(line_ids), ("invoice_line_ids",))
        lines = invoice.distinct_lines(line_ids, ("invoice_line_ids",))
        for index, line in enumerate(lines):
            if not line.is_negative:
                raise ValidationError(
                    f"invoice line {line.id} is not negative", field=("invoice_line_ids", index)
                )
            if line.is_converted:
                raise AlreadyConverted(f"invoice line {line.id} is already converted")
    currency = invoice.currency
    # The memo's totals, checked before the invoice changes (charge and tax share a sign).
    check_magnitude(
        sum((line.amount_with_tax for line in lines), ZERO), "the credit memo's total", ("invoice_line_ids",)
    )
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
        lines_field=("invoice_line_ids",),
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
