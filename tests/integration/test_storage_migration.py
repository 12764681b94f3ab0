"""A deployed table moves from today's indexes (GSI1/GSI2, projection ALL) to GSI3/GSI4 on DynamoDB
Local, with data in it, by the steps of docs/design.md "Migrating a deployed table"; what the API
returns is the same at every step, and writes keep working throughout.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from credit_memos.adapters.dynamodb.attribute_codec import deserialize, serialize
from credit_memos.adapters.dynamodb.keys import (
    BY_ACCOUNT_INDEX,
    BY_STATUS_INDEX,
    INDEXED_ATTRIBUTES,
    INDEXES,
    LEGACY_INDEXES,
)
from credit_memos.adapters.dynamodb.line_chunks import CHUNK_VERSIONS, LINES_ENTITY
from credit_memos.adapters.outbox import OUTBOX_ATTRIBUTE

from infra.local.dynamodb_local import dynamodb_client
from infra.migrate import LEGACY_INDEX_DEFINITIONS, add_index, convert, drop_index
from tests.builders import create_invoice, create_memo
from tests.harness import Api, template
from tests.integration.support import (
    check,
    check_invoice,
    check_memo,
    new_account,
    require_real_engine,
    service_environment,
)

pytestmark = pytest.mark.integration

LINES = 40


@pytest.fixture
def legacy_table(dynamodb_local: Any, dynamodb_local_endpoint: str) -> Iterator[str]:
    """The table as deployed before this version: the same keys, indexes GSI1/GSI2 projecting ALL."""
    require_real_engine(dynamodb_local)
    client = dynamodb_client(dynamodb_local_endpoint)
    definition = template().tables()["CreditMemoTable"]
    name = f"it-migrate-{uuid.uuid4().hex[:8]}"
    # The attributes the legacy indexes are keyed on (not those of the indexes added since).
    legacy_keys = {"pk", "sk"} | {
        k["AttributeName"] for d in LEGACY_INDEX_DEFINITIONS for k in d["KeySchema"]
    }
    attributes = [
        a for a in definition.create_kwargs["AttributeDefinitions"] if a["AttributeName"] in legacy_keys
    ]
    client.create_table(
        **definition.create_kwargs
        | {
            "TableName": name,
            "GlobalSecondaryIndexes": LEGACY_INDEX_DEFINITIONS,
            "AttributeDefinitions": attributes,
        }
    )
    try:
        yield name
    finally:
        client.delete_table(TableName=name)


def _scan(client: Any, table: str) -> list[dict[str, Any]]:
    items, request = [], {"TableName": table}
    while True:
        response = client.scan(**request)
        items += [deserialize(i) for i in response["Items"]]
        if "LastEvaluatedKey" not in response:
            return items
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _as_written_before(client: Any, table: str) -> int:
    """Every item as the previous version wrote it: an invoice or memo one whole item with its lines
    inside and no line_count (its chunks deleted), every entry's records under ``records``, the last
    write's outbox left on the item. Returns how many items were aged."""
    aged = 0
    items = _scan(client, table)
    chunks: dict[str, list[dict[str, Any]]] = {}
    for item in sorted(items, key=lambda i: i["sk"]):
        if item.get("entity") in LINES_ENTITY.values():
            chunks.setdefault(item["pk"], []).extend(item["lines"])
            client.delete_item(TableName=table, Key=serialize({"pk": item["pk"], "sk": item["sk"]}))
    for item in items:
        if item.get("entity") in LINES_ENTITY:
            del item["line_count"], item[CHUNK_VERSIONS]
            item["lines"] = chunks[item["pk"]]
        elif item.get("entity") == "ApplicationEntry" and "records_unindexed" in item:
            item["records"] = item.pop("records_unindexed")
        else:
            continue
        item[OUTBOX_ATTRIBUTE] = "[]"
        client.put_item(TableName=table, Item=serialize(item))
        aged += 1
    return aged


