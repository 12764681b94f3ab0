"""Items <-> domain objects, and DynamoDB's attribute values <-> Python values."""

from __future__ import annotations

import copy
import dataclasses
import json
import zlib
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from credit_memos.adapters.dynamodb.keys import (
    NUMBER_ATTRIBUTE,
    account_partition,
    claim_key,
    entry_key,
    history_partition,
    idempotency_key,
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
from credit_memos.errors import InternalError
from credit_memos.ports import Document, IdempotencyRecord, Stored

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

# Stored responses longer than this are compressed.
COMPRESS_BODY_OVER = 16_000

# What the indexes GSI3 and GSI4 hold besides their keys and the table's (template.yaml lists the
# same names; tests/template checks it): the fields a list shows of an invoice or a memo (the
# views without lines), and an application entry's ``records`` when they are small. Lines, the
# outbox, versions and large records are not copied into the indexes (docs/design.md "Indexes").
INDEXED_ATTRIBUTES = (
    "entity",
    "id",
    "billing_account_id",
    "currency",
    "status",
    "settlement_level",
    "source_action",
    "reference_invoice_id",
    "invoice_date",
    "effective_date",
    "due_date",
    "description",
    "external_reference",
    "total_charge_amount",
    "total_tax_amount",
    "total_amount_with_tax",
    "total_converted_neg_amount",
    "net_credits_applied",
    "net_payments_applied",
    "balance",
    "line_count",
    "created_at",
    "updated_at",
    "document_number",
    "reason_code",
    "void_reason_code",
    "created_by",
    "voided_by",
    "credit_memo_id",
    "invoice_id",
    "level",
    "ordinal",
    "records",
)
# An entry's records are stored under ``records`` (indexed) up to this size, under
# ``records_unindexed`` above it: an index copy then stays within one write unit, and a history
# page reads a large entry from the table instead.
INDEXED_RECORDS_BYTES = 600


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
_IMMUTABLE = (str, int, Decimal, bool, float, type(None))


def _as_dict(value: Any) -> Any:
    """``dataclasses.asdict`` without its per-value ``copy.deepcopy`` (the same result, ~5x faster).

    Documents hold str, Decimal, int and None (immutable, so shared rather than copied), lists
    and nested dataclasses; anything else is still deep-copied as ``asdict`` would.
    """
    kind = type(value)
    names = _FIELD_NAMES.get(kind)
    if names is None:
        if kind in _IMMUTABLE:
            return value
        if kind is list:
            return [_as_dict(v) for v in value]
        if kind is dict:
            return {_as_dict(k): _as_dict(v) for k, v in value.items()}
        if kind is tuple:
            return tuple(_as_dict(v) for v in value)
        if not dataclasses.is_dataclass(value) or isinstance(value, type):
            return copy.deepcopy(value)
        names = _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(value))
    return {name: _as_dict(getattr(value, name)) for name in names}


def records_attribute(records: list[dict[str, Any]]) -> str:
    """Where an entry keeps its records: ``records`` (indexed) if they are small."""
    small = len(json.dumps(records, separators=(",", ":"), default=str)) <= INDEXED_RECORDS_BYTES
    return "records" if small else "records_unindexed"


def document_item(doc: Document) -> dict[str, Any]:
    data = _as_dict(doc)
    if isinstance(doc, Invoice | CreditMemo):
        del data["listed_line_count"]
        data["line_count"] = len(doc.lines)
    if isinstance(doc, Invoice):
        data["lines"] = [_without_none(line) for line in data["lines"]]
        sort = f"{doc.invoice_date}#{doc.id}"
        keys = invoice_key(doc.id) | {
            "entity": "Invoice",
            "gsi1pk": account_partition("INVOICE", doc.billing_account_id),
            "gsi1sk": sort,
            "gsi2pk": account_partition("INVOICE", doc.billing_account_id, doc.status),
            "gsi2sk": sort,
        }
    elif isinstance(doc, CreditMemo):
        data["lines"] = [_without_none(line) for line in data["lines"]]
        if data[NUMBER_ATTRIBUTE] is None:
            del data[NUMBER_ATTRIBUTE]  # the number index's key: absent (not NULL) until numbered
        sort = f"{doc.effective_date}#{doc.id}"
        keys = memo_key(doc.id) | {
            "entity": "CreditMemo",
            "gsi1pk": account_partition("MEMO", doc.billing_account_id),
            "gsi1sk": sort,
            "gsi2pk": account_partition("MEMO", doc.billing_account_id, doc.status),
            "gsi2sk": sort,
        }
    else:
        records = [_without_none(record) for record in data.pop("records")]
        data[records_attribute(records)] = records
        sort = f"{doc.created_at}#{doc.ordinal:04d}#{doc.id}"
        keys = entry_key(doc.id) | {
            "entity": "ApplicationEntry",
            "gsi1pk": history_partition("MEMO", doc.credit_memo_id),
            "gsi1sk": sort,
            "gsi2pk": history_partition("INVOICE", doc.invoice_id),
            "gsi2sk": sort,
        }
    return data | keys


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
    invoice's payment list reads it from GSI4 without new projected attributes."""
    data = _without_none(_as_dict(record))
    version = data.pop("version")
    records = [data]
    return payment_key(record.id) | {
        "entity": "InvoicePayment",
        "id": record.id,
        "invoice_id": record.invoice_id,
        "created_at": record.created_at,
        "version": version,
        records_attribute(records): records,
        "gsi2pk": payments_partition(record.invoice_id),
        "gsi2sk": f"{record.sequence:012d}#{record.created_at}#{record.id}",
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
    record.version, record.sequence = _to_int(data.get("version", 0)), _to_int(record.sequence)
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
        version=_to_int(data["version"]),
    )


