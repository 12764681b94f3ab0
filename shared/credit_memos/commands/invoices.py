"""Invoices: create, post, read and list.

Carried out by ``credit_memos.usecases.invoices`` (``Command.use_cases``).
"""

from __future__ import annotations

from dataclasses import dataclass

from credit_memos.commands.base import Command
from credit_memos.domain.documents import InvoiceStatus, SettlementLevel
from credit_memos.domain.inputs import InvoiceLineInput


@dataclass(frozen=True)
class CreateInvoice(Command):
    """Create an invoice (Draft or Posted) with its lines."""

    operation = "CreateInvoice"
    billing_account_id: str
    currency: str
    lines: tuple[InvoiceLineInput, ...]
    status: InvoiceStatus = "Posted"
    settlement_level: SettlementLevel | None = None
    invoice_date: str | None = None
    due_date: str | None = None
    invoice_number: str | None = None


@dataclass(frozen=True)
class PostInvoice(Command):
    """Post a Draft invoice."""

    operation = "PostInvoice"
    invoice_id: str


@dataclass(frozen=True)
class GetInvoice(Command):
    """Read one invoice."""

    operation = "GetInvoice"
    mutates = False
    invoice_id: str


@dataclass(frozen=True)
class ListInvoices(Command):
    """One page of a billing account's invoices, optionally of one status."""

    operation = "ListInvoices"
    mutates = False
    billing_account_id: str
    status: str | None = None
    limit: int | None = None
    next_token: str | None = None
