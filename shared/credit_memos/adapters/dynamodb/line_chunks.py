"""A document's lines as chunk items beside its header: the layout, the chunks a write changes, and
a document put back together from what a read found."""

from __future__ import annotations

import dataclasses
from typing import Any

from credit_memos.adapters.dynamodb.dataclass_dicts import as_dict
from credit_memos.adapters.dynamodb.document_items import as_int, document_from_item, stored_item
from credit_memos.adapters.dynamodb.keys import lines_key
from credit_memos.domain.documents import CreditMemo, CreditMemoLine, Invoice, InvoiceLine
from credit_memos.ports import Document, Stored

# A document is stored as a header item (everything but its lines) and its lines in chunk items of
# ``LINES_PER_CHUNK`` lines each, under the header's pk: a change to one line rewrites the header
# and one chunk, not the whole document. The size weighs a one-line change, the rounding of many
# small items in a whole-document write, and DynamoDB's 100 items per transaction for the largest
# writes (docs/design.md "Table design", "Why 8 lines").
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
    """The items one document's write puts (its header first)."""

    header: dict[str, Any]
    chunks: list[dict[str, Any]]
    lines: StoredLines | None  # what the table holds of its lines once the write commits

    @property
    def puts(self) -> list[dict[str, Any]]:
        return [self.header, *self.chunks]


_LINE_DEFAULTS: dict[type, dict[str, Any]] = {}


def _stored_line(line: InvoiceLine | CreditMemoLine) -> dict[str, Any]:
    """A line as a chunk holds it: without the fields that hold their dataclass default (None, 0,
    no taxes), which a read gives back (``document_from_item``). Most of a line's amounts are 0 until credit
    moves (an invoice line has six tallies), so this halves a typical chunk. (A field's default
    is therefore part of the stored format: changing one would change what old lines read as.)"""
    defaults = _LINE_DEFAULTS.get(type(line))
    if defaults is None:
        defaults = _LINE_DEFAULTS[type(line)] = {
            f.name: f.default if f.default_factory is dataclasses.MISSING else f.default_factory()
            for f in dataclasses.fields(line)
            if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        }
    data = as_dict(line)
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
    them without a read, or when the read was one whole item).

    A document's lines are fixed when it is created, so a write never has fewer chunks than the
    read: refusing one keeps every write a Put (no role may delete an item, docs/design.md)."""
    header = stored_item(doc)
    header["version"] = version
    if not isinstance(doc, Invoice | CreditMemo):
        return DocumentWrite(header, [], None)
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
    if len(chunks) < len(old or ()):
        raise ValueError(f"{header['pk']}: a stored document's lines are fixed; it cannot lose lines")
    header[CHUNK_VERSIONS] = versions
    return DocumentWrite(header, puts, StoredLines(chunks, versions))


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
    versions = [as_int(v) for v in header[CHUNK_VERSIONS]]
    parts: list[list[dict[str, Any]]] = []
    for key, version in zip(chunk_keys(header), versions, strict=True):
        chunk = chunks.get(key["sk"])
        if chunk is None or as_int(chunk["version"]) != version:
            return None
        parts.append(chunk["lines"])
    doc = document_from_item(header | {"lines": [line for part in parts for line in part]})
    return doc, StoredLines(parts, versions)
