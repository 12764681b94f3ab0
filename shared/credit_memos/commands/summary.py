"""The account summary (spec section 8).

Carried out by ``credit_memos.usecases.summary`` (``Command.use_cases``).
"""

from __future__ import annotations

from dataclasses import dataclass

from credit_memos.commands.base import Command


@dataclass(frozen=True)
class GetAccountSummary(Command):
    """Read a billing account's summary (open balances and credit, per currency)."""

    operation = "GetAccountSummary"
    mutates = False
    billing_account_id: str
