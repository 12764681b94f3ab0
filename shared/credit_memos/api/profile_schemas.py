"""Request models of billing account profiles (spec section 12): the profile a PUT sets, whole."""

from typing import TYPE_CHECKING

from credit_memos.api.fields import CountryCode, EmailAddress, Identifier, ShortText, Text
from credit_memos.api.schemas import _Request
from credit_memos.domain.profiles import Language, ProfileAddress, ProfileDetails

if TYPE_CHECKING:
    from credit_memos.commands.profiles import PutBillingAccountProfile


class AddressRequest(_Request):
    line1: Text
    line2: Text | None = None
    city: Text
    postalCode: ShortText
    countrySubdivision: ShortText | None = None
    country: CountryCode


class BillingAccountProfileRequest(_Request):
    """A billing account's whole profile (spec section 12): what a credit note shows of the buyer."""

    name: Text
    email: EmailAddress | None = None
    language: Language = "en"
    address: AddressRequest
    vatId: ShortText | None = None
    legalRegistrationId: ShortText | None = None

    def command(self, billing_account_id: str) -> "PutBillingAccountProfile":
        from credit_memos.commands.profiles import PutBillingAccountProfile

        address = self.address
        details = ProfileDetails(
            name=self.name,
            address=ProfileAddress(
                line1=address.line1,
                city=address.city,
                postal_code=address.postalCode,
                country=address.country,
                line2=address.line2,
                country_subdivision=address.countrySubdivision,
            ),
            email=self.email,
            language=self.language,
            vat_id=self.vatId,
            legal_registration_id=self.legalRegistrationId,
        )
        return PutBillingAccountProfile(billing_account_id, details)


class BillingAccountQuery(_Request):
    """A direct read of a billing account's profile."""

    billingAccountId: Identifier
