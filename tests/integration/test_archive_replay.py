"""The change archive is complete and in order: the table's stream, replayed as the archive holds it.

Random operations (invoices and memos created and posted, apply, unapply, void, credit, convert,
payments recorded and reversed) run through the service's handlers on DynamoDB Local. Its stream
is then read from TRIM_HORIZON on every shard, each record turned into Kinesis Data Streams for
DynamoDB's JSON, and written as Firehose writes the archive: gzip JSON-lines objects of random
sizes under ``changes/``, each shard's order kept, some records delivered twice (one object holds
its records back to back, as before the line delimiter). ``infra.archive`` must find it complete
and in order, and must fail once a record is dropped, two records of an item swap, or an item's
last record is lost.
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from infra import archive
from infra.local.dynamodb_local import dynamodb_client
from infra.local.streams import lambda_stream_record, streams_client
from tests.harness import Api
from tests.integration.support import service_environment
from tests.integration.test_summary_convergence import Documents, random_operation

pytestmark = pytest.mark.integration

OPERATIONS = 120
HOUR = "changes/2026/01/02/03/"

Record = dict[str, Any]


def convert_operation(api: Api, rng: random.Random) -> int:
    """A Posted invoice with a negative line, converted to a credit memo."""
    body = {
        "billingAccountId": "acct-archive",
        "currency": "USD",
        "status": "Posted",
        "lines": [{"chargeAmount": "50.00"}, {"chargeAmount": f"-{rng.randint(1, 2000) / 100:.2f}"}],
    }
    invoice = api.post("/invoices", body)
    assert invoice.status == 201, invoice
    return api.post(f"/invoices/{invoice.body['id']}/actions/convert-to-credit", {}).status


def kinesis_record(record: Record, stream_arn: str, table: str) -> Record:
    """A DynamoDB Streams record as Kinesis Data Streams for DynamoDB writes it (epoch ms)."""
    shaped = lambda_stream_record(record, stream_arn)["dynamodb"]
    change = {k: shaped[k] for k in ("Keys", "NewImage", "OldImage", "SizeBytes") if k in shaped}
    change["ApproximateCreationDateTime"] = int(shaped["ApproximateCreationDateTime"] * 1000)
    return {
        "awsRegion": record.get("awsRegion", "us-east-1"),
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "userIdentity": record.get("userIdentity"),
        "recordFormat": "application/json",
        "tableName": table,
        "dynamodb": change,
        "eventSource": "aws:dynamodb",
    }


def read_stream(endpoint: str, table: str) -> list[Record]:
    """Every record of the table's stream, shard after shard, each shard in its order."""
    dynamodb, streams = dynamodb_client(endpoint), streams_client(endpoint)
    stream_arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shards = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
    records: list[Record] = []
    for shard in shards:
        iterator = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            response = streams.get_records(ShardIterator=iterator, Limit=1000)
            if not response["Records"]:
                break
            records += [kinesis_record(r, stream_arn, table) for r in response["Records"]]
            iterator = response.get("NextShardIterator")
    return records


def write_archive(folder: Path, records: list[Record], rng: random.Random) -> None:
    """Objects as Firehose writes them: random batches in order, some records delivered again
    (a retried batch) a little later, the first object without line delimiters."""
    deliveries: list[Record] = []
    for record in records:
        deliveries.append(record)
        if rng.random() < 0.1:
            deliveries.insert(len(deliveries) - rng.randint(0, min(3, len(deliveries) - 1)), record)
    (folder / HOUR).mkdir(parents=True)
    start, number = 0, 0
    while start < len(deliveries):
        batch = deliveries[start : start + rng.randint(1, 25)]
        separator = "" if number == 0 else "\n"
        body = "".join(json.dumps(r) + separator for r in batch).encode()
        (folder / HOUR / f"archive-1-2026-01-02-03-00-00-{number:06d}.gz").write_bytes(gzip.compress(body))
        start, number = start + len(batch), number + 1


