"""What operations are billed, by AWS's rules, measured from what the table holds before and after
each request on DynamoDB Local (docs/design.md "Table design" quotes the printed figures).

Every item a request added, changed or removed (the table scanned before and after) is billed as
AWS bills a transactional write: 2 units per started KB of the larger of its sizes before and after;
each index copy it adds, changes or removes 1 unit per started KB of the projected item (two when its
index key changes). The floor is the table part alone: each item the request changed, written once,
without index copies. Sizes and index rules are ``infra.bench.capacity``'s (unit-tested
against AWS's examples), the indexes those of template.yaml.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from credit_memos.adapters.dynamodb.keys import INDEXES
from credit_memos.adapters.dynamodb.line_chunks import LINES_ENTITY

from infra.bench.capacity import Schema, index_write_units, item_size, query_units, write_units
from infra.local.dynamodb_local import dynamodb_client
from tests.builders import create_invoice, create_memo
from tests.harness import Api, template
from tests.integration.support import (
    check,
    new_account,
)

pytestmark = pytest.mark.integration

LINES = 300
INVOICE_LINE = {"productId": "sku-{n}", "productName": "Annual plan, seat {n}", "description": "Seat {n}"}
SCHEMA = Schema.from_create_kwargs(template().tables()["CreditMemoTable"].create_kwargs)

Items = dict[tuple[str, str], dict[str, Any]]


def _lines(count: int = LINES) -> list[dict[str, Any]]:
    return [
        {"chargeAmount": "100.00", "taxAmount": "8.25", **{k: v.format(n=n) for k, v in INVOICE_LINE.items()}}
        for n in range(count)
    ]


def _charges(count: int = LINES) -> list[dict[str, Any]]:
    tax = {"taxAmount": "0.50", "taxCode": "VAT", "taxName": "Value added tax", "taxRate": "0.05"}
    return [
        {"chargeAmount": "10.00", "productName": f"Refund of seat {n}", "taxes": [tax]} for n in range(count)
    ]


def _table(client: Any, table: str) -> Items:
    items: Items = {}
    request: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        response = client.scan(**request)
        items |= {(i["pk"]["S"], i["sk"]["S"]): i for i in response["Items"]}
        if "LastEvaluatedKey" not in response:
            return items
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


class Bill:
    """What one request changed in the table, and its bill by AWS's rules."""

    def __init__(self, before: Items, after: Items) -> None:
        self.changed = {
            key: (before.get(key), after.get(key))
            for key in before.keys() | after.keys()
            if before.get(key) != after.get(key)
        }
        self.floor = sum(
            write_units(max(item_size(old), item_size(new)), transactional=len(self.changed) > 1)
            for old, new in self.changed.values()
        )
        self.index = sum(
            index_write_units(old, new, index, SCHEMA.table_keys)
            for old, new in self.changed.values()
            for index in SCHEMA.indexes
        )
        self.billed = self.floor + self.index

    def kinds(self) -> list[str]:
        """The entity of each item changed (sorted)."""
        return sorted(
            (new or old or {}).get("entity", {}).get("S", "?") for old, new in self.changed.values()
        )

    def sizes(self) -> list[tuple[str, int]]:
        """(entity, bytes) of each item changed, the larger of its sizes before and after."""
        return sorted(
            ((new or old or {}).get("entity", {}).get("S", "?"), max(item_size(old), item_size(new)))
            for old, new in self.changed.values()
        )

    def __str__(self) -> str:
        ratio = self.billed / self.floor if self.floor else 0
        return (
            f"{self.billed} WCU ({self.floor} table + {self.index} indexes; floor {self.floor}, "
            f"{ratio:.2f}x) over {len(self.changed)} items"
        )


def _billed(client: Any, table: str, request: Callable[[], Any]) -> tuple[Any, Bill]:
    before = _table(client, table)
    result = request()
    return result, Bill(before, _table(client, table))


