"""The view of a billing account's profile: the customer as a credit note shows them."""

from typing import TYPE_CHECKING

from pydantic import Field

from credit_memos.domain.profiles import Language
from credit_memos.views.base import CREATED_BY, View, copied

if TYPE_CHECKING:
    from credit_memos.domain.profiles import BillingAccountProfile


class AddressView(View):
    line1: str
    line2: str | None
    city: str
    postal_code: str
    country_subdivision: str | None
    country: str = Field(description="ISO 3166-1 alpha-2.")


class BillingAccountProfileView(View):
    billing_account_id: str
    name: str
    email: str | None
    language: Language
    address: AddressView
    vat_id: str | None
    legal_registration_id: str | None
    revision: int = Field(description="Which change of the profile this is (1: the first); each is kept.")
    created_at: str = Field(description="When this revision was set.")
    created_by: str | None = Field(description=CREATED_BY)

    @classmethod
    def of(cls, profile: "BillingAccountProfile") -> "BillingAccountProfileView":
        details = profile.details
        address = details.address
        return cls(
            **copied(profile, "billing_account_id", "revision", "created_at", "created_by"),
            **copied(details, "name", "email", "language", "vat_id", "legal_registration_id"),
            address=AddressView(
                **copied(address, "line1", "line2", "city", "postal_code", "country_subdivision", "country")
            ),
        )


class BillingAccountProfilePage(View):
    items: list[BillingAccountProfileView]
    nextToken: str | None  # the JSON name: the use cases build pages with it
