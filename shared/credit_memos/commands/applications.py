"""Applying credit (memo to invoices, memo line to invoice lines), unapplying, and the records.

Carried out by ``credit_memos.usecases.applications`` (``Command.use_cases``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from credit_memos.commands.base import Command
from credit_memos.domain.documents import ReasonCode, SettlementLevel
from credit_memos.domain.inputs import ApplyTarget, LineApplyTarget


@dataclass(frozen=True)
class ApplyCreditMemo(Command):
    """Apply a credit memo's balance to invoices."""

    operation = "ApplyCreditMemo"
    metric = "CreditApplied"
    credit_memo_id: str
    applications: tuple[ApplyTarget, ...]


@dataclass(frozen=True)
class ApplyCreditMemoLine(Command):
    """Apply one credit memo line's balance to invoice lines."""

    operation = "ApplyCreditMemoLine"
    metric = "CreditApplied"
    credit_memo_id: str
    credit_memo_line_id: str
    applications: tuple[LineApplyTarget, ...]


@dataclass(frozen=True)
class UnapplyCreditMemoApplication(Command):
    """Unapply one Applied record of ``level``; a record of the other level is LEVEL_MISMATCH."""

    operation = "UnapplyCreditMemoApplication"
    level: ClassVar[SettlementLevel] = "Invoice"
    application_id: str
    description: str | None = None
    effective_date: str | None = None
    reason_code: ReasonCode | None = None


@dataclass(frozen=True)
class UnapplyCreditMemoLineApplication(UnapplyCreditMemoApplication):
    """Reverse an application of a memo line to invoice lines."""

    operation = "UnapplyCreditMemoLineApplication"
    level: ClassVar[SettlementLevel] = "InvoiceLine"


@dataclass(frozen=True)
class GetApplication(Command):
    """One application record of ``level`` (a record of the other level is not found)."""

    operation = "GetApplication"
    mutates = False
    application_id: str
    level: SettlementLevel = "Invoice"


@dataclass(frozen=True)
class ListApplications(Command):
    """A memo's or an invoice's application history (exactly one of the two ids)."""

    operation = "ListApplications"
    mutates = False
    credit_memo_id: str | None = None
    invoice_id: str | None = None
    limit: int | None = None
    next_token: str | None = None
