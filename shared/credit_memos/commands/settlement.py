"""Account settlement, planned and summarized for Step Functions.

Carried out by ``credit_memos.usecases.settlement`` (``Command.use_cases``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from credit_memos.commands.base import Command
from credit_memos.limits import MAX_SETTLEMENT_DOCUMENTS


@dataclass(frozen=True)
class PlanAccountSettlement(Command):
    """Plan which credit memos settle which invoices of an account (Step Functions)."""

    operation = "PlanAccountSettlement"
    mutates = False
    billing_account_id: str
    execution_id: str
    max_items: int
    currency: str | None = None
    credit_memo_ids: tuple[str, ...] | None = None
    exclude_invoice_ids: tuple[str, ...] = ()
    # Where a truncated plan stopped (its ``nextToken``), and the documents of each kind read at most.
    next_token: str | None = None
    max_documents: int = MAX_SETTLEMENT_DOCUMENTS


@dataclass(frozen=True)
class SummarizeAccountSettlement(Command):
    """Summarize a settlement execution's results (Step Functions)."""

    operation = "SummarizeAccountSettlement"
    mutates = False
    plan: dict[str, Any]
    results: tuple[dict[str, Any], ...]
    # The summary of the execution's earlier rounds (a plan continued from its ``nextToken``).
    previous: dict[str, Any] | None = None
