"""The credit note as a UN/CEFACT CII CrossIndustryInvoice (Factur-X / ZUGFeRD profile EN 16931),
built with drafthorse, which also checks it against the Factur-X EN 16931 XSD."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from drafthorse.models.accounting import ApplicableTradeTax
from drafthorse.models.document import Document
from drafthorse.models.note import IncludedNote
from drafthorse.models.party import TaxRegistration
from drafthorse.models.payment import PaymentTerms
from drafthorse.models.tradelines import LineItem

from credit_memos.documents.content import (
    PAYMENT_TERMS,
    Content,
    DocumentLine,
    VatGroup,
    check_representable,
    content,
    notes,
    xml_amount,
    xml_text,
)
from credit_memos.documents.model import CreditNote, Party

GUIDELINE = "urn:cen.eu:en16931:2017"
CREDIT_NOTE = "381"
UNIT = "C62"  # UN/ECE recommendation 20: one (a unit)
SCHEMA = "FACTUR-X_EN16931"


def render_cii(note: CreditNote) -> bytes:
    """The CII XML; NotRepresentable where EN 16931 cannot express the memo exactly."""
    facts = content(note)
    check_representable(note, facts)
    doc = Document()
    doc.context.guideline_parameter.id = GUIDELINE
    doc.header.id = xml_text(facts.number)
    doc.header.type_code = CREDIT_NOTE
    doc.header.issue_date_time = date.fromisoformat(facts.issue_date)
    for subject, text in notes(note):
        doc.header.notes.add(IncludedNote(content=text, subject_code=subject))
    for line in facts.lines:
        doc.trade.items.add(_line_item(line, facts))
    agreement = doc.trade.agreement
    agreement.buyer_reference = xml_text(note.memo.billing_account_id)
    _party(agreement.seller, note.seller)
    _party(agreement.buyer, note.buyer)
    settlement = doc.trade.settlement
    settlement.currency_code = facts.currency
    for group in facts.breakdown:
        settlement.trade_tax.add(_trade_tax(group, facts))
    settlement.terms.add(PaymentTerms(description=PAYMENT_TERMS))
    _totals(settlement.monetary_summation, facts)
    if note.preceding_invoice_number:
        reference = settlement.invoice_referenced_document
        reference.issuer_assigned_id = xml_text(note.preceding_invoice_number)
        if note.preceding_invoice_date:
            reference.issue_date_time = date.fromisoformat(note.preceding_invoice_date[:10])
    xml: bytes = doc.serialize(schema=SCHEMA)
    return xml


def _money(amount: Decimal, facts: Content) -> Decimal:
    return xml_amount(amount, facts.currency)


def _party(target: Any, party: Party) -> None:
    target.name = xml_text(party.name)
    if party.legal_registration_id:
        target.legal_organization.id = ("", xml_text(party.legal_registration_id))
    address = target.address
    address.postcode = xml_text(party.address.postal_code)
    address.line_one = xml_text(party.address.line1)
    if party.address.line2:
        address.line_two = xml_text(party.address.line2)
    address.city_name = xml_text(party.address.city)
    address.country_id = party.address.country
    if party.address.country_subdivision:
        address.country_subdivision = xml_text(party.address.country_subdivision)
    if party.email:
        target.electronic_address.uri_ID = ("EM", xml_text(party.email))
    if party.vat_id:
        target.tax_registrations.add(TaxRegistration(id=("VA", xml_text(party.vat_id))))


def _line_item(line: DocumentLine, facts: Content) -> LineItem:
    item = LineItem()
    item.document.line_id = str(line.number)
    if line.product_id:
        item.product.seller_assigned_id = ("", xml_text(line.product_id))
    item.product.name = xml_text(line.name)
    if line.description:
        item.product.description = xml_text(line.description)
    item.agreement.net.amount = _money(line.net_amount, facts)
    item.delivery.billed_quantity = (Decimal(1), UNIT)
    tax = item.settlement.trade_tax
    tax.type_code = "VAT"
    tax.category_code = line.category
    tax.rate_applicable_percent = _rate(line.rate)
    item.settlement.monetary_summation.total_amount = _money(line.net_amount, facts)
    return item


def _trade_tax(group: VatGroup, facts: Content) -> ApplicableTradeTax:
    tax = ApplicableTradeTax()
    tax.calculated_amount = _money(group.tax, facts)
    tax.type_code = "VAT"
    if group.exemption_reason:
        tax.exemption_reason = group.exemption_reason
    tax.basis_amount = _money(group.basis, facts)
    tax.category_code = group.category
    tax.rate_applicable_percent = _rate(group.rate)
    return tax


def _rate(rate: Decimal | None) -> Decimal:
    assert rate is not None  # check_representable refused a line without one
    return Decimal(format(rate.normalize(), "f"))


def _totals(summation: Any, facts: Content) -> None:
    summation.line_total = _money(facts.net_total, facts)
    summation.tax_basis_total = _money(facts.net_total, facts)
    summation.tax_total = (_money(facts.tax_total, facts), facts.currency)
    summation.grand_total = _money(facts.grand_total, facts)
    summation.due_amount = _money(facts.grand_total, facts)
