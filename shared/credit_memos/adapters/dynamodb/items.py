"""Items <-> domain objects, and DynamoDB's attribute values <-> Python values."""

from __future__ import annotations

import copy
import dataclasses
import json
import zlib
from decimal import Clamped, Context, Decimal, Inexact, Overflow, Rounded, Underflow
from functools import lru_cache
from json.encoder import encode_basestring_ascii as _escaped
from typing import Any

from credit_memos.adapters.dynamodb.keys import (
    NUMBER_ATTRIBUTE,
    account_partition,
    claim_key,
    entry_key,
    history_partition,
    idempotency_key,
    invoice_key,
    lines_key,
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

# DynamoDB's numbers: 38 digits, exponents -130..125 (boto3.dynamodb.types.DYNAMODB_CONTEXT, the
# same context, which tests/unit compares). Defined here so that a handler never imports boto3.
DYNAMODB_CONTEXT = Context(
    Emin=-128, Emax=126, prec=38, traps=[Clamped, Overflow, Inexact, Rounded, Underflow]
)
_create_decimal = DYNAMODB_CONTEXT.create_decimal


@lru_cache(maxsize=1)
def _boto3_types() -> tuple[Any, Any]:
    """boto3's TypeSerializer and TypeDeserializer, for what the fast paths below do not handle
    (sets, and errors worded as boto3 words them); imported only then (importing ``boto3`` costs a
    cold start ~10 ms)."""
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

    return TypeSerializer(), TypeDeserializer()


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
_IMMUTABLE_KINDS = frozenset((str, int, Decimal, bool, float, type(None)))


def _as_dict(value: Any) -> Any:
    """``dataclasses.asdict`` without its per-value ``copy.deepcopy`` (the same result, ~5x faster).

    Documents hold str, Decimal, int and None (immutable, so shared rather than copied), lists
    and nested dataclasses; anything else is still deep-copied as ``asdict`` would.
    """
    kind = type(value)
    if kind in _IMMUTABLE_KINDS:
        return value
    names = _FIELD_NAMES.get(kind)
    if names is None:
        if kind is list:
            return [_as_dict(v) for v in value]
        if kind is dict:
            return {_as_dict(k): _as_dict(v) for k, v in value.items()}
        if kind is tuple:
            return tuple(_as_dict(v) for v in value)
        if not dataclasses.is_dataclass(value) or isinstance(value, type):
            return copy.deepcopy(value)
        names = _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(value))
    return _fields_as_dict(value, names)


