"""The credit note as a PDF/A-3 page set in the buyer's language (fpdf2), with its CII XML embedded
as Factur-X (factur-x) when EN 16931 can express the memo, and a plain PDF/A-3 otherwise."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib.resources import files

import facturx
from fpdf import FPDF, FontFace
from fpdf.enums import Align, TableCellFillMode

from credit_memos.documents import texts
from credit_memos.documents.cii import render_cii
from credit_memos.documents.content import Content, content
from credit_memos.documents.model import CreditNote, Language, NotRepresentable, Party

FONT = "SourceSans"
_FONT_FILES = files("font_source_sans_pro") / "files"
MARGIN = 18.0
GREY = (235, 235, 235)
VOID_RED = (190, 30, 30)
_XML_LANG = {"en": "en-GB", "de": "de-DE", "fr": "fr-FR"}


class _Page(FPDF):
    """A4 pages whose footer names the seller, the credit note and the page."""

    footer_text = ""
    page_label = "Page"
    void_stamp: str | None = None
    line_headings: list[str] = []

    def header(self) -> None:
        if self.void_stamp:
            # Across every page, so no page of a void credit note can pass for a valid one.
            self.set_font(FONT, "B", 64)
            self.set_text_color(*VOID_RED)
            with self.local_context(fill_opacity=0.18, text_color=VOID_RED), self.rotation(35, 105, 160):
                self.text(38, 175, self.void_stamp)
            self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FONT, "", 8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 5, self.footer_text, align=Align.L)
        self.set_x(-MARGIN - 40)
        self.cell(40, 5, f"{self.page_label} {self.page_no()}/{{nb}}", align=Align.R)
        self.set_text_color(0, 0, 0)


def render_pdf(note: CreditNote) -> bytes:
    """The PDF; with factur-x.xml inside unless the XML formats would answer NotRepresentable."""
    facts = content(note)
    page = _page(note, facts)
    try:
        xml = render_cii(note)
    except NotRepresentable:
        return page
    result: bytes = facturx.generate_from_binary(
        page,
        xml,
        flavor="factur-x",
        level="en16931",
        check_xsd=False,  # drafthorse checked the same XSD when it wrote the XML
        pdf_metadata=_metadata(note, facts),
        lang=_XML_LANG[note.language],
    )
    return result


def _metadata(note: CreditNote, facts: Content) -> dict[str, str]:
    title = f"{texts.label('title', note.language)} {facts.number}"
    return {
        "author": note.seller.name,
        "keywords": "Factur-X, credit note",
        "title": f"{note.seller.name}: {title}",
        "subject": f"{title} ({facts.issue_date}) {note.seller.name} / {note.buyer.name}",
    }


def _page(note: CreditNote, facts: Content) -> bytes:
    language = note.language
    pdf = _Page(format="A4", unit="mm", enforce_compliance="PDF/A-3B")
    pdf.add_font(FONT, "", str(_FONT_FILES / "SourceSansPro-Regular.ttf"))
    pdf.add_font(FONT, "B", str(_FONT_FILES / "SourceSansPro-Bold.ttf"))
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_creation_date(_posted(note, facts))
    pdf.set_lang(_XML_LANG[language])
    pdf.set_title(f"{texts.label('title', language)} {facts.number}")
    pdf.set_author(note.seller.name)
    pdf.footer_text = f"{note.seller.name} · {texts.label('title', language)} {facts.number}"
    pdf.page_label = texts.label("page", language)
    pdf.void_stamp = texts.label("voided", language) if facts.voided else None
    pdf.add_page()
    _heading(pdf, note, facts)
    _lines(pdf, facts, language)
    _vat_and_totals(pdf, facts, language)
    pdf.ln(6)
    pdf.set_font(FONT, "", 9)
    pdf.multi_cell(0, 5, texts.label("terms", language), align=Align.L)
    return bytes(pdf.output())


def _posted(note: CreditNote, facts: Content) -> datetime:
    stamp = note.memo.posted_at or f"{facts.issue_date}T00:00:00Z"
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(UTC)


def _party_lines(party: Party, language: Language) -> list[str]:
    address = party.address
    lines = [address.line1]
    if address.line2:
        lines.append(address.line2)
    city = f"{address.postal_code} {address.city}".strip()
    lines.append(f"{city}, {address.country_subdivision}" if address.country_subdivision else city)
    lines.append(address.country)
    if party.vat_id:
        lines.append(f"{texts.label('vat_id', language)}: {party.vat_id}")
    if party.legal_registration_id:
        lines.append(f"{texts.label('registration', language)}: {party.legal_registration_id}")
    if party.email:
        lines.append(party.email)
    return lines


def _block(
    pdf: FPDF, x: float, y: float, width: float, caption: str, party: Party, language: Language
) -> float:
    pdf.set_xy(x, y)
    pdf.set_font(FONT, "", 8)
    pdf.set_text_color(110, 110, 110)
    pdf.cell(width, 4, caption.upper(), new_x="LEFT", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(FONT, "B", 11)
    pdf.multi_cell(width, 5, party.name, align=Align.L, new_x="LEFT", new_y="NEXT")
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(
        width, 4.6, "\n".join(_party_lines(party, language)), align=Align.L, new_x="LEFT", new_y="NEXT"
    )
    return pdf.get_y()


def _heading(pdf: FPDF, note: CreditNote, facts: Content) -> None:
    language = note.language
    half = (pdf.epw - 10) / 2
    right = MARGIN + half + 10
    seller_end = _block(pdf, MARGIN, MARGIN, half, texts.label("seller", language), note.seller, language)
    pdf.set_xy(right, MARGIN)
    pdf.set_font(FONT, "B", 22)
    pdf.cell(half, 10, texts.label("title", language), new_x="LEFT", new_y="NEXT")
    if facts.voided:
        pdf.set_text_color(*VOID_RED)
        pdf.cell(half, 8, texts.label("voided", language), new_x="LEFT", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
    facts_rows = [
        (texts.label("number", language), facts.number),
        (texts.label("date", language), texts.date(facts.issue_date, language)),
    ]
    if note.preceding_invoice_number:
        invoice = note.preceding_invoice_number
        if note.preceding_invoice_date:
            invoice += f" {texts.label('of', language)} {texts.date(note.preceding_invoice_date, language)}"
        facts_rows.append((texts.label("invoice", language), invoice))
    facts_rows.append((texts.label("account", language), note.memo.billing_account_id))
    for caption, value in facts_rows:
        pdf.set_x(right)
        pdf.set_font(FONT, "", 9)
        pdf.cell(36, 5.5, caption)
        pdf.set_font(FONT, "B", 10)
        pdf.multi_cell(half - 36, 5.5, value, align=Align.L, new_x="LEFT", new_y="NEXT")
    top = max(seller_end, pdf.get_y()) + 8
    buyer_end = _block(pdf, MARGIN, top, half, texts.label("buyer", language), note.buyer, language)
    pdf.set_xy(MARGIN, buyer_end + 6)
    _reasons(pdf, note, language)


def _reasons(pdf: FPDF, note: CreditNote, language: Language) -> None:
    memo = note.memo
    rows: list[tuple[str, str]] = []
    if memo.status == "Voided":
        why = texts.reason(memo.void_reason_code, language) if memo.void_reason_code else ""
        rows.append((texts.label("void_reason", language), why or texts.label("voided", language)))
    if memo.reason_code:
        rows.append((texts.label("reason", language), texts.reason(memo.reason_code, language)))
    if memo.description:
        rows.append(("", memo.description))
    for caption, value in rows:
        pdf.set_font(FONT, "B", 10)
        pdf.cell(30, 5.5, caption)
        pdf.set_font(FONT, "", 10)
        pdf.multi_cell(0, 5.5, value, align=Align.L, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)


# The line table's columns: label, width (mm), alignment. Drawn row by row rather than with
# fpdf2's table(), which measures every cell of every row twice: the cost of a 300-line memo.
LINE_COLUMNS = (
    ("line", 10, Align.R),
    ("item", 98, Align.L),
    ("quantity", 14, Align.R),
    ("vat_rate", 22, Align.R),
    ("net", 30, Align.R),
)
ROW_HEIGHT = 4.2
CELL_PADDING = 1.5
ROW_PADDING = 0.8


def _line_row(pdf: _Page, cells: list[str], *, heading: bool = False) -> None:
    """One row of the line table: the item column wraps, the others are one line each."""
    item_width = LINE_COLUMNS[1][1] - 2 * CELL_PADDING
    item = cells[1]
    item_lines = [item]
    if "\n" in item or pdf.get_string_width(item) > item_width:
        wrapped = pdf.multi_cell(item_width, ROW_HEIGHT, item, dry_run=True, output="LINES")
        item_lines = wrapped if isinstance(wrapped, list) else [item]
    height = len(item_lines) * ROW_HEIGHT + 2 * ROW_PADDING
    if not heading and pdf.will_page_break(height):
        pdf.add_page()
        _line_heading(pdf, pdf.line_headings)
    top = pdf.get_y()
    if heading:
        pdf.set_fill_color(*GREY)
        pdf.rect(MARGIN, top, pdf.epw, height, style="F")
        pdf.set_fill_color(255, 255, 255)
    x = MARGIN
    for index, ((_, width, align), text) in enumerate(zip(LINE_COLUMNS, cells, strict=True)):
        pdf.set_xy(x + CELL_PADDING, top + ROW_PADDING)
        if index == 1:
            pdf.multi_cell(item_width, ROW_HEIGHT, "\n".join(item_lines), align=Align.L)
        else:
            _fitted_cell(pdf, width - 2 * CELL_PADDING, ROW_HEIGHT, text, align)
        x += width
    pdf.line(MARGIN, top + height, MARGIN + pdf.epw, top + height)
    pdf.set_y(top + height)


def _fitted_cell(pdf: FPDF, width: float, height: float, text: str, align: Align) -> None:
    """A one-line cell whose text shrinks to its width (an amount near 10^15 is that wide)."""
    size = pdf.font_size_pt
    while pdf.get_string_width(text) > width and pdf.font_size_pt > 5:
        pdf.set_font_size(pdf.font_size_pt - 0.5)
    pdf.cell(width, height, text, align=align)
    pdf.set_font_size(size)


def _line_heading(pdf: _Page, labels: list[str]) -> None:
    pdf.set_font(FONT, "B", 9)
    _line_row(pdf, labels, heading=True)
    pdf.set_font(FONT, "", 9)


def _lines(pdf: _Page, facts: Content, language: Language) -> None:
    pdf.line_headings = [texts.label(key, language) for key, _, _ in LINE_COLUMNS]
    pdf.set_draw_color(160, 160, 160)
    pdf.set_line_width(0.2)
    _line_heading(pdf, pdf.line_headings)
    for line in facts.lines:
        parts = [line.name, line.description, line.product_id if line.product_id != line.name else None]
        item = "\n".join(part.strip() for part in parts if part and part.strip())
        rate = texts.rate(line.rate, language) if line.category != "E" else texts.label("exempt", language)
        _line_row(
            pdf, [str(line.number), item, "1", rate, texts.amount(line.net_amount, facts.currency, language)]
        )


def _vat_and_totals(pdf: FPDF, facts: Content, language: Language) -> None:
    pdf.ln(6)
    # The breakdown and the totals stay together on one page (heading, rows, totals, terms).
    if pdf.will_page_break(6 + 6.5 * (len(facts.breakdown) + 1) + 4 + 3 * 7 + 12):
        pdf.add_page()
    pdf.set_font(FONT, "B", 10)
    pdf.cell(0, 6, texts.label("vat_breakdown", language), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)
    with pdf.table(
        col_widths=(60, 24, 45, 45),
        text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT"),
        headings_style=FontFace(emphasis="BOLD", fill_color=GREY),
        cell_fill_mode=TableCellFillMode.NONE,
        line_height=4.2,
        borders_layout="HORIZONTAL_LINES",
        padding=(0.7, 1.5, 0.7, 1.5),
    ) as table:
        heading = table.row()
        for key in ("vat_category", "vat_rate", "basis", "tax"):
            heading.cell(texts.label(key, language))
        for group in facts.breakdown:
            row = table.row()
            row.cell(texts.label(group.category, language))
            row.cell(texts.rate(group.rate, language))
            row.cell(texts.amount(group.basis, facts.currency, language))
            row.cell(texts.amount(group.tax, facts.currency, language))
    pdf.ln(4)
    totals = (
        ("net_total", facts.net_total, ""),
        ("tax_total", facts.tax_total, ""),
        ("grand_total", facts.grand_total, "B"),
    )
    for key, value, style in totals:
        pdf.set_x(pdf.w - MARGIN - 100)
        pdf.set_font(FONT, style, 12 if style else 10)
        pdf.cell(55, 7 if style else 6, texts.label(key, language), align=Align.L)
        _fitted_cell(pdf, 45, 7 if style else 6, texts.amount(value, facts.currency, language), Align.R)
        pdf.ln()
