"""One entry point for the document function: a credit note in the format asked for."""

from __future__ import annotations

from credit_memos.documents.model import CreditNote, DocumentFormat


def render(note: CreditNote, fmt: DocumentFormat) -> bytes:
    """The document's bytes. The XML formats raise NotRepresentable where EN 16931 cannot express
    the memo exactly; the PDF is then rendered without its XML."""
    # Each format imports only its own libraries.
    if fmt == "ubl":
        from credit_memos.documents.ubl import render_ubl

        return render_ubl(note)
    if fmt == "cii":
        from credit_memos.documents.cii import render_cii

        return render_cii(note)
    from credit_memos.documents.pdf import render_pdf

    return render_pdf(note)
