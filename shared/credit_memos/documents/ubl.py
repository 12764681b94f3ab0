"""The credit note as a UBL 2.1 CreditNote following Peppol BIS Billing 3.0, written with lxml.

No maintained Python library generates UBL credit notes, and the document is small: a builder of
elements in the order the UBL schema requires is shorter than adapting a generic one."""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from credit_memos.documents.content import (
    PAYMENT_TERMS,
    Content,
    DocumentLine,
    VatGroup,
    check_representable,
    content,
    notes,
    rate_text,
    xml_amount,
    xml_text,
)
from credit_memos.documents.model import CreditNote, Party

ROOT = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
CREDIT_NOTE = "381"
UNIT = "C62"


def render_ubl(note: CreditNote) -> bytes:
    """The UBL XML; NotRepresentable where EN 16931 cannot express the memo exactly."""
    facts = content(note)
    check_representable(note, facts)
    root = etree.Element(f"{{{ROOT}}}CreditNote", nsmap={None: ROOT, "cac": CAC, "cbc": CBC})
    _cbc(root, "CustomizationID", CUSTOMIZATION)
    _cbc(root, "ProfileID", PROFILE)
    _cbc(root, "ID", facts.number)
    _cbc(root, "IssueDate", facts.issue_date)
    _cbc(root, "CreditNoteTypeCode", CREDIT_NOTE)
    for _, text in notes(note):
        _cbc(root, "Note", text)
    _cbc(root, "DocumentCurrencyCode", facts.currency)
    _cbc(root, "BuyerReference", note.memo.billing_account_id)
    if note.preceding_invoice_number:
        reference = _cac(_cac(root, "BillingReference"), "InvoiceDocumentReference")
        _cbc(reference, "ID", note.preceding_invoice_number)
        if note.preceding_invoice_date:
            _cbc(reference, "IssueDate", note.preceding_invoice_date[:10])
    _party(_cac(root, "AccountingSupplierParty"), note.seller)
    _party(_cac(root, "AccountingCustomerParty"), note.buyer)
    _cbc(_cac(root, "PaymentTerms"), "Note", PAYMENT_TERMS)
    tax_total = _cac(root, "TaxTotal")
    _amount(tax_total, "TaxAmount", facts.tax_total, facts)
    for group in facts.breakdown:
        _subtotal(_cac(tax_total, "TaxSubtotal"), group, facts)
    totals = _cac(root, "LegalMonetaryTotal")
    _amount(totals, "LineExtensionAmount", facts.net_total, facts)
    _amount(totals, "TaxExclusiveAmount", facts.net_total, facts)
    _amount(totals, "TaxInclusiveAmount", facts.grand_total, facts)
    _amount(totals, "PayableAmount", facts.grand_total, facts)
    for line in facts.lines:
        _line(_cac(root, "CreditNoteLine"), line, facts)
    xml: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return xml


def _cac(parent: etree._Element, name: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{CAC}}}{name}")


def _cbc(parent: etree._Element, name: str, text: str, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{CBC}}}{name}", attributes)
    element.text = xml_text(text)
    return element


def _amount(parent: etree._Element, name: str, amount: Decimal, facts: Content) -> None:
    _cbc(parent, name, f"{xml_amount(amount, facts.currency):f}", currencyID=facts.currency)


def _party(role: etree._Element, party: Party) -> None:
    target = _cac(role, "Party")
    if party.email:
        _cbc(target, "EndpointID", party.email, schemeID="EM")
    address = _cac(target, "PostalAddress")
    _cbc(address, "StreetName", party.address.line1)
    if party.address.line2:
        _cbc(address, "AdditionalStreetName", party.address.line2)
    _cbc(address, "CityName", party.address.city)
    _cbc(address, "PostalZone", party.address.postal_code)
    if party.address.country_subdivision:
        _cbc(address, "CountrySubentity", party.address.country_subdivision)
    _cbc(_cac(address, "Country"), "IdentificationCode", party.address.country)
    if party.vat_id:
        scheme = _cac(target, "PartyTaxScheme")
        _cbc(scheme, "CompanyID", party.vat_id)
        _cbc(_cac(scheme, "TaxScheme"), "ID", "VAT")
    legal = _cac(target, "PartyLegalEntity")
    _cbc(legal, "RegistrationName", party.name)
    if party.legal_registration_id:
        _cbc(legal, "CompanyID", party.legal_registration_id)


def _category(parent: etree._Element, name: str, category: str, rate: Decimal | None) -> etree._Element:
    element = _cac(parent, name)
    _cbc(element, "ID", category)
    assert rate is not None  # check_representable refused a line without one
    _cbc(element, "Percent", rate_text(rate))
    return element


def _subtotal(subtotal: etree._Element, group: VatGroup, facts: Content) -> None:
    _amount(subtotal, "TaxableAmount", group.basis, facts)
    _amount(subtotal, "TaxAmount", group.tax, facts)
    category = _category(subtotal, "TaxCategory", group.category, group.rate)
    if group.exemption_reason:
        _cbc(category, "TaxExemptionReason", group.exemption_reason)
    _cbc(_cac(category, "TaxScheme"), "ID", "VAT")


def _line(element: etree._Element, line: DocumentLine, facts: Content) -> None:
    _cbc(element, "ID", str(line.number))
    _cbc(element, "CreditedQuantity", "1", unitCode=UNIT)
    _amount(element, "LineExtensionAmount", line.net_amount, facts)
    item = _cac(element, "Item")
    if line.description:
        _cbc(item, "Description", line.description)
    _cbc(item, "Name", line.name)
    if line.product_id:
        _cbc(_cac(item, "SellersItemIdentification"), "ID", line.product_id)
    category = _category(item, "ClassifiedTaxCategory", line.category, line.rate)
    _cbc(_cac(category, "TaxScheme"), "ID", "VAT")
    _amount(_cac(element, "Price"), "PriceAmount", line.net_amount, facts)
