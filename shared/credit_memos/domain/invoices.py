"""Creating and posting invoices.

Every rule validates first and mutates last, so a rule that raises leaves its
arguments as they were; nothing is then written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import get_args

from credit_memos.domain.documents import (
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    SettlementLevel,
    check_line_count,
)
from credit_memos.domain.inputs import InvoiceLineInput
from credit_memos.errors import InvalidStatus, ValidationError
from credit_memos.money import ZERO, check_magnitude, minor_units, parse_amount, to_money


def create_invoice(
    *,
    invoice_id: str,
    line_ids: Sequence[str],
    billing_account_id: str,
    currency: str,
    status: InvoiceStatus,
    settlement_level: SettlementLevel,
    invoice_date: str,
    due_date: str | None,
    lines: Sequence[InvoiceLineInput],
    now: str,
) -> Invoice:
    minor_units(currency)  # unknown currency -> ValidationError before anything else
    check_line_count(len(lines), ("lines",))
    if status not in get_args(InvoiceStatus):
        raise ValidationError("must be Draft or Posted", field=("status",))
    if due_date is not None and due_date < invoice_date:
        raise ValidationError("must not be before the invoice date", field=("due_date",))
    built: list[InvoiceLine] = []
    for index, (line_id, line) in enumerate(zip(line_ids, lines, strict=True)):
        charge = parse_amount(line.charge_amount, currency, ("lines", index, "charge_amount"))
        tax = parse_amount(line.tax_amount, currency, ("lines", index, "tax_amount"))
        if charge != 0 and tax != 0 and (charge < 0) != (tax < 0):
            raise ValidationError(
                "a line's tax must have the sign of its charge", field=("lines", index, "tax_amount")
            )
        with_tax = charge + tax
        check_magnitude(with_tax, "the line's amount with tax", ("lines", index))
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
        raise ValidationError("an invoice's total may not be negative", field=("lines",))
    for amount, what in ((total_charge, "charge"), (total_tax, "tax"), (total, "amount with tax")):
        check_magnitude(amount, f"the invoice's total {what}", ("lines",))
    return Invoice(
        id=invoice_id,
        billing_account_id=billing_account_id,
        currency=currency,
        status=status,
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
