"""Standalone credit memos: create, post, void, read and list.

Carried out by ``credit_memos.usecases.memos`` (``Command.use_cases``).
"""

from __future__ import annotations

from dataclasses import dataclass

from credit_memos.commands.base import Command
from credit_memos.domain.documents import InvoiceStatus, ReasonCode, WriteOffReasonCode
from credit_memos.domain.inputs import MemoChargeInput


@dataclass(frozen=True)
class CreateCreditMemo(Command):
    """Create a standalone credit memo (Draft or Posted) with its charges."""

    operation = "CreateCreditMemo"
    billing_account_id: str
    currency: str
    charges: tuple[MemoChargeInput, ...]
    status: InvoiceStatus = "Posted"
    description: str | None = None
    effective_date: str | None = None
    external_reference: str | None = None
    reason_code: ReasonCode | None = None


@dataclass(frozen=True)
class PostCreditMemo(Command):
    """Post a Draft credit memo (it takes the next document number)."""

    operation = "PostCreditMemo"
    credit_memo_id: str


@dataclass(frozen=True)
class VoidCreditMemo(Command):
    """Void a Posted credit memo that has no active applications."""

    operation = "VoidCreditMemo"
    role = "Approver"
    credit_memo_id: str
    reason_code: ReasonCode | None = None


@dataclass(frozen=True)
class GetCreditMemo(Command):
    """Read one credit memo."""

    operation = "GetCreditMemo"
    mutates = False
    credit_memo_id: str


@dataclass(frozen=True)
class ListCreditMemos(Command):
    """One page of credit memos, by account and status or by document number."""

    operation = "ListCreditMemos"
    mutates = False
    billing_account_id: str | None = None
    status: str | None = None
    limit: int | None = None
    next_token: str | None = None
    reason_code: WriteOffReasonCode | None = None
    # Finds the memo with this number (any account); billing_account_id is then not needed.
    document_number: str | None = None
