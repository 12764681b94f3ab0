"""Use case of a credit memo's document: the one issued first in its format and state, or a new
rendering issued now (kept unchanged from then on; docs/documents.md "The document endpoint")."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from credit_memos.commands import documents as commands
from credit_memos.errors import InvalidStatus, ProfileIncomplete
from credit_memos.ports import Repository
from credit_memos.usecases.service import use_case
from credit_memos.usecases.unit_of_work import Result

if TYPE_CHECKING:
    from credit_memos.documents.model import CreditNote, Party
    from credit_memos.domain.documents import CreditMemo
    from credit_memos.settings import Settings

CONTENT_TYPES = {"pdf": "application/pdf", "ubl": "application/xml", "cii": "application/xml"}
_SUFFIXES = {"pdf": "pdf", "ubl": "xml-ubl", "cii": "xml-cii"}


@dataclass(frozen=True)
class IssuedDocument:
    """A document as issued: its bytes and their content type."""

    content: bytes
    content_type: str

    @property
    def etag(self) -> str:
        """The HTTP entity tag: the bytes' SHA-256, which never changes for an issued document."""
        return f'"{hashlib.sha256(self.content).hexdigest()}"'


def archive_key(memo: CreditMemo, document_format: str) -> str:
    """Where the memo's document in ``document_format`` is kept: one per format and state, so a
    void issues one new rendering and the posted one stays."""
    state = "voided" if memo.status == "Voided" else "posted"
    return f"credit-notes/{memo.id}/{state}.{_SUFFIXES[document_format]}"


@use_case(commands.GetCreditMemoDocument)
def document(repository: Repository, command: commands.GetCreditMemoDocument) -> Result:
    """The archive is asked first: an issued document is answered as issued, whatever the parties'
    details say now. Two first requests may both render; the archive keeps one, and both answer it."""
    tools = command.tools
    assert tools is not None, "the document function sets the archive and the renderer"
    memo_id = command.credit_memo_id
    memo = repository.read(memo_ids=[memo_id], consistent=True).memo(memo_id)
    if memo.status == "Draft":
        raise InvalidStatus("a Draft credit memo has no document: post it first")
    key, content_type = archive_key(memo, command.format), CONTENT_TYPES[command.format]
    content = tools.archive.get(key)
    if content is None:
        note = credit_note(repository, memo, tools.settings)
        content = tools.archive.put_new(key, tools.render(note, command.format), content_type)
    return Result(200, IssuedDocument(content, content_type))


def credit_note(repository: Repository, memo: CreditMemo, settings: Settings) -> CreditNote:
    """What the renderer needs: the memo, the seller (settings), the buyer (the account's profile)
    and the invoice it corrects; PROFILE_INCOMPLETE names every detail that is missing."""
    from credit_memos.documents.model import CreditNote, Party, PostalAddress

    account, invoice_id = memo.billing_account_id, memo.reference_invoice_id
    found = repository.read(profile_ids=[account], invoice_ids=[invoice_id] if invoice_id else [])
    missing = _missing_seller_details(settings)
    profile = found.profiles.get(account)
    if profile is None:
        missing.append(f"the buyer's profile (PUT /billing-accounts/{account})")
    if missing or profile is None:
        raise ProfileIncomplete("the document needs " + "; ".join(missing))
    details, address = profile.details, profile.details.address
    buyer = Party(
        name=details.name,
        address=PostalAddress(
            line1=address.line1,
            city=address.city,
            postal_code=address.postal_code,
            country=address.country,
            line2=address.line2,
            country_subdivision=address.country_subdivision,
        ),
        vat_id=details.vat_id,
        legal_registration_id=details.legal_registration_id,
        email=details.email,
    )
    invoice = found.invoices.get(invoice_id) if invoice_id else None
    return CreditNote(
        memo=memo,
        seller=_seller(settings),
        buyer=buyer,
        language=details.language,
        preceding_invoice_number=invoice.invoice_number if invoice else None,
        preceding_invoice_date=invoice.invoice_date if invoice else None,
    )


# What a credit note needs of the seller, and the stack parameter that sets each (template.yaml).
_SELLER_NEEDS = (
    ("seller_name", "the seller's name (SellerName)"),
    ("seller_address_line1", "the seller's address line 1 (SellerAddressLine1)"),
    ("seller_city", "the seller's city (SellerCity)"),
    ("seller_postal_code", "the seller's postal code (SellerPostalCode)"),
    ("seller_country", "the seller's country (SellerCountry)"),
)


def _missing_seller_details(settings: Settings) -> list[str]:
    missing = [what for name, what in _SELLER_NEEDS if not getattr(settings, name)]
    # EN 16931 (BR-CO-26): the seller is identified by a VAT id or a legal registration id.
    if not (settings.seller_vat_id or settings.seller_legal_registration_id):
        missing.append(
            "the seller's VAT id or legal registration id (SellerVatId, SellerLegalRegistrationId)"
        )
    return missing


def _seller(settings: Settings) -> Party:
    from credit_memos.documents.model import Party, PostalAddress

    assert settings.seller_name and settings.seller_address_line1 and settings.seller_city
    assert settings.seller_postal_code and settings.seller_country
    return Party(
        name=settings.seller_name,
        address=PostalAddress(
            line1=settings.seller_address_line1,
            city=settings.seller_city,
            postal_code=settings.seller_postal_code,
            country=settings.seller_country,
            line2=settings.seller_address_line2,
            country_subdivision=settings.seller_country_subdivision,
        ),
        vat_id=settings.seller_vat_id,
        legal_registration_id=settings.seller_legal_registration_id,
        email=settings.seller_email,
    )
