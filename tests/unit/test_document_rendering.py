"""Rendering a credit note: what the PDF, the CII and the UBL say, how taxes become VAT categories,
and the PDF/A-3 structure with the CII embedded as Factur-X."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from decimal import Decimal

import facturx
import pytest
from credit_memos.documents.model import CreditNote, NotRepresentable
from credit_memos.documents.render import render
from credit_memos.domain.inputs import TaxInput
from pypdf import PdfReader

from tests.builders import make_credit_note, make_memo

D = Decimal
RAM = "{urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100}"
CBC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"
CAC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2}"


def tax(amount: str, rate: str | None = None) -> TaxInput:
    return TaxInput(D(amount), tax_rate=None if rate is None else D(rate))


def mixed_note(**kwargs: object) -> CreditNote:
    memo = make_memo(
        ("100.00", [tax("19.00", "19")]),
        ("40.00", [tax("2.80", "7")]),
        ("10.00", [tax("0.00", "0")]),
        ("5.00", []),
        currency="EUR",
    )
    return make_credit_note(memo, **kwargs)  # type: ignore[arg-type]


def pdf_text(pdf: bytes) -> str:
    if shutil.which("pdftotext"):
        done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
        return done.stdout.decode("utf-8")
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def breakdown(cii: bytes) -> list[tuple[str, str, str, str]]:
    """(category, rate, basis, tax) of each CII VAT breakdown entry."""
    settlement = ET.fromstring(cii).find(f".//{RAM}ApplicableHeaderTradeSettlement")
    assert settlement is not None
    return [
        (
            entry.findtext(f"{RAM}CategoryCode", ""),
            entry.findtext(f"{RAM}RateApplicablePercent", ""),
            entry.findtext(f"{RAM}BasisAmount", ""),
            entry.findtext(f"{RAM}CalculatedAmount", ""),
        )
        for entry in settlement.findall(f"{RAM}ApplicableTradeTax")
    ]


# ---------------------------------------------------------------- the PDF


def test_pdf_is_pdf_a_3_with_the_cii_embedded_as_factur_x_byte_for_byte() -> None:
    note = mixed_note()
    pdf = render(note, "pdf")
    filename, embedded = facturx.get_facturx_xml_from_pdf(pdf, check_xsd=True)
    assert filename == "factur-x.xml"
    assert embedded == render(note, "cii")
    reader = PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")
    assert re.search(r"pdfaid:part(>|=\")3", xmp) and re.search(r"pdfaid:conformance(>|=\")B", xmp)
    assert "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#" in xmp
    assert re.search(r"fx:ConformanceLevel>EN 16931<", xmp)
    assert root["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"
    (filespec,) = [spec.get_object() for spec in root["/AF"]]
    assert filespec["/AFRelationship"] == "/Data" and filespec["/F"] == "factur-x.xml"
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            descendant = font.get_object()["/DescendantFonts"][0].get_object()
            assert "/FontFile2" in descendant["/FontDescriptor"], "every font is embedded (PDF/A)"


def test_pdf_shows_what_a_customer_needs() -> None:
    note = mixed_note()
    text = pdf_text(render(note, "pdf"))
    for expected in (
        "Credit note",
        note.memo.document_number,
        "INV-2026-0042",
        "2026-11-02",
        "2026-11-25",  # the day it was posted
        "Nordlicht Software GmbH",
        "DE811907980",
        "Zoë Łukasiewicz SARL",
        "Billing error",
        "Total net",
        "155.00 EUR",
        "21.80 EUR",
        "Total credited",
        "176.80 EUR",
        "Standard rate",
        "Zero rated",
        "Exempt from VAT",
    ):
        assert expected in text, expected
    assert "VOIDED" not in text


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("de", ("Gutschrift", "Berichtigte Rechnung", "02.11.2026", "176,80 EUR", "Rechnungsfehler")),
        ("fr", ("Avoir", "Facture rectifiée", "176,80 EUR", "Erreur de facturation", "Total TVA")),
    ],
)
def test_pdf_speaks_the_buyers_language(language: str, words: tuple[str, ...]) -> None:
    text = pdf_text(render(mixed_note(language=language), "pdf"))
    for word in words:
        assert word in text, word


def test_a_voided_memo_says_so_in_every_format() -> None:
    note = mixed_note(voided=True)
    assert "VOIDED" in pdf_text(render(note, "pdf"))
    assert "STORNIERT" in pdf_text(render(mixed_note(voided=True, language="de"), "pdf"))
    cii_notes = [
        n.findtext(f"{RAM}Content", "") for n in ET.fromstring(render(note, "cii")).iter(f"{RAM}IncludedNote")
    ]
    ubl_notes = [n.text or "" for n in ET.fromstring(render(note, "ubl")).iter(f"{CBC}Note")]
    assert any(n.startswith("VOIDED: Duplicate") for n in cii_notes)
    assert any(n.startswith("VOIDED: Duplicate") for n in ubl_notes)


def test_300_lines_run_over_pages_with_the_totals_at_the_end() -> None:
    memo = make_memo(*[("10.00", [tax("1.90", "19")])] * 300, currency="EUR")
    pdf = render(make_credit_note(memo), "pdf")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) > 3
    last = pdf_text(pdf).split("\f")
    assert "3,570.00 EUR" in "".join(last[-2:])  # 3,000.00 + 570.00 VAT
    assert f"1/{len(reader.pages)}" in last[0]


def test_what_en_16931_cannot_express_still_renders_as_a_pdf_without_xml() -> None:
    note = make_credit_note(make_memo(("1.235", [tax("0.000", "0")]), currency="KWD"))
    with pytest.raises(NotRepresentable):
        render(note, "cii")
    pdf = render(note, "pdf")
    reader = PdfReader(io.BytesIO(pdf))
    assert "/AF" not in reader.trailer["/Root"] and not reader.attachments
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    assert re.search(r"pdfaid:part(>|=\")3", xmp)
    assert "1.235 KWD" in pdf_text(pdf)


# ---------------------------------------------------------------- taxes as VAT categories


def test_each_rate_is_one_vat_breakdown_entry_zero_rated_is_z_and_no_tax_is_exempt() -> None:
    assert breakdown(render(mixed_note(), "cii")) == [
        ("S", "19", "100.00", "19.00"),
        ("S", "7", "40.00", "2.80"),
        ("Z", "0", "10.00", "0.00"),
        ("E", "0", "5.00", "0.00"),
    ]
    ubl = ET.fromstring(render(mixed_note(), "ubl"))
    reasons = [r.text for r in ubl.iter(f"{CBC}TaxExemptionReason")]
    assert reasons == ["Exempt from VAT"]


def test_a_tax_without_a_rate_gets_the_rate_its_amounts_show() -> None:
    memo = make_memo(("200.00", [tax("11.00")]), ("100.00", [tax("19.00")]), currency="EUR")
    assert breakdown(render(make_credit_note(memo), "cii")) == [
        ("S", "19", "100.00", "19.00"),
        ("S", "5.5", "200.00", "11.00"),
    ]


def test_a_lines_taxes_add_up_to_one_rate() -> None:
    memo = make_memo(("100.00", [tax("12.00", "12"), tax("7.00", "7")]), currency="EUR")
    assert breakdown(render(make_credit_note(memo), "cii")) == [("S", "19", "100.00", "19.00")]


def test_taxes_that_agree_with_no_rate_are_not_representable() -> None:
    memo = make_memo(("100.00", [tax("50.00", "19")]))
    with pytest.raises(NotRepresentable, match="19 %") as refused:
        render(make_credit_note(memo), "cii")
    assert refused.value.error_code == "NOT_REPRESENTABLE"


@pytest.mark.parametrize(
    ("currency", "charge", "expected"),
    [("JPY", "1000", ("S", "10", "1000", "100")), ("KWD", "1.230", ("S", "10", "1.23", "0.12"))],
)
def test_amounts_are_exact_in_the_currencys_minor_units(
    currency: str, charge: str, expected: tuple[str, ...]
) -> None:
    tax_amount = {"JPY": "100", "KWD": "0.120"}[currency]
    memo = make_memo((charge, [tax(tax_amount, "10")]), currency=currency)
    assert breakdown(render(make_credit_note(memo), "cii")) == [expected]


def test_the_preceding_invoice_is_referenced_when_known() -> None:
    cii = ET.fromstring(render(mixed_note(), "cii"))
    reference = cii.find(f".//{RAM}InvoiceReferencedDocument")
    assert reference is not None and reference.findtext(f"{RAM}IssuerAssignedID") == "INV-2026-0042"
    ubl = ET.fromstring(render(mixed_note(), "ubl"))
    assert ubl.findtext(f"{CAC}BillingReference/{CAC}InvoiceDocumentReference/{CBC}ID") == "INV-2026-0042"
    standalone = ET.fromstring(render(mixed_note(invoice_number=None, invoice_date=None), "ubl"))
    assert standalone.find(f"{CAC}BillingReference") is None
