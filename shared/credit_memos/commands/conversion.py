"""Credit memos made from invoices: credit an invoice's lines, convert its negative lines.

Carried out by ``credit_memos.usecases.conversion`` (``Command.use_cases``).
"""

from __future__ import annotations

from dataclasses import dataclass

from credit_memos.commands.base import Command
from credit_memos.domain.documents import InvoiceStatus, ReasonCode, TaxStrategy
from credit_memos.domain.inputs import CreditLineInput


@dataclass(frozen=True)
class CreditInvoice(Command):
    """Create a credit memo for chosen lines of an invoice and apply it to that invoice (or, as a
    Draft, apply it when it is posted)."""

    operation = "CreditInvoice"
    metric = "InvoiceCredited"
    invoice_id: str
    tax_strategy: TaxStrategy
    invoice_lines: tuple[CreditLineInput, ...]
    description: str | None = None
    effective_date: str | None = None
    reason_code: ReasonCode | None = None
    status: InvoiceStatus | None = None  # None: Posted


@dataclass(frozen=True)
class ConvertNegativeInvoiceLines(Command):
    """Move an invoice's negative lines into a posted credit memo (and apply it, by default)."""

    operation = "ConvertNegativeInvoiceLines"
    metric = "NegativeLinesConverted"
    invoice_id: str
    invoice_line_ids: tuple[str, ...] | None = None
    apply_to_invoice: bool = True
    description: str | None = None
    effective_date: str | None = None
    reason_code: ReasonCode | None = None
