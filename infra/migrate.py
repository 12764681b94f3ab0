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

CLI (the table: ``--stack-name`` or ``--table``, ``infra/operator_target.py``)::

    python -m infra.migrate convert --stack-name STACK [--dry-run] [--start-after TOKEN]

``--dry-run`` counts what would be converted and writes nothing. The scan reports its progress with
a checkpoint token; ``--start-after TOKEN`` resumes a run that stopped after that point.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError
from credit_memos.adapters.dynamodb.attribute_codec import deserialize, serialize
from credit_memos.adapters.dynamodb.document_items import document_from_item, records_attribute
from credit_memos.adapters.dynamodb.keys import LEGACY_INDEXES, Index
from credit_memos.adapters.dynamodb.line_chunks import document_write
from credit_memos.adapters.outbox import OUTBOX_ATTRIBUTE

from infra import operator_target
from infra.progress import Progress


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


def checkpoint_token(key: dict[str, Any]) -> str:
    """A scan position (its LastEvaluatedKey) as one word to pass to ``--start-after``."""
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def checkpoint_key(token: str) -> dict[str, Any]:
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, binascii.Error) as error:
        raise ValueError(f"not a checkpoint token printed by a run: {token!r}") from error
    if not isinstance(key, dict):
        raise ValueError(f"not a checkpoint token printed by a run: {token!r}")
    return key


def _old_item_pages(
    client: Any, table: str, start_after: dict[str, Any] | None
) -> Iterator[tuple[list[dict[str, Any]], int, dict[str, Any] | None]]:
    """Per scan page: its items still in the old form, the items it scanned, and where it ended."""
    request: dict[str, Any] = {
        "TableName": table,
        "FilterExpression": "(entity IN (:invoice, :memo) AND attribute_exists(#lines))"
        " OR (entity = :entry AND attribute_exists(records))",
        "ExpressionAttributeValues": serialize(
            {":invoice": "Invoice", ":memo": "CreditMemo", ":entry": "ApplicationEntry"}
        ),
        "ExpressionAttributeNames": {"#lines": "lines"},
    }
    if start_after is not None:
        request["ExclusiveStartKey"] = start_after
    while True:
        response = client.scan(**request)
        last = response.get("LastEvaluatedKey")
        items = [deserialize(item) for item in response.get("Items", [])]
        yield items, int(response.get("ScannedCount", len(items))), last
        if last is None:
            return
        request["ExclusiveStartKey"] = last


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


def convert(
    client: Any,
    table: str,
    *,
    dry_run: bool = False,
    start_after: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> Converted:
    """Bring every item written before this version into its current form (idempotent); with
    ``dry_run``, count what would be converted. ``start_after``: a scan position to resume from."""
    done = Converted()
    for items, scanned, last in _old_item_pages(client, table, start_after):
        for item in items:
            _convert_item(client, table, item, done, dry_run=dry_run)
        if progress is not None:
            progress.advance(scanned, checkpoint=checkpoint_token(last) if last else None)
    return done


def _convert_item(client: Any, table: str, item: dict[str, Any], done: Converted, *, dry_run: bool) -> None:
    if item["entity"] != "ApplicationEntry":
        if dry_run or _convert_document(client, table, item):
            done.documents += 1
        else:
            done.skipped += 1
        return
    if records_attribute(item["records"]) == "records":
        return  # small: its records belong in the indexes
    if dry_run:
        done.entries += 1
        return
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
        return
    done.entries += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infra.migrate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("step", choices=["convert"])
    parser.add_argument("--dry-run", action="store_true", help="count what would be converted, write nothing")
    parser.add_argument("--start-after", metavar="TOKEN", help="resume after this checkpoint of a run")
    operator_target.add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        start_after = checkpoint_key(args.start_after) if args.start_after else None
    except ValueError as error:
        parser.error(str(error))
    target = operator_target.resolve_or_exit(parser, args)
    assert target.table is not None
    client = target.client("dynamodb")
    # DynamoDB's item count is refreshed about every six hours: the bar's total is approximate.
    total = client.describe_table(TableName=target.table)["Table"].get("ItemCount")
    with Progress("convert", total or None, unit="items scanned") as progress:
        result = convert(
            client, target.table, dry_run=args.dry_run, start_after=start_after, progress=progress
        )
    verb = "would convert" if args.dry_run else "converted"
    print(f"{verb} {result.documents} documents, {result.entries} entries", end="; ")
    print(f"{result.skipped} changed meanwhile")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