def seen_lines(seen: dict[str, Any], document_id: str) -> list[Any]:
    """The lines of a document as the API returned them (check_invoice / check_memo)."""
    found = seen[document_id]
    return (found[0] if isinstance(found, tuple) else found)["lines"]


def _observe(api: Api, account: str, invoice_ids: list[str], memo_ids: list[str]) -> dict[str, Any]:
    """What a client sees: lists (paged two at a time, so tokens are used), documents, histories."""
    seen: dict[str, Any] = {}
    for path, query in (
        ("/invoices", {"billingAccountId": account}),
        ("/invoices", {"billingAccountId": account, "status": "Posted"}),
        ("/credit-memos", {"billingAccountId": account}),
        ("/credit-memos", {"billingAccountId": account, "status": "Posted"}),
    ):
        items, token = [], None
        while True:
            page = check(api.get(path, query={**query, "limit": 2, "nextToken": token}), 200)
            items += page["items"]
            token = page["nextToken"]
            if token is None:
                break
        assert all("lines" not in item for item in items)
        seen[f"{path}?{sorted(query.items())}"] = items
    for invoice_id in invoice_ids:
        seen[invoice_id] = check_invoice(api, invoice_id)
    for memo_id in memo_ids:
        seen[memo_id] = check_memo(api, memo_id)
    return seen


