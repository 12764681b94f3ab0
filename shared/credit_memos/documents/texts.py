"""The words a credit note prints, in each buyer language, and how it writes amounts and dates."""

from __future__ import annotations

from decimal import Decimal

from credit_memos.documents.model import Language
from credit_memos.money import minor_units

LABELS: dict[str, dict[Language, str]] = {
    "title": {"en": "Credit note", "de": "Gutschrift", "fr": "Avoir"},
    "number": {"en": "Number", "de": "Nummer", "fr": "Numéro"},
    "date": {"en": "Date", "de": "Datum", "fr": "Date"},
    "invoice": {"en": "Corrected invoice", "de": "Berichtigte Rechnung", "fr": "Facture rectifiée"},
    "of": {"en": "of", "de": "vom", "fr": "du"},
    "reason": {"en": "Reason", "de": "Grund", "fr": "Motif"},
    "seller": {"en": "From", "de": "Von", "fr": "De"},
    "buyer": {"en": "To", "de": "An", "fr": "À"},
    "vat_id": {"en": "VAT ID", "de": "USt-IdNr.", "fr": "N° TVA"},
    "registration": {"en": "Registration", "de": "Registernummer", "fr": "Immatriculation"},
    "account": {"en": "Customer account", "de": "Kundenkonto", "fr": "Compte client"},
    "line": {"en": "#", "de": "Pos.", "fr": "N°"},
    "item": {"en": "Description", "de": "Beschreibung", "fr": "Désignation"},
    "quantity": {"en": "Qty", "de": "Menge", "fr": "Qté"},
    "vat_rate": {"en": "VAT", "de": "USt.", "fr": "TVA"},
    "net": {"en": "Net amount", "de": "Nettobetrag", "fr": "Montant HT"},
    "vat_breakdown": {"en": "VAT breakdown", "de": "Umsatzsteuer", "fr": "Détail de la TVA"},
    "vat_category": {"en": "Category", "de": "Kategorie", "fr": "Catégorie"},
    "basis": {"en": "Taxable amount", "de": "Bemessungsgrundlage", "fr": "Base HT"},
    "tax": {"en": "VAT amount", "de": "Steuerbetrag", "fr": "Montant TVA"},
    "net_total": {"en": "Total net", "de": "Summe netto", "fr": "Total HT"},
    "tax_total": {"en": "Total VAT", "de": "Summe USt.", "fr": "Total TVA"},
    "grand_total": {"en": "Total credited", "de": "Gutschriftsbetrag", "fr": "Total TTC crédité"},
    "voided": {"en": "VOIDED", "de": "STORNIERT", "fr": "ANNULÉ"},
    "void_reason": {"en": "Voided", "de": "Storniert", "fr": "Annulé"},
    "page": {"en": "Page", "de": "Seite", "fr": "Page"},
    "S": {"en": "Standard rate", "de": "Regelsatz", "fr": "Taux normal"},
    "Z": {"en": "Zero rated", "de": "Nullsatz", "fr": "Taux zéro"},
    "E": {"en": "Exempt from VAT", "de": "Steuerbefreit", "fr": "Exonéré de TVA"},
    "exempt": {"en": "Exempt", "de": "Befreit", "fr": "Exonéré"},
    "no_rate": {"en": "no single rate", "de": "kein einheitlicher Satz", "fr": "taux non uniforme"},
    "terms": {
        "en": "The amount is credited to your account.",
        "de": "Der Betrag wird Ihrem Kundenkonto gutgeschrieben.",
        "fr": "Le montant est porté au crédit de votre compte.",
    },
}

REASONS: dict[str, dict[Language, str]] = {
    "BillingError": {"en": "Billing error", "de": "Rechnungsfehler", "fr": "Erreur de facturation"},
    "Goodwill": {"en": "Goodwill", "de": "Kulanz", "fr": "Geste commercial"},
    "Duplicate": {"en": "Duplicate", "de": "Doppelte Berechnung", "fr": "Doublon"},
    "ProductReturn": {"en": "Product return", "de": "Warenrücksendung", "fr": "Retour de produit"},
    "ServiceIssue": {"en": "Service issue", "de": "Leistungsmangel", "fr": "Problème de service"},
    "PriceChange": {"en": "Price change", "de": "Preisänderung", "fr": "Changement de prix"},
    "Cancellation": {"en": "Cancellation", "de": "Kündigung", "fr": "Résiliation"},
    "Other": {"en": "Other", "de": "Sonstiges", "fr": "Autre"},
}

_DATE_FORMATS: dict[Language, str] = {
    "en": "{year}-{month}-{day}",
    "de": "{day}.{month}.{year}",
    "fr": "{day}/{month}/{year}",
}
_SEPARATORS: dict[Language, tuple[str, str]] = {"en": (",", "."), "de": (".", ","), "fr": ("\u202f", ",")}


def label(key: str, language: Language) -> str:
    return LABELS[key][language]


def reason(code: str, language: Language) -> str:
    return REASONS.get(code, {}).get(language, code)


def amount(value: Decimal, currency: str, language: Language) -> str:
    """1,234.50 EUR / 1.234,50 EUR / 1 234,50 EUR, in the currency's minor units."""
    digits = minor_units(currency)
    text = f"{value.quantize(Decimal(1).scaleb(-digits)):,f}"
    grouping, point = _SEPARATORS[language]
    text = text.replace(",", "\0").replace(".", point).replace("\0", grouping)
    return f"{text} {currency}"


def rate(value: Decimal | None, language: Language) -> str:
    if value is None:
        return label("no_rate", language)
    text = format(value.normalize(), "f")
    return f"{text.replace('.', _SEPARATORS[language][1])} %"


def date(iso: str, language: Language) -> str:
    """2026-12-01 / 01.12.2026 / 01/12/2026."""
    year, month, day = iso[:10].split("-")
    return _DATE_FORMATS[language].format(year=year, month=month, day=day)