def test_billed_units_of_writes_on_small_and_300_line_documents_and_of_a_list_page(
    api: Api, dynamodb_local_endpoint: str, table: str
) -> None:
    client = dynamodb_client(dynamodb_local_endpoint)
    account = new_account()
    invoices = [create_invoice(api, *_lines(), account=account, level="InvoiceLine") for _ in range(21)]
    memo, whole = (
        create_memo(api, *_charges(), account=account),
        create_memo(api, *_charges(), account=account),
    )
    key = {"Idempotency-Key": f"small-{account}"}
    apply = f"/credit-memos/{memo['id']}/actions/apply"

    # One line's worth of credit between two 300-line documents: two headers and the one chunk of
    # each whose line balance changes, the entry, its journal entry, the idempotency record and the
    # outbox item.
    body = {"applications": [{"invoiceId": invoices[0]["id"], "amount": "10.00"}]}
    _, small = _billed(client, table, lambda: check(api.post(apply, body, headers=key), 200))
    headers_and_chunks = ["CreditMemo", "CreditMemoLines", "Invoice", "InvoiceLines"]
    kinds = [*headers_and_chunks, "ApplicationEntry", "IdempotencyRecord", "JournalEntry", "Outbox"]
    assert small.kinds() == sorted(kinds)
    # A 300-line memo onto a 300-line invoice (InvoiceLine, ~300 records): every chunk of both.
    body = {"applications": [{"invoiceId": invoices[1]["id"]}]}
    key = {"Idempotency-Key": f"big-{account}"}
    path = f"/credit-memos/{whole['id']}/actions/apply"
    _, big = _billed(client, table, lambda: check(api.post(path, body, headers=key), 200))
    assert big.kinds().count("InvoiceLines") > 1 and big.kinds().count("CreditMemoLines") > 1

    # Small documents, without an Idempotency-Key.
    small_account = new_account()
    created, create = _billed(
        client, table, lambda: create_invoice(api, "100.00", "20.00", account=small_account)
    )
    draft_body = {
        "billingAccountId": small_account,
        "currency": "USD",
        "type": "Draft",
        "charges": [{"chargeAmount": "30.00", "productName": "Credit"}],
    }
    draft, create_memo_bill = _billed(
        client, table, lambda: check(api.post("/credit-memos", draft_body), 201)
    )
    _, post = _billed(
        client, table, lambda: check(api.post(f"/credit-memos/{draft['id']}/actions/post", {}), 200)
    )
    applied, small_apply = _billed(
        client,
        table,
        lambda: check(
            api.post(
                f"/credit-memos/{draft['id']}/actions/apply",
                {"applications": [{"invoiceId": created["id"], "amount": "10.00"}]},
            ),
            200,
        ),
    )
    record = applied["applications"][0]["id"]
    _, unapply = _billed(
        client, table, lambda: check(api.post(f"/credit-memo-applications/{record}/actions/unapply", {}), 200)
    )
    _, void = _billed(
        client, table, lambda: check(api.post(f"/credit-memos/{draft['id']}/actions/void", {}), 200)
    )
    assert small_apply.kinds() == [
        "ApplicationEntry",
        "CreditMemo",
        "Invoice",
        "JournalEntry",
        "Outbox",
    ]  # no chunk

    # The index copies of a page of 20 invoices, as the query reads them.
    index = INDEXES[0]
    request: dict[str, Any] = {
        "TableName": table,
        "IndexName": index.name,
        "KeyConditionExpression": "#pk = :pk",
        "ExpressionAttributeNames": {"#pk": index.pk},
        "ExpressionAttributeValues": {":pk": {"S": f"ACCOUNT#{account}#INVOICE"}},
    }
    copies: list[dict[str, Any]] = []
    while len(copies) < 20:
        # DynamoDB Local ends a page at 1 MB of whole items; AWS counts the index items read.
        response = client.query(**request, Limit=20 - len(copies))
        copies += response["Items"]
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    page_bytes = sum(item_size(i) for i in copies)
    read_units = query_units([item_size(i) for i in copies], consistent=False)
    assert all("lines" not in copy and "outbox" not in copy for copy in copies)
    assert not any(i.get("entity", {}).get("S") in LINES_ENTITY.values() for i in copies)

    print(f"\napply 10.00 between two 300-line documents: {small}")
    print("  items (entity: bytes):", ", ".join(f"{k}: {v}" for k, v in small.sizes()))
    print(f"apply a 300-line memo onto a 300-line invoice: {big}")
    for name, bill in (
        ("create invoice (2 lines)", create),
        ("create draft credit memo (1 line)", create_memo_bill),
        ("post credit memo (numbered)", post),
        ("apply 10.00 (invoice level, small documents)", small_apply),
        ("unapply it", unapply),
        ("void credit memo", void),
    ):
        print(f"{name}: {bill}")
    print(f"list page of 20 invoices of 300 lines: {page_bytes} bytes read from the index, {read_units} RCU")
    assert page_bytes < 1024 * 1024  # so AWS returns all 20 in one page