def test_a_table_with_todays_indexes_and_items_migrates_step_by_step(
    dynamodb_local_endpoint: str, legacy_table: str
) -> None:
    client = dynamodb_client(dynamodb_local_endpoint)
    table = legacy_table
    account = new_account()

    def api(*, legacy: bool) -> Any:
        extra = {"READ_LEGACY_INDEXES": "true"} if legacy else {}
        return service_environment(dynamodb_local_endpoint, table, **extra)

    # ---- today: data written, then every item put back in the previous version's form
    with api(legacy=True):
        http = Api()
        big = create_invoice(
            http, *[f"{n + 1}.00" for n in range(LINES)], account=account, level="InvoiceLine"
        )
        small = create_invoice(http, "100.00", "20.00", account=account)
        draft = check(
            http.post(
                "/invoices",
                {
                    "billingAccountId": account,
                    "currency": "USD",
                    "status": "Draft",
                    "lines": [{"chargeAmount": "5.00"}],
                },
            ),
            201,
        )
        memo = create_memo(http, *["2.00"] * LINES, account=account)
        other = create_memo(http, "30.00", account=account)
        # The whole memo onto the big invoice: one entry of more than LINES records (large).
        applied = check(
            http.post(
                f"/credit-memos/{memo['id']}/actions/apply", {"applications": [{"invoiceId": big["id"]}]}
            ),
            200,
        )
        assert len(applied["applications"]) >= LINES
        check(
            http.post(
                f"/credit-memos/{other['id']}/actions/apply",
                {"applications": [{"invoiceId": small["id"], "amount": "10.00"}]},
            ),
            200,
        )
    invoice_ids, memo_ids = [big["id"], small["id"], draft["id"]], [memo["id"], other["id"]]
    assert _as_written_before(client, table) == 6  # 5 documents, 1 large entry

    def step(*, legacy: bool, expected: dict[str, Any] | None) -> dict[str, Any]:
        """Reads equal ``expected``; then one apply and one unapply work, and are read back."""
        with api(legacy=legacy):
            http = Api()
            seen = _observe(http, account, invoice_ids, memo_ids)
            if expected is not None:
                assert seen == expected
            result = check(
                http.post(
                    f"/credit-memos/{other['id']}/actions/apply",
                    {"applications": [{"invoiceId": small["id"], "amount": "1.00"}]},
                ),
                200,
            )
            check(
                http.post(f"/credit-memo-applications/{result['applications'][0]['id']}/actions/unapply", {}),
                200,
            )
            return _observe(http, account, invoice_ids, memo_ids)

    # Step 0: this version deployed on today's table, readers on the old indexes.
    baseline = step(legacy=True, expected=None)

    # Steps 1 and 2 (one index per deploy): GSI3 (by account), then GSI4 (by status); DynamoDB
    # backfills each.
    definitions = {
        d["IndexName"]: d
        for d in template().tables()["CreditMemoTable"].create_kwargs["GlobalSecondaryIndexes"]
    }
    add_index(client, table, definitions[BY_ACCOUNT_INDEX.name], timeout=60)
    baseline = step(legacy=True, expected=baseline)
    add_index(client, table, definitions[BY_STATUS_INDEX.name], timeout=60)
    baseline = step(legacy=True, expected=baseline)
    # Readers switched before the conversion would still see everything (they fall back to the
    # table for an item the new index lacks), and a token of the old index continues on the new.
    with api(legacy=True):
        first = check(Api().get("/invoices", query={"billingAccountId": account, "limit": 1}), 200)
    with api(legacy=False):
        rest = check(
            Api().get("/invoices", query={"billingAccountId": account, "nextToken": first["nextToken"]}), 200
        )
    listed = baseline[f"/invoices?{sorted({'billingAccountId': account}.items())}"]
    assert first["items"] + rest["items"] == listed and rest["nextToken"] is None
    baseline = step(legacy=False, expected=baseline)

    # The documents written since (small, other) are already a header and chunks: a write of a
    # whole item converts it in its own transaction.
    whole = {i["id"] for i in _scan(client, table) if i.get("entity") in LINES_ENTITY and "lines" in i}
    assert whole == {big["id"], draft["id"], memo["id"]}

    # Step 3: convert the items written before this version; idempotent.
    converted = convert(client, table)
    assert (converted.documents, converted.entries) == (3, 1)
    assert convert(client, table).documents == convert(client, table).entries == 0
    items = _scan(client, table)
    for item in items:
        if item.get("entity") in LINES_ENTITY:
            assert "lines" not in item and OUTBOX_ATTRIBUTE not in item  # published nothing again
            lines = [
                line
                for chunk in sorted(items, key=lambda i: i["sk"])
                if chunk["pk"] == item["pk"] and chunk.get("entity") == LINES_ENTITY[item["entity"]]
                for line in chunk["lines"]
            ]
            assert item["line_count"] == len(lines) == len(seen_lines(baseline, item["id"]))
        if item.get("entity") == "ApplicationEntry" and "records" in item:
            assert len(item["records"]) == 1  # only small record lists stay indexed

    # Step 4: readers switched to GSI3/GSI4.
    baseline = step(legacy=False, expected=baseline)

    # Steps 5 and 6: the old indexes dropped, one per deploy.
    drop_index(client, table, LEGACY_INDEXES[0].name, timeout=60)
    baseline = step(legacy=False, expected=baseline)
    drop_index(client, table, LEGACY_INDEXES[1].name, timeout=60)
    step(legacy=False, expected=baseline)

    described = client.describe_table(TableName=table)["Table"]["GlobalSecondaryIndexes"]
    assert {i["IndexName"] for i in described} == {index.name for index in INDEXES}
    # What the indexes hold: keys and list fields, never lines or the outbox.
    for index in INDEXES:
        for partition in (f"ACCOUNT#{account}#INVOICE", f"ACCOUNT#{account}#MEMO"):
            response = client.query(
                TableName=table,
                IndexName=index.name,
                KeyConditionExpression="#pk = :pk",
                ExpressionAttributeNames={"#pk": index.pk},
                ExpressionAttributeValues={
                    ":pk": {"S": partition if index is BY_ACCOUNT_INDEX else f"{partition}#Posted"}
                },
            )
            assert response["Items"]
            for item in response["Items"]:
                assert set(item) <= {
                    "pk",
                    "sk",
                    BY_ACCOUNT_INDEX.pk,
                    BY_ACCOUNT_INDEX.sk,
                    BY_STATUS_INDEX.pk,
                    BY_STATUS_INDEX.sk,
                    *INDEXED_ATTRIBUTES,
                }
                assert "lines" not in item and OUTBOX_ATTRIBUTE not in item