def stored_item(doc: Stored) -> dict[str, Any]:
    """The item of anything a unit of work writes (documents, payment records, claims)."""
    if isinstance(doc, InvoicePayment):
        return payment_item(doc)
    if isinstance(doc, PaymentReferenceClaim):
        return claim_item(doc)
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
    return NumberSeries(prefix=data["prefix"], last=_to_int(data["last"]), version=_to_int(data["version"]))


def _build(cls: Any, data: dict[str, Any]) -> Any:
    fields = _DOC_FIELDS[cls]
    return cls(**{k: v for k, v in data.items() if k in fields})


def _to_int(value: Any) -> int:
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
    doc.listed_line_count = _to_int(data["line_count"])
    return doc


def document_from_item(data: dict[str, Any]) -> Document:
    entity = data.get("entity")
    if entity == "Invoice":
        invoice = _build(Invoice, data)
        invoice.lines = [_build(InvoiceLine, line) for line in data["lines"]]
        invoice.version, invoice.sequence = _to_int(invoice.version), _to_int(invoice.sequence)
        return invoice
    if entity == "CreditMemo":
        memo = _build(CreditMemo, data)
        memo.lines = []
        for line in data["lines"]:
            memo_line = _build(CreditMemoLine, line)
            memo_line.taxes = [_build(TaxDetail, tax) for tax in line.get("taxes", [])]
            memo.lines.append(memo_line)
        memo.version, memo.sequence = _to_int(memo.version), _to_int(memo.sequence)
        return memo
    if entity == "ApplicationEntry":
        records = data["records"] if "records" in data else data["records_unindexed"]
        entry = _build(ApplicationEntry, data | {"records": []})
        entry.records = [_build(ApplicationRecord, record) for record in records]
        entry.version, entry.ordinal = _to_int(entry.version), _to_int(entry.ordinal)
        return entry
    raise InternalError("unexpected item in the table")


def _attribute(value: Any) -> dict[str, Any]:
    """boto3's TypeSerializer, with the common types first (the same output, in a third of the time).

    Numbers, binary, sets and anything unusual still go through TypeSerializer, which checks that
    a number is exact for DynamoDB.
    """
    kind = type(value)
    if kind is str:
        return {"S": value}
    if kind is dict:
        return {"M": {k: _attribute(v) for k, v in value.items()}}
    if kind is list:
        return {"L": [_attribute(v) for v in value]}
    if value is None:
        return {"NULL": True}
    serialized: dict[str, Any] = _serializer.serialize(value)  # type: ignore[assignment]
    return serialized


def _value(attribute: dict[str, Any]) -> Any:
    """boto3's TypeDeserializer, with the common types first (the same output)."""
    if len(attribute) == 1:
        for kind, inner in attribute.items():
            if kind == "S":
                return inner
            if kind == "M":
                return {k: _value(v) for k, v in inner.items()}
            if kind == "L":
                return [_value(v) for v in inner]
    return _deserializer.deserialize(attribute)  # type: ignore[arg-type]


def serialize(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _attribute(v) for k, v in item.items()}


def deserialize(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _value(v) for k, v in item.items()}


def _size_of_value(value: Any) -> str:
    return "." * len(value) if isinstance(value, bytes | bytearray) else str(value)


def estimated_size(item: dict[str, Any]) -> int:
    """Bytes of the item as JSON (names + values; a number as its digits, binary as its raw bytes),
    an upper bound close to DynamoDB's own accounting.

    Top-level strings (a stored response body, the outbox) count their UTF-8 bytes without being
    encoded again as JSON (what DynamoDB counts; re-escaping a large body was the estimate's main
    cost), top-level numbers their digits; lists and maps are measured as JSON text.
    """
    size = 1  # the braces, less the last comma
    for name, value in item.items():
        kind = type(value)
        if kind is str:
            length = len(value.encode()) + 2
        elif kind is Decimal:
            length = len(str(value)) + 2
        elif kind is int:
            length = len(str(value))
        elif kind is bytes or kind is bytearray:
            length = len(value) + 2
        else:
            length = len(json.dumps(value, separators=(",", ":"), default=_size_of_value))
        size += len(name) + length + 4  # "name":value,
    return size


def idempotency_item(record: IdempotencyRecord) -> dict[str, Any]:
    body = json.dumps(record.body, separators=(",", ":"))
    # The response to a request on 300-line documents can be far larger than an item may be;
    # compressed (JSON of repeated shapes shrinks ~10x) it fits, so a key never makes it a 422.
    stored: dict[str, Any] = (
        {"body": body} if len(body) <= COMPRESS_BODY_OVER else {"bodyZ": zlib.compress(body.encode())}
    )
    return idempotency_key(record.operation, record.key) | {
        "entity": "IdempotencyRecord",
        "operation": record.operation,
        "fingerprint": record.fingerprint,
        "statusCode": record.status_code,
        **({"errorCode": record.error_code} if record.error_code is not None else {}),
        **stored,
        "createdAt": record.created_at,
        "expiresAt": record.expires_at,
    }


def idempotency_from_item(data: dict[str, Any]) -> IdempotencyRecord:
    return IdempotencyRecord(
        operation=data["operation"],
        key=data["pk"].split("#", 2)[2],
        fingerprint=data["fingerprint"],
        status_code=int(data["statusCode"]),
        body=json.loads(zlib.decompress(bytes(data["bodyZ"])).decode() if "bodyZ" in data else data["body"]),
        created_at=data["createdAt"],
        expires_at=int(data["expiresAt"]),
        error_code=data.get("errorCode"),
    )