def check(folder: Path, records: list[Record], endpoint: str, table: str) -> dict[str, Any]:
    write_archive(folder, records, random.Random(len(records)))
    items = archive.table_items(dynamodb_client(endpoint), table)
    return archive.verify(archive.local_objects(folder), items)


def _key(record: Record) -> tuple[str, str]:
    keys = record["dynamodb"]["Keys"]
    return keys["pk"]["S"], keys["sk"]["S"]


def _positions(records: list[Record], sort_key: str, at_least: int) -> list[int]:
    """Positions of the records of the first item with ``sort_key`` and ``at_least`` changes."""
    by_item: dict[tuple[str, str], list[int]] = {}
    for position, record in enumerate(records):
        by_item.setdefault(_key(record), []).append(position)
    for key, positions in by_item.items():
        if key[1] == sort_key and len(positions) >= at_least:
            return positions
    raise AssertionError(f"no {sort_key} item with {at_least} changes")


def drop_a_middle_record(records: list[Record]) -> list[Record]:
    positions = _positions(records, "INVOICE", 3)
    return records[: positions[1]] + records[positions[1] + 1 :]


def swap_two_records(records: list[Record]) -> list[Record]:
    first, second = _positions(records, "INVOICE", 3)[1:3]
    swapped = list(records)
    swapped[first], swapped[second] = records[second], records[first]
    return swapped


def drop_the_last_record(records: list[Record]) -> list[Record]:
    last = _positions(records, "INVOICE", 2)[-1]
    return records[:last] + records[last + 1 :]


@pytest.fixture(scope="module")
def stream(dynamodb_local_endpoint: str, table: str) -> list[Record]:
    """The stream after a random run of operations (the table is the module's)."""
    rng, docs = random.Random(23), Documents()
    with service_environment(dynamodb_local_endpoint, table):
        api = Api()
        for _ in range(OPERATIONS):
            status = convert_operation(api, rng) if rng.random() < 0.05 else random_operation(api, rng, docs)
            assert status < 500
    return read_stream(dynamodb_local_endpoint, table)


def test_the_replayed_stream_is_a_complete_archive(
    stream: list[Record], tmp_path: Path, dynamodb_local_endpoint: str, table: str
) -> None:
    summary = check(tmp_path, stream, dynamodb_local_endpoint, table)
    assert summary["problems"] == 0, summary["firstProblems"]
    assert summary["records"] == len(stream) and summary["duplicates"] > 0
    assert summary["tableItems"] > 0


def test_the_command_verifies_a_local_archive(
    stream: list[Record], tmp_path: Path, dynamodb_local_endpoint: str, table: str
) -> None:
    write_archive(tmp_path, stream, random.Random(7))
    options = ["--table", table, "--endpoint-url", dynamodb_local_endpoint, "--region", "us-east-1"]
    assert archive.main(["verify", "--archive-dir", str(tmp_path), *options]) == 0
    short = tmp_path / "short"
    write_archive(short, drop_the_last_record(stream), random.Random(7))
    assert archive.main(["verify", "--archive-dir", str(short), *options]) == 1


@pytest.mark.parametrize(
    ("mutation", "problem"),
    [
        (drop_a_middle_record, "(gap)"),
        (swap_two_records, "out of order"),
        (drop_the_last_record, "newest archived image is not the table's"),
    ],
)
def test_a_damaged_archive_fails(
    stream: list[Record],
    tmp_path: Path,
    dynamodb_local_endpoint: str,
    table: str,
    mutation: Callable[[list[Record]], list[Record]],
    problem: str,
) -> None:
    summary = check(tmp_path, mutation(stream), dynamodb_local_endpoint, table)
    assert summary["problems"] > 0
    assert any(problem in line for line in summary["firstProblems"]), summary["firstProblems"]
    if mutation is swap_two_records:  # delivered out of order, yet the history is whole
        assert not any("(gap)" in line for line in summary["firstProblems"]), summary["firstProblems"]
