"""Domain objects <-> their items: documents, application entries, payment records, claims and
number series (a document's lines: ``line_chunks``)."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from typing import Any

from credit_memos.adapters.dynamodb.dataclass_dicts import as_dict, fields_as_dict
from credit_memos.adapters.dynamodb.keys import (
    BY_ACCOUNT_INDEX,
    BY_STATUS_INDEX,
    NUMBER_ATTRIBUTE,
    account_partition,
    claim_key,
    entry_key,
    history_partition,
    invoice_key,
    memo_key,
    payment_key,
    payments_partition,
    series_key,
)
from credit_memos.domain.documents import (
    ApplicationEntry,
    ApplicationRecord,
    CreditMemo,
    CreditMemoLine,
    Invoice,
    InvoiceLine,
    InvoicePayment,
    NumberSeries,
    PaymentAllocation,
    PaymentReferenceClaim,
    TaxDetail,
)
from credit_memos.domain.refunds import CreditMemoRefund, RefundReferenceClaim
from credit_memos.errors import InternalError
from credit_memos.ports import Document, Stored

# An entry's records are stored under ``records`` (indexed) up to this size, under
# ``records_unindexed`` above it: an index copy then stays within one write unit, and a history
# page reads a large entry from the table instead.
INDEXED_RECORDS_BYTES = 600


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


# Made once: ``json.dumps`` with options builds a new encoder per call.
_RECORDS_JSON = json.JSONEncoder(separators=(",", ":"), default=str)


def records_attribute(records: list[dict[str, Any]]) -> str:
    """Where an entry keeps its records: ``records`` (indexed) if they are small."""
    small = len(_RECORDS_JSON.encode(records)) <= INDEXED_RECORDS_BYTES
    return "records" if small else "records_unindexed"


def document_item(doc: Document) -> dict[str, Any]:
    """The document's own item: an entry whole, an invoice's or memo's header (no lines: they are
    in its chunks, ``document_write``)."""
    if isinstance(doc, Invoice | CreditMemo):
        data = fields_as_dict(doc, _HEADER_FIELDS[type(doc)])
        data["line_count"] = len(doc.lines)
    else:
        data = as_dict(doc)
    if isinstance(doc, Invoice):
        key, entity = invoice_key(doc.id), "Invoice"
        by_account = account_partition("INVOICE", doc.billing_account_id)
        by_status = account_partition("INVOICE", doc.billing_account_id, doc.status)
        sort = f"{doc.invoice_date}#{doc.id}"
    elif isinstance(doc, CreditMemo):
        if data[NUMBER_ATTRIBUTE] is None:
            del data[NUMBER_ATTRIBUTE]  # the number index's key: absent (not NULL) until numbered
        key, entity = memo_key(doc.id), "CreditMemo"
        by_account = account_partition("MEMO", doc.billing_account_id)
        by_status = account_partition("MEMO", doc.billing_account_id, doc.status)
        sort = f"{doc.effective_date}#{doc.id}"
    else:
        records = [_without_none(record) for record in data.pop("records")]
        data[records_attribute(records)] = records
        key, entity = entry_key(doc.id), "ApplicationEntry"
        by_account = history_partition("MEMO", doc.credit_memo_id)  # the memo's history
        by_status = history_partition("INVOICE", doc.invoice_id)  # the invoice's history
        sort = f"{doc.created_at}#{doc.ordinal:04d}#{doc.id}"
    index_keys = {
        "entity": entity,
        BY_ACCOUNT_INDEX.pk: by_account,
        BY_ACCOUNT_INDEX.sk: sort,
        BY_STATUS_INDEX.pk: by_status,
        BY_STATUS_INDEX.sk: sort,
    }
    return data | key | index_keys


# What a header holds: every field of the document but its lines (and the list-only line count).
_HEADER_FIELDS = {
    cls: tuple(f.name for f in dataclasses.fields(cls) if f.name not in ("lines", "listed_line_count"))
    for cls in (Invoice, CreditMemo)
}

_DOC_FIELDS = {
    cls: {f.name for f in dataclasses.fields(cls)}
    for cls in (
        Invoice,
        InvoiceLine,
        CreditMemo,
        CreditMemoLine,
        TaxDetail,
        ApplicationEntry,
        ApplicationRecord,
        InvoicePayment,
    )
}


def payment_item(record: InvoicePayment) -> dict[str, Any]:
    """A Payment or Reversal record: its fields as one map under ``records`` (indexed, like an
    application entry's, when small) or ``records_unindexed`` (many line allocations), so the
    invoice's payment list reads it from its index without new projected attributes."""
    data = _without_none(as_dict(record))
    version = data.pop("version")
    records = [data]
    return payment_key(record.id) | {
        "entity": "InvoicePayment",
        "id": record.id,
        "invoice_id": record.invoice_id,
        "created_at": record.created_at,
        "version": version,
        records_attribute(records): records,
        BY_STATUS_INDEX.pk: payments_partition(record.invoice_id),
        BY_STATUS_INDEX.sk: f"{record.sequence:012d}#{record.created_at}#{record.id}",
    }


def payment_from_item(data: dict[str, Any]) -> InvoicePayment | None:
    """The record of a table or index item; None for an index item without its records (large)."""
    records = data.get("records", data.get("records_unindexed"))
    if records is None:
        return None
    fields = dict(records[0])
    allocations = [
        PaymentAllocation(a["invoice_line_id"], a["amount"]) for a in fields.pop("line_allocations", [])
    ]
    record: InvoicePayment = _build(InvoicePayment, fields)
    record.line_allocations = allocations
    record.version, record.sequence = as_int(data.get("version", 0)), as_int(record.sequence)
    return record


def claim_item(claim: PaymentReferenceClaim) -> dict[str, Any]:
    return claim_key(claim.invoice_id, claim.reference) | {
        "entity": "PaymentReferenceClaim",
        "invoice_id": claim.invoice_id,
        "reference": claim.reference,
        "payment_id": claim.payment_id,
        "version": claim.version,
    }


def claim_from_item(data: dict[str, Any]) -> PaymentReferenceClaim:
    return PaymentReferenceClaim(
        invoice_id=data["invoice_id"],
        reference=data["reference"],
        payment_id=data.get("payment_id"),
        version=as_int(data["version"]),
    )


def stored_item(doc: Stored) -> dict[str, Any]:
    """The item of anything a unit of work writes (documents, payment and refund records, claims)."""
    from credit_memos.adapters.dynamodb.refund_items import refund_claim_item, refund_item

    if isinstance(doc, InvoicePayment):
        return payment_item(doc)
    if isinstance(doc, PaymentReferenceClaim):
        return claim_item(doc)
    if isinstance(doc, CreditMemoRefund):
        return refund_item(doc)
    if isinstance(doc, RefundReferenceClaim):
        return refund_claim_item(doc)
    return document_item(doc)


def series_item(series: NumberSeries) -> dict[str, Any]:
    """The series as stored, at the version its write makes (read version + 1)."""
    return series_key(series.prefix) | {
        "entity": "NumberSeries",
        "prefix": series.prefix,
        "last": series.last,
        "version": series.version + 1,
    }


def series_from_item(data: dict[str, Any]) -> NumberSeries:
    return NumberSeries(prefix=data["prefix"], last=as_int(data["last"]), version=as_int(data["version"]))


def _build(cls: Any, data: dict[str, Any]) -> Any:
    fields = _DOC_FIELDS[cls]
    return cls(**{k: v for k, v in data.items() if k in fields})


def as_int(value: Any) -> int:
    """A number as read (a Decimal) or as built (an int), as an int."""
    return int(value) if isinstance(value, Decimal) else value


def listed_document(data: dict[str, Any]) -> Document | None:
    """A document from an index item, or None if the item lacks what a list returns.

    None for an entry whose records are not indexed (too large), and for an invoice or memo
    written before ``line_count`` was stored and not yet migrated: the caller reads those from
    the table. An item of an index projecting ALL is complete.
    """
    entity = data.get("entity")
    if entity == "ApplicationEntry":
        return document_from_item(data) if "records" in data or "records_unindexed" in data else None
    if "lines" in data:
        doc = document_from_item(data)
        assert isinstance(doc, Invoice | CreditMemo)
        doc.lines, doc.listed_line_count = [], len(doc.lines)
        return doc
    if "line_count" not in data:
        return None
    doc = document_from_item(data | {"lines": []})
    assert isinstance(doc, Invoice | CreditMemo)
    doc.listed_line_count = as_int(data["line_count"])
    if isinstance(doc, CreditMemo) and "net_refunds" not in data and doc.status != "Voided":
        # Not projected either: by the invariant of spec section 10 (a Voided memo has none).
        doc.net_refunds = doc.total_amount_with_tax - doc.net_credits_applied - doc.balance
    if isinstance(doc, Invoice) and "net_payments_applied" not in data:
        # Not projected (adding it would change both indexes' projection, which a deployed stack
        # cannot update in place): it follows from the invariant of spec section 8, exactly.
        doc.net_payments_applied = (
            doc.total_amount_with_tax - doc.total_converted_neg_amount - doc.net_credits_applied - doc.balance
        )
    return doc


def document_from_item(data: dict[str, Any]) -> Document:
    entity = data.get("entity")
    if entity == "Invoice":
        invoice = _build(Invoice, data)
        invoice.lines = [_build(InvoiceLine, line) for line in data["lines"]]
        invoice.version, invoice.sequence = as_int(invoice.version), as_int(invoice.sequence)
        return invoice
    if entity == "CreditMemo":
        memo = _build(CreditMemo, data)
        memo.lines = []
        for line in data["lines"]:
            memo_line = _build(CreditMemoLine, line)
            memo_line.taxes = [_build(TaxDetail, tax) for tax in line.get("taxes", [])]
            memo.lines.append(memo_line)
        memo.version, memo.sequence = as_int(memo.version), as_int(memo.sequence)
        return memo
    if entity == "ApplicationEntry":
        records = data["records"] if "records" in data else data["records_unindexed"]
        entry = _build(ApplicationEntry, data | {"records": []})
        entry.records = [_build(ApplicationRecord, record) for record in records]
        entry.version, entry.ordinal = as_int(entry.version), as_int(entry.ordinal)
        return entry
    raise InternalError("unexpected item in the table")
