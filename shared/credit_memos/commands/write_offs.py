"""Writing off invoices (spec section 10): the request, and the write-off of one of its invoices.

Carried out by ``credit_memos.usecases.write_offs`` (``Command.use_cases``).
"""

from __future__ import annotations

from dataclasses import dataclass

from credit_memos.commands.base import Command
from credit_memos.domain.documents import WriteOffReasonCode


@dataclass(frozen=True)
class InvoiceWriteOff:
    """One invoice of a write-off request."""

    invoice_id: str
    reason_code: WriteOffReasonCode
    description: str | None = None


@dataclass(frozen=True)
class WriteOffInvoices(Command):
    """Write off up to 100 invoices, each on its own (its own transaction): one invoice's failure
    is its result's error and does not undo the others."""

    operation = "WriteOffInvoices"
    metric = "InvoicesWrittenOff"
    role = "Approver"
    each_on_its_own = True
    invoices: tuple[InvoiceWriteOff, ...]


@dataclass(frozen=True)
class WriteOffInvoice(Command):
    """The write-off of one invoice of a ``WriteOffInvoices`` request: its transaction."""

    operation = "WriteOffInvoice"
    role = "Approver"
    invoice_id: str
    reason_code: WriteOffReasonCode
    description: str | None = None
