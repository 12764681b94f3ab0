"""What a request gives the rules: plain values, already parsed at the edge.

Commands (``credit_memos.commands``) hold these, and the rules take them as they are,
so a request's input is converted exactly once, at the edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from credit_memos.money import ZERO


@dataclass(frozen=True)
class InvoiceLineInput:
    """A new invoice line as the caller gave it."""

    charge_amount: Decimal
    tax_amount: Decimal = ZERO
    product_id: str | None = None
    product_name: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class TaxInput:
    """A tax of a new credit memo charge as the caller gave it."""

    tax_amount: Decimal
    tax_code: str | None = None
    tax_name: str | None = None
    tax_rate: Decimal | None = None


@dataclass(frozen=True)
class MemoChargeInput:
    """A new credit memo charge as the caller gave it."""

    charge_amount: Decimal
    product_id: str | None = None
    product_name: str | None = None
    description: str | None = None
    taxes: tuple[TaxInput, ...] = ()


@dataclass(frozen=True)
class ApplyTarget:
    """One invoice of an apply at invoice level; no amount means as much as both can take."""

    invoice_id: str
    amount: Decimal | None = None
    description: str | None = None
    effective_date: str | None = None


@dataclass(frozen=True)
class LineApplyTarget:
    """One invoice line of a memo-line apply."""

    invoice_id: str
    invoice_line_id: str
    amount: Decimal | None = None
    description: str | None = None
    effective_date: str | None = None


@dataclass(frozen=True)
class CreditLineInput:
    """One invoice line of a credit from an invoice (``actions/credit``)."""

    invoice_line_id: str
    amount_to_credit: Decimal
    taxes: tuple[TaxInput, ...] = ()