def _fields_as_dict(value: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """``_as_dict`` of the named fields (immutable values taken as they are, without a call)."""
    data = {}
    for name in names:
        field = getattr(value, name)
        data[name] = field if type(field) in _IMMUTABLE_KINDS else _as_dict(field)
    return data


# A document is stored as a header item (everything but its lines) and its lines in chunk items of
# ``LINES_PER_CHUNK`` lines each, under the header's pk (docs/design.md "Table design"): a change to
# one line rewrites the header and one chunk, not the whole document. The size is the measured
# compromise (tests/integration/test_capacity.py at 5, 8, 10, 12, 20) between a one-line change (8
# typical lines are 1.4-1.8 KB: 4 write units in a transaction), the rounding of many small items
# in a whole-document write (8 is as cheap as 20 for a 300-line apply), and the items of the
# largest writes (every line of a 300-line memo onto a 300-line invoice: 2 headers + 2 x 38 chunks
# + 3, within DynamoDB's 100 items per transaction).
LINES_PER_CHUNK = 8
# The header's list of the version each chunk was last written at (its length is the chunk count);
# each chunk carries its own as ``version``. A read whose chunks do not match is torn (a write
# committed between the items' reads) and is read again, so a document read is one committed state.
CHUNK_VERSIONS = "chunk_versions"
LINES_ENTITY = {"Invoice": "InvoiceLines", "CreditMemo": "CreditMemoLines"}


@dataclasses.dataclass
class StoredLines:
    """What a read found of one document's lines, to write only the chunks that change.

    ``chunks``: each chunk item's ``lines`` as read; None for a document stored as one whole item
    (the layout before chunks: its next write writes every chunk). ``versions``: each chunk's.
    """

    chunks: list[list[dict[str, Any]]] | None
    versions: list[int] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class DocumentWrite:
    """The items one document's write puts (its header first) and the chunk keys it deletes."""

    header: dict[str, Any]
    chunks: list[dict[str, Any]]
    deletes: list[dict[str, str]]
    lines: StoredLines | None  # what the table holds of its lines once the write commits

    @property
    def puts(self) -> list[dict[str, Any]]:
        return [self.header, *self.chunks]


_LINE_DEFAULTS: dict[type, dict[str, Any]] = {}


def _stored_line(line: InvoiceLine | CreditMemoLine) -> dict[str, Any]:
    """A line as a chunk holds it: without the fields that hold their dataclass default (None, 0,
    no taxes), which a read gives back (``_build``). Most of a line's amounts are 0 until credit
    moves (an invoice line has six tallies), so this halves a typical chunk. (A field's default
    is therefore part of the stored format: changing one would change what old lines read as.)"""
    defaults = _LINE_DEFAULTS.get(type(line))
    if defaults is None:
        defaults = _LINE_DEFAULTS[type(line)] = {
            f.name: f.default if f.default_factory is dataclasses.MISSING else f.default_factory()
            for f in dataclasses.fields(line)
            if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        }
    data = _as_dict(line)
    return {
        name: value
        for name, value in data.items()
        if value is not None and (name not in defaults or value != defaults[name])
    }


def line_chunks(doc: Invoice | CreditMemo) -> list[list[dict[str, Any]]]:
    """The document's lines as its chunk items hold them."""
    lines = [_stored_line(line) for line in doc.lines]
    return [lines[start : start + LINES_PER_CHUNK] for start in range(0, len(lines), LINES_PER_CHUNK)]


def document_write(doc: Stored, *, version: int, read: StoredLines | None) -> DocumentWrite:
    """The items that store ``doc`` at ``version``: its header (the whole item of an entry, a
    payment record or a claim), and the chunks whose lines differ from those ``read`` (all of
    them without a read, or when the read was one whole item), and the keys of the chunks past
    its new chunk count."""
    header = stored_item(doc)
    header["version"] = version
    if not isinstance(doc, Invoice | CreditMemo):
        return DocumentWrite(header, [], [], None)
    chunks = line_chunks(doc)
    old = read.chunks if read is not None else None
    versions: list[int] = []
    puts: list[dict[str, Any]] = []
    entity = LINES_ENTITY[header["entity"]]
    for index, lines in enumerate(chunks):
        if old is not None and read is not None and index < len(old) and old[index] == lines:
            versions.append(read.versions[index])
            continue
        versions.append(version)
        puts.append(lines_key(header, index) | {"entity": entity, "version": version, "lines": lines})
    deletes = [lines_key(header, index) for index in range(len(chunks), len(old or ()))]
    header[CHUNK_VERSIONS] = versions
    return DocumentWrite(header, puts, deletes, StoredLines(chunks, versions))


def chunk_keys(header: dict[str, Any]) -> list[dict[str, str]]:
    """The keys of the chunks a header names (none for a whole-document item)."""
    return [lines_key(header, index) for index in range(len(header.get(CHUNK_VERSIONS, ())))]


def is_whole_document(data: dict[str, Any]) -> bool:
    """An invoice or memo item of the layout before chunks: its lines inside it."""
    return "lines" in data and data.get("entity") in LINES_ENTITY


def assemble(
    header: dict[str, Any], chunks: dict[str, dict[str, Any]]
) -> tuple[Document, StoredLines] | None:
    """The document of a header and its chunk items (by sort key), and what was read of its lines;
    None if the chunks are not those the header names (a torn read: read it again)."""
    if is_whole_document(header):
        return document_from_item(header), StoredLines(None)
    versions = [_to_int(v) for v in header[CHUNK_VERSIONS]]
    parts: list[list[dict[str, Any]]] = []
    for key, version in zip(chunk_keys(header), versions, strict=True):
        chunk = chunks.get(key["sk"])
        if chunk is None or _to_int(chunk["version"]) != version:
            return None
        parts.append(chunk["lines"])
    doc = document_from_item(header | {"lines": [line for part in parts for line in part]})
    return doc, StoredLines(parts, versions)


# One encoder each, made once: ``json.dumps`` with options builds a new encoder per call.
_RECORDS_JSON = json.JSONEncoder(separators=(",", ":"), default=str)
_BODY_JSON = json.JSONEncoder(separators=(",", ":"))


def records_attribute(records: list[dict[str, Any]]) -> str:
    """Where an entry keeps its records: ``records`` (indexed) if they are small."""
    small = len(_RECORDS_JSON.encode(records)) <= INDEXED_RECORDS_BYTES
    return "records" if small else "records_unindexed"


def document_item(doc: Document) -> dict[str, Any]:
    """The document's own item: an entry whole, an invoice's or memo's header (no lines: they are
    in its chunks, ``document_write``)."""
    if isinstance(doc, Invoice | CreditMemo):
        data = _fields_as_dict(doc, _HEADER_FIELDS[type(doc)])
        data["line_count"] = len(doc.lines)
    else:
        data = _as_dict(doc)
    if isinstance(doc, Invoice):
        sort = f"{doc.invoice_date}#{doc.id}"
        keys = invoice_key(doc.id) | {
            "entity": "Invoice",
            "gsi1pk": account_partition("INVOICE", doc.billing_account_id),
            "gsi1sk": sort,
            "gsi2pk": account_partition("INVOICE", doc.billing_account_id, doc.status),
            "gsi2sk": sort,
        }
    elif isinstance(doc, CreditMemo):
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

    Sets and anything unusual still go through TypeSerializer; numbers are checked as it checks
    them (exact within DynamoDB's 38 digits).
    """
    kind = type(value)
    if kind is str:
        return {"S": value}
    if kind is dict:
        return {"M": {k: {"S": v} if type(v) is str else _attribute(v) for k, v in value.items()}}
    if kind is list:
        return {"L": [{"S": v} if type(v) is str else _attribute(v) for v in value]}
    if kind is Decimal or kind is int:
        # TypeSerializer's number: exact within DynamoDB's 38 digits (its context traps the rest).
        number = str(_create_decimal(value))
        if number in ("Infinity", "NaN"):
            serialized: dict[str, Any] = _boto3_types()[0].serialize(value)  # raises its TypeError
            return serialized
        return {"N": number}
    if value is None:
        return {"NULL": True}
    if kind is bool:
        return {"BOOL": value}
    if kind is bytes or kind is bytearray:
        return {"B": value}
    unusual: dict[str, Any] = _boto3_types()[0].serialize(value)
    return unusual


def _value(attribute: dict[str, Any]) -> Any:
    """boto3's TypeDeserializer, with the common types first (the same output: like it, by the
    attribute's first type)."""
    for kind, inner in attribute.items():
        if kind == "S":
            return inner
        if kind == "N":
            return _create_decimal(inner)
        if kind == "M":
            return {k: _value(v) for k, v in inner.items()}
        if kind == "L":
            return [_value(v) for v in inner]
        if kind == "NULL":
            return None
        if kind == "BOOL":
            return inner
        if kind == "B":
            # TypeDeserializer gives a Binary; the only binary attribute (a stored response's
            # bodyZ) is read with bytes(), which takes either.
            return bytes(inner)
        break
    return _boto3_types()[1].deserialize(attribute)


def serialize(item: dict[str, Any]) -> dict[str, Any]:
    return {k: {"S": v} if type(v) is str else _attribute(v) for k, v in item.items()}


def deserialize(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _value(v) for k, v in item.items()}


def _size_of_value(value: Any) -> str:
    return "." * len(value) if isinstance(value, bytes | bytearray) else str(value)


_SIZE_JSON = json.JSONEncoder(separators=(",", ":"), default=_size_of_value)


def _json_length(value: Any) -> int:
    """``len(_SIZE_JSON.encode(value))``, counted without building the text for the shapes items
    hold (maps with string keys, lists, strings, Decimals, ints, None): about twice as fast."""
    kind = type(value)
    if kind is str:
        return len(_escaped(value))
    if kind is Decimal:
        return len(str(value)) + 2  # _size_of_value's text, quoted
    if kind is dict:
        length = 2 * len(value) + 1 if value else 2  # braces, colons and commas
        for key, inner in value.items():
            if type(key) is not str:
                return len(_SIZE_JSON.encode(value))
            length += len(_escaped(key)) + _json_length(inner)
        return length
    if kind is list:
        length = len(value) + 1 if value else 2  # brackets and commas
        for inner in value:
            length += _json_length(inner)
        return length
    if kind is int:
        return len(str(value))
    if value is None:
        return 4
    return len(_SIZE_JSON.encode(value))


def estimated_size(item: dict[str, Any]) -> int:
    """Bytes of the item as JSON (names + values; a number as its digits, binary as its raw bytes),
    an upper bound close to DynamoDB's own accounting.

    Top-level strings (a stored response body, the outbox) count their UTF-8 bytes without being
    encoded again as JSON (what DynamoDB counts; re-escaping a large body was the estimate's main
    cost), top-level numbers their digits; lists and maps are measured as JSON text.
    """
    # "name":value, per attribute, less the last comma, and the braces; the names' and the
    # top-level strings' lengths each summed in one call.
    size = 1 + 4 * len(item) + len("".join(item))
    strings = []
    for value in item.values():
        kind = type(value)
        if kind is str:
            strings.append(value)
            size += 2
        elif kind is Decimal:
            size += len(str(value)) + 2
        elif kind is int:
            size += len(str(value))
        elif kind is bytes or kind is bytearray:
            size += len(value) + 2
        else:
            size += _json_length(value)
    return size + len("".join(strings).encode())


def idempotency_item(record: IdempotencyRecord) -> dict[str, Any]:
    body = record.body_json
    # The API's text (non-ASCII as it is) is the stored text (all of it escaped) when it is
    # printable ASCII; else the body is encoded again.
    if body is None or not body.isascii() or "\x7f" in body:
        body = _BODY_JSON.encode(record.body)
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
