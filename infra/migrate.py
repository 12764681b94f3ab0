"""Moving a deployed table from the indexes GSI1/GSI2 (projection ALL) to GSI3/GSI4 (docs/design.md
"Migrating a deployed table").

A CloudFormation stack adds and drops the indexes by deploying the template states that section
lists, one index per deploy; ``convert`` is the step between them that no deploy does: it stores
every invoice and memo written as one whole item (its lines inside) as a header and line chunks
(one transaction per document; the header carries ``line_count``, what a list on the new indexes
shows), and moves a large application entry's records out of the indexes. It is idempotent and
safe beside live traffic: each item is written on the condition that it is still the version it
read and still whole, and an item a request rewrote meanwhile is already in the new form. (The
service itself converts a whole document on its next write; ``convert`` does the rest.) ``add_index`` and
``drop_index`` do the index steps directly, for a table that no stack manages (and the tests).

CLI::

    python -m infra.migrate convert --table credit-memos [--endpoint-url http://127.0.0.1:8000]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError
from credit_memos.adapters.dynamodb.attribute_codec import deserialize, serialize
from credit_memos.adapters.dynamodb.document_items import document_from_item, records_attribute
from credit_memos.adapters.dynamodb.keys import LEGACY_INDEXES, Index
from credit_memos.adapters.dynamodb.line_chunks import document_write
from credit_memos.adapters.outbox import OUTBOX_ATTRIBUTE


def legacy_index_definition(index: Index) -> dict[str, Any]:
    """How GSI1 and GSI2 were defined: projection ALL."""
    return {
        "IndexName": index.name,
        "KeySchema": [
            {"AttributeName": index.pk, "KeyType": "HASH"},
            {"AttributeName": index.sk, "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "ALL"},
    }


LEGACY_INDEX_DEFINITIONS = [legacy_index_definition(index) for index in LEGACY_INDEXES]


def _key_attributes(definition: dict[str, Any]) -> list[dict[str, str]]:
    return [{"AttributeName": k["AttributeName"], "AttributeType": "S"} for k in definition["KeySchema"]]


def _wait(client: Any, table: str, done: Callable[[dict[str, Any]], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        description = client.describe_table(TableName=table)["Table"]
        if description.get("TableStatus") == "ACTIVE" and done(description):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"table {table} did not finish its index change in {timeout} s")
        time.sleep(1)


def _indexes(description: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["IndexName"]: i for i in description.get("GlobalSecondaryIndexes", [])}


def add_index(client: Any, table: str, definition: dict[str, Any], *, timeout: float = 3600) -> None:
    """Create one index (DynamoDB backfills it from the items) and wait until it is ACTIVE."""
    name = definition["IndexName"]
    if name not in _indexes(client.describe_table(TableName=table)["Table"]):
        client.update_table(
            TableName=table,
            AttributeDefinitions=_key_attributes(definition),
            GlobalSecondaryIndexUpdates=[{"Create": definition}],
        )
    _wait(client, table, lambda d: _indexes(d).get(name, {}).get("IndexStatus") == "ACTIVE", timeout)


def drop_index(client: Any, table: str, name: str, *, timeout: float = 3600) -> None:
    """Delete one index and wait until it is gone."""
    if name in _indexes(client.describe_table(TableName=table)["Table"]):
        client.update_table(TableName=table, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": name}}])
    _wait(client, table, lambda d: name not in _indexes(d), timeout)


@dataclass
class Converted:
    documents: int = 0  # invoices and memos stored as a header and line chunks
    entries: int = 0  # entries whose records left the indexes
    skipped: int = 0  # changed by a request meanwhile (so already in the new form)


def _old_items(client: Any, table: str) -> Iterator[dict[str, Any]]:
    request: dict[str, Any] = {
        "TableName": table,
        "FilterExpression": "(entity IN (:invoice, :memo) AND attribute_exists(#lines))"
        " OR (entity = :entry AND attribute_exists(records))",
        "ExpressionAttributeValues": serialize(
            {":invoice": "Invoice", ":memo": "CreditMemo", ":entry": "ApplicationEntry"}
        ),
        "ExpressionAttributeNames": {"#lines": "lines"},
    }
    while True:
        response = client.scan(**request)
        yield from (deserialize(item) for item in response.get("Items", []))
        if "LastEvaluatedKey" not in response:
            return
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _convert_document(client: Any, table: str, item: dict[str, Any]) -> bool:
    """One whole invoice or memo item as its header and chunks, in one transaction, at the same
    version (the document does not change). False if a request rewrote it meanwhile."""
    write = document_write(document_from_item(item), version=int(item["version"]), read=None)
    header = {
        "Put": {
            "TableName": table,
            # Replaces the whole item: its lines and the outbox left by its last write go with it
            # (the stream record of this put then publishes nothing again).
            "Item": serialize(write.header),
            "ConditionExpression": "#version = :version AND attribute_exists(#lines)",
            "ExpressionAttributeNames": {"#version": "version", "#lines": "lines"},
            "ExpressionAttributeValues": serialize({":version": item["version"]}),
        }
    }
    chunks = [{"Put": {"TableName": table, "Item": serialize(chunk)}} for chunk in write.chunks]
    try:
        client.transact_write_items(TransactItems=[header, *chunks])
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
            raise
        return False
    return True


def convert(client: Any, table: str) -> Converted:
    """Bring every item written before this version into its current form (idempotent)."""
    done = Converted()
    for item in _old_items(client, table):
        if item["entity"] != "ApplicationEntry":
            if _convert_document(client, table, item):
                done.documents += 1
            else:
                done.skipped += 1
            continue
        if records_attribute(item["records"]) == "records":
            continue  # small: its records belong in the indexes
        # The outbox left on an item by its last write was published from that write's stream
        # record; an update that kept it would publish the same events again.
        try:
            client.update_item(
                TableName=table,
                Key=serialize({"pk": item["pk"], "sk": item["sk"]}),
                UpdateExpression="SET records_unindexed = records REMOVE records, #outbox",
                ConditionExpression="#version = :version AND attribute_exists(records)",
                ExpressionAttributeNames={"#version": "version", "#outbox": OUTBOX_ATTRIBUTE},
                ExpressionAttributeValues=serialize({":version": item["version"]}),
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            done.skipped += 1
            continue
        done.entries += 1
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("step", choices=["convert"])
    parser.add_argument("--table", required=True)
    parser.add_argument("--endpoint-url", default=None)
    args = parser.parse_args(argv)
    client = boto3.client("dynamodb", endpoint_url=args.endpoint_url)
    result = convert(client, args.table)
    print(f"converted {result.documents} documents, {result.entries} entries", end="; ")
    print(f"{result.skipped} changed meanwhile")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
