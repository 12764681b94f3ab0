"""Billing account profiles: the customer's name, address and tax ids a credit note shows, each
change kept as a revision of its own (append-only) with who made it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal, TypeAlias

Language: TypeAlias = Literal["en", "de", "fr"]


@dataclass(frozen=True)
class ProfileAddress:
    """The customer's postal address."""

    line1: str
    city: str
    postal_code: str
    country: str  # ISO 3166-1 alpha-2
    line2: str | None = None
    country_subdivision: str | None = None


@dataclass(frozen=True)
class ProfileDetails:
    """What a profile says (what a PUT sets, whole)."""

    name: str
    address: ProfileAddress
    email: str | None = None
    language: Language = "en"
    vat_id: str | None = None
    legal_registration_id: str | None = None


@dataclass
class BillingAccountProfile:
    """A billing account's current profile: its details, which revision it is (1 for the first),
    when and by whom it was set; ``version`` guards the write of the next revision."""

    billing_account_id: str
    details: ProfileDetails
    revision: int
    created_at: str
    created_by: str | None = None
    version: int = 0

    @property
    def id(self) -> str:
        return self.billing_account_id


@dataclass
class ProfileRevision:
    """One revision as history keeps it: written once, never changed."""

    profile: BillingAccountProfile
    version: int = 0

    @property
    def id(self) -> str:
        return f"{self.profile.billing_account_id}#{self.profile.revision}"


def revise_profile(
    current: BillingAccountProfile | None,
    billing_account_id: str,
    details: ProfileDetails,
    *,
    now: str,
    created_by: str | None,
) -> BillingAccountProfile | None:
    """The next revision of the account's profile, or None when ``details`` are what it says already."""
    if current is None:
        return BillingAccountProfile(billing_account_id, details, 1, now, created_by)
    if current.details == details:
        return None
    return dataclasses.replace(
        current, details=details, revision=current.revision + 1, created_at=now, created_by=created_by
    )
