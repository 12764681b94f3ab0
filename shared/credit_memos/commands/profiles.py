"""Billing account profiles (spec section 12): set and read.

Carried out by ``credit_memos.usecases.profiles`` (``Command.use_cases``).
"""

from __future__ import annotations

from dataclasses import dataclass

from credit_memos.commands.base import Command
from credit_memos.domain.profiles import ProfileDetails


@dataclass(frozen=True)
class PutBillingAccountProfile(Command):
    """Set a billing account's profile (a new revision when it changes)."""

    operation = "PutBillingAccountProfile"
    billing_account_id: str
    details: ProfileDetails


@dataclass(frozen=True)
class GetBillingAccountProfile(Command):
    """Read a billing account's profile."""

    operation = "GetBillingAccountProfile"
    mutates = False
    billing_account_id: str


@dataclass(frozen=True)
class ListBillingAccountProfileRevisions(Command):
    """Every revision of a billing account's profile, oldest first."""

    operation = "ListBillingAccountProfileRevisions"
    mutates = False
    billing_account_id: str
    limit: int | None = None
    next_token: str | None = None
