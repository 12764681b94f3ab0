"""What a credit note document is made of: the memo, both parties and the invoice it corrects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

from credit_memos.domain.documents import CreditMemo
from credit_memos.errors import Conflict

Language: TypeAlias = Literal["en", "de", "fr"]
DocumentFormat: TypeAlias = Literal["pdf", "ubl", "cii"]


@dataclass(frozen=True)
class PostalAddress:
    """A party's postal address."""

    line1: str
    city: str
    postal_code: str
    country: str  # ISO 3166-1 alpha-2
    line2: str | None = None
    country_subdivision: str | None = None


@dataclass(frozen=True)
class Party:
    """The seller (deployment configuration) or the buyer (the billing account's profile)."""

    name: str
    address: PostalAddress
    vat_id: str | None = None
    legal_registration_id: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class CreditNote:
    """Everything one rendering needs; the memo is Posted or Voided, with its lines."""

    memo: CreditMemo
    seller: Party
    buyer: Party
    language: Language = "en"
    # The corrected invoice's printed number and date, when the memo references an invoice.
    preceding_invoice_number: str | None = None
    preceding_invoice_date: str | None = None


class NotRepresentable(Conflict):
    """EN 16931 cannot express the memo exactly (the message names the cause)."""

    error_code = "NOT_REPRESENTABLE"
