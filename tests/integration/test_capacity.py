"""What operations on 300-line documents are billed, by AWS's rules, measured from the items they
write on DynamoDB Local (docs/design.md "Indexes" quotes the printed figures).

AWS's rules: an item's size is its attribute names plus values (a string its UTF-8 bytes, a number
about one byte per two significant digits plus one, a list or map 3 bytes plus one per element);
a transactional write costs 2 units per started KB of the item, a change to an index copy 1 unit per
started KB of the projected item (keys plus projected attributes); an eventually consistent query
0.5 units per started 4 KB of what it reads. The floor of a write is 2 units per KB of each item it
changes, written once, without index copies (issue 14).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest
from credit_memos.adapters.dynamodb.items import INDEXED_ATTRIBUTES
from credit_memos.adapters.dynamodb.keys import INDEXES

from infra.local.dynamodb_local import dynamodb_client
from tests.harness import Api
from tests.integration.support import (
    check,
    create_invoice,
    create_memo,
    fresh_table,
    new_account,
    require_real_engine,
    service_environment,
)

pytestmark = pytest.mark.integration

LINES = 300
INVOICE_LINE = {"productId": "sku-{n}", "productName": "Annual plan, seat {n}", "description": "Seat {n}"}


def value_bytes(value: dict[str, Any]) -> int:
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        digits = inner.lstrip("-").replace(".", "").strip("0") or "0"
        return 1 + math.ceil(len(digits) / 2)
    if kind == "B":
        return len(inner)
    if kind in ("NULL", "BOOL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + value_bytes(v) for v in inner)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + value_bytes(v) for k, v in inner.items())
    raise AssertionError(kind)


def item_bytes(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + value_bytes(value) for name, value in item.items())


def kb(size: int, unit: int = 1024) -> int:
    return max(1, math.ceil(size / unit))


def index_copy(item: dict[str, Any]) -> dict[str, Any]:
    keys = {"pk", "sk"} | {i.pk for i in INDEXES} | {i.sk for i in INDEXES}
    return {k: v for k, v in item.items() if k in keys or k in INDEXED_ATTRIBUTES}


def write_units(items: list[dict[str, Any]]) -> tuple[int, int]:
    """(billed, floor) of one transaction writing ``items``; index copies of the indexed ones."""
    floor = sum(2 * kb(item_bytes(i)) for i in items)
    copies = sum(kb(item_bytes(index_copy(i))) for i in items for index in INDEXES if index.pk in i)
    return floor + copies, floor


@pytest.fixture(scope="module")
def table(dynamodb_local: Any, dynamodb_local_endpoint: str) -> Iterator[str]:
    require_real_engine(dynamodb_local)
    with fresh_table(dynamodb_local_endpoint, "it-capacity") as name:
        yield name


@pytest.fixture
def api(dynamodb_local_endpoint: str, table: str) -> Iterator[Api]:
    with service_environment(dynamodb_local_endpoint, table):
        yield Api()


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


def _items(client: Any, table: str, keys: list[tuple[str, str]]) -> list[dict[str, Any]]:
    return [
        client.get_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": sk}})["Item"] for pk, sk in keys
    ]


def _apply_cost(
    api: Api,
    client: Any,
    table: str,
    memo: dict[str, Any],
    invoice: dict[str, Any],
    body: dict[str, Any],
    key: str,
) -> tuple[int, int]:
    result = check(
        api.post(f"/credit-memos/{memo['id']}/actions/apply", body, headers={"Idempotency-Key": key}), 200
    )
    entry = result["applications"][0]["id"].rsplit(".", 1)[0]
    return write_units(
        _items(
            client,
            table,
            [
                (f"MEMO#{memo['id']}", "MEMO"),
                (f"INVOICE#{invoice['id']}", "INVOICE"),
                (f"APPLICATION#{entry}", "APPLICATION"),
                (f"IDEMPOTENCY#ApplyCreditMemo#{key}", "IDEMPOTENCY"),
            ],
        )
    )


def test_billed_units_of_applies_and_a_list_page_on_300_line_documents(
    api: Api, dynamodb_local_endpoint: str, table: str
) -> None:
    client = dynamodb_client(dynamodb_local_endpoint)
    account = new_account()
    invoices = [create_invoice(api, account, _lines(), level="InvoiceLine") for _ in range(21)]
    memo, whole = create_memo(api, account, _charges()), create_memo(api, account, _charges())

    small_billed, small_floor = _apply_cost(
        api,
        client,
        table,
        memo,
        invoices[0],
        {"applications": [{"invoiceId": invoices[0]["id"], "amount": "10.00"}]},
        f"small-{account}",
    )
    big_billed, big_floor = _apply_cost(
        api,
        client,
        table,
        whole,
        invoices[1],
        {"applications": [{"invoiceId": invoices[1]["id"]}]},
        f"big-{account}",
    )

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
    page_bytes = sum(item_bytes(i) for i in copies)
    read_units = kb(page_bytes, 4096) * 0.5
    assert all("lines" not in copy and "outbox" not in copy for copy in copies)

    print(
        f"\napply 10.00 between two 300-line documents: {small_billed} WCU (floor {small_floor}, "
        f"{small_billed / small_floor:.2f}x)"
    )
    print(
        f"apply a 300-line memo onto a 300-line invoice: {big_billed} WCU (floor {big_floor}, "
        f"{big_billed / big_floor:.2f}x)"
    )
    print(f"list page of 20 invoices of 300 lines: {page_bytes} bytes read from the index, {read_units} RCU")
    assert page_bytes < 1024 * 1024  # so AWS returns all 20 in one page
    assert read_units <= 5
    assert big_billed <= 1.25 * big_floor and small_billed <= 1.25 * small_floor
