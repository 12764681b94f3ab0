"""The DynamoDB adapter's item layout: a document is a header item and line chunks under one pk
(docs/design.md "Table design"), on moto. What the table holds is checked, not the calls made.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest
from credit_memos.adapters.dynamodb.attribute_codec import deserialize, serialize
from credit_memos.adapters.dynamodb.document_items import document_item
from credit_memos.adapters.dynamodb.keys import INDEXES, PENDING_INDEX
from credit_memos.adapters.dynamodb.line_chunks import CHUNK_VERSIONS, LINES_PER_CHUNK
from credit_memos.adapters.dynamodb.repository import DynamoDbRepository
from credit_memos.adapters.outbox import OUTBOX_ATTRIBUTE
from credit_memos.domain.documents import Invoice
from credit_memos.ports import Changes

from tests.contract.test_repository_contract import invoice, memo
from tests.harness import TABLE_NAME

LINES = 300


@pytest.fixture
def client(moto_env: None) -> Any:
    return boto3.client("dynamodb", region_name="us-east-1")


@pytest.fixture
def repo(client: Any) -> Iterator[DynamoDbRepository]:
    yield DynamoDbRepository(client, TABLE_NAME)


def _partition(client: Any, pk: str) -> dict[str, dict[str, Any]]:
    """The items under ``pk`` by sort key (a scan: moto's table holds only this test's items)."""
    items = client.scan(TableName=TABLE_NAME)["Items"]
    return {item["sk"]: item for item in map(deserialize, items) if item["pk"] == pk}


def _chunk(index: int) -> str:
    return f"LINES#{index:04d}"


def test_a_one_line_change_writes_the_header_and_the_one_chunk_holding_the_line(
    repo: DynamoDbRepository, client: Any
) -> None:
    repo.commit(Changes(creates=[invoice("inv-1", lines=LINES)]))
    stored = _partition(client, "INVOICE#inv-1")
    chunks = -(-LINES // LINES_PER_CHUNK)
    assert set(stored) == {"INVOICE", *(_chunk(i) for i in range(chunks))}
    header = stored["INVOICE"]
    # The header is what lists and stream consumers read: the document's fields, no lines.
    assert "lines" not in header and header["line_count"] == LINES
    assert (header["entity"], header["billing_account_id"], header["balance"]) == ("Invoice", "acct-1", 3000)
    for chunk in (stored[_chunk(i)] for i in range(chunks)):
        assert chunk["entity"] == "InvoiceLines" and chunk["version"] == 0
        assert not {INDEXES[0].pk, INDEXES[1].pk, PENDING_INDEX.pk, OUTBOX_ATTRIBUTE} & set(chunk)
    assert sum(len(stored[_chunk(i)]["lines"]) for i in range(chunks)) == LINES

    found = repo.read(invoice_ids=["inv-1"])
    doc = found.invoices["inv-1"]
    doc.lines[123].balance, doc.balance = Decimal("0.00"), Decimal("2990.00")
    repo.commit(Changes(updates=[doc], stored=found.stored))

    after = _partition(client, "INVOICE#inv-1")
    changed = {sk for sk in after if after[sk] != stored[sk]}
    assert changed == {"INVOICE", _chunk(123 // LINES_PER_CHUNK)}
    assert after["INVOICE"]["version"] == 1 and after[_chunk(123 // LINES_PER_CHUNK)]["version"] == 1
    assert repo.read(invoice_ids=["inv-1"]).invoices["inv-1"] == doc


def test_a_read_across_a_concurrent_write_returns_one_committed_state(client: Any) -> None:
    """Header and chunks are read in separate requests; a write committed between them is seen
    whole or not at all, never as the old header with a new chunk."""
    writer = DynamoDbRepository(client, TABLE_NAME)
    writer.commit(Changes(creates=[invoice("inv-1", lines=3 * LINES_PER_CHUNK)]))

    class WriteBeforeSecondRead:
        def __init__(self) -> None:
            self.calls = 0

        def batch_get_item(self, **kwargs: Any) -> Any:
            self.calls += 1
            if self.calls == 2:  # the chunks past the first: another writer commits first
                doc = writer.read(invoice_ids=["inv-1"]).invoices["inv-1"]
                doc.lines[0].balance = doc.lines[-1].balance = Decimal("0.00")
                doc.balance -= Decimal("20.00")
                writer.commit(Changes(updates=[doc]))
            return client.batch_get_item(**kwargs)

    proxy = WriteBeforeSecondRead()
    read = DynamoDbRepository(proxy, TABLE_NAME).read(invoice_ids=["inv-1"]).invoices["inv-1"]
    assert proxy.calls > 2  # it was torn and read again
    assert read.version == 1 and read.balance == Decimal("10.00") * (3 * LINES_PER_CHUNK - 2)
    assert (read.lines[0].balance, read.lines[-1].balance) == (Decimal("0.00"), Decimal("0.00"))
    assert read == writer.read(invoice_ids=["inv-1"]).invoices["inv-1"]


def _whole_item(doc: Invoice) -> dict[str, Any]:
    """The document as the layout before chunks stored it: one item, every line inside (with its
    zero amounts), no chunk versions, and the outbox its last write left on it."""
    item = document_item(doc)
    del item["line_count"]
    lines = [{k: v for k, v in dataclasses.asdict(line).items() if v is not None} for line in doc.lines]
    return item | {"lines": lines, OUTBOX_ATTRIBUTE: "[]"}


def test_a_whole_document_item_reads_the_same_and_its_next_write_stores_header_and_chunks(
    repo: DynamoDbRepository, client: Any
) -> None:
    old = invoice("inv-1", lines=20)
    client.put_item(TableName=TABLE_NAME, Item=serialize(_whole_item(old)))
    doc = repo.read(invoice_ids=["inv-1"]).invoices["inv-1"]
    assert doc == old
    assert repo.list_invoices("acct-1", None, 10, None).items[0].line_count == 20

    doc.lines[0].balance, doc.balance = Decimal("1.00"), Decimal("191.00")
    repo.commit(Changes(updates=[doc]))
    stored = _partition(client, "INVOICE#inv-1")
    chunks = -(-20 // LINES_PER_CHUNK)
    assert set(stored) == {"INVOICE", *(_chunk(i) for i in range(chunks))}  # every chunk written
    header = stored["INVOICE"]
    assert "lines" not in header and OUTBOX_ATTRIBUTE not in header  # replaced, not updated
    assert (header["version"], header[CHUNK_VERSIONS]) == (1, [1] * chunks)
    assert repo.read(invoice_ids=["inv-1"]).invoices["inv-1"] == doc


def test_a_write_that_would_take_lines_off_a_document_is_refused_and_writes_nothing(
    repo: DynamoDbRepository, client: Any
) -> None:
    # Lines are fixed once a document exists, so the repository only ever puts items (no role
    # may delete one): a write with fewer chunks than it read is a bug, refused before any call.
    repo.commit(Changes(creates=[memo("cm-1")]))
    doc = repo.read(memo_ids=["cm-1"]).memos["cm-1"]
    doc.lines = [dataclasses.replace(doc.lines[0], id=f"cm-1-l{n}") for n in range(3 * LINES_PER_CHUNK)]
    repo.commit(Changes(updates=[doc]))
    found = repo.read(memo_ids=["cm-1"])
    before = _partition(client, "MEMO#cm-1")
    shorter = found.memos["cm-1"]
    shorter.lines = shorter.lines[:LINES_PER_CHUNK]
    with pytest.raises(ValueError, match="cannot lose lines"):
        repo.commit(Changes(updates=[shorter], stored=found.stored))
    assert _partition(client, "MEMO#cm-1") == before
