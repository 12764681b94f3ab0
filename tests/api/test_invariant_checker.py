"""The invariant checker (moto): documents changed since its last run, found in the change archive,
checked against docs/api.md section 2; a corrupted item shows in the metric its alarm watches."""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.builders import apply_memo, create_invoice, create_memo
from tests.harness import TABLE_NAME, Api, base_environment, create_table, environment, handler_for, template

REGION = "us-east-1"
BUCKET = "credit-memos-archive"


class Archive:
    """The table's changes, written to the archive bucket as Firehose would (one object per call)."""

    def __init__(self) -> None:
        self.dynamodb = boto3.client("dynamodb", region_name=REGION)
        self.s3 = boto3.client("s3", region_name=REGION)
        self.s3.create_bucket(Bucket=BUCKET)
        self.streams = boto3.client(
            "dynamodbstreams",
            region_name=REGION,
            endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com",
        )
        self._read = 0
        self._objects = 0

    def deliver(self) -> int:
        """Put the changes not delivered yet into one new object; how many there were."""
        arn = self.dynamodb.describe_table(TableName=TABLE_NAME)["Table"]["LatestStreamArn"]
        shard = self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
        iterator = self.streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records = self.streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]
        fresh, self._read = records[self._read :], len(records)
        self._objects += 1
        lines = "\n".join(json.dumps(r, default=str) for r in fresh)
        key = f"changes/2026/12/06/13/archive-{self._objects:04d}.gz"
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(lines.encode()))
        return len(fresh)


@pytest.fixture
def archive() -> Iterator[Archive]:
    from moto import mock_aws

    # Metrics on: the test reads the one its alarm watches from the EMF lines printed.
    env = base_environment() | {"ARCHIVE_BUCKET_NAME": BUCKET, "POWERTOOLS_METRICS_DISABLED": "false"}
    with environment(env), mock_aws():
        create_table(boto3.client("dynamodb", region_name=REGION))
        yield Archive()


def checker() -> Any:
    handler = handler_for("CheckInvariantsFunction")
    return handler, sys.modules["_test_lambda_check_invariants"]


def metric(output: str, name: str) -> list[float]:
    """The values of one metric in the EMF lines Powertools printed."""
    values = []
    for line in output.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            document = json.loads(line)
            if name in document:
                values.append(document[name] if not isinstance(document[name], list) else sum(document[name]))
    return values


def test_a_corrupted_memo_balance_is_found_and_counted(
    archive: Archive, capsys: pytest.CaptureFixture[str]
) -> None:
    from infra.local.lambda_runtime import FakeLambdaContext

    api = Api()
    invoice = create_invoice(api, "100.00", "20.00", level="InvoiceLine")
    plain = create_invoice(api, "50.00")
    memo = create_memo(api, "80.00")
    assert apply_memo(api, memo["id"], (plain["id"], "30.00")).status == 200
    paid = api.post(
        f"/invoices/{invoice['id']}/actions/record-payment", {"amount": "10.00", "paymentReference": "w1"}
    )
    assert paid.status < 300, paid
    assert archive.deliver() > 0
    handler, module = checker()
    context = FakeLambdaContext(template().find_function("CheckInvariantsFunction"))

    clean = module.check(s3=archive.s3, dynamodb=archive.dynamodb)

    assert clean["violations"] == [] and clean["documents"] == 3 and clean["complete"]
    assert module.check(s3=archive.s3, dynamodb=archive.dynamodb)["documents"] == 0  # nothing new

    # A balance that no longer equals the total minus the applications: a corrupted item.
    archive.dynamodb.update_item(
        TableName=TABLE_NAME,
        Key={"pk": {"S": f"MEMO#{memo['id']}"}, "sk": {"S": "MEMO"}},
        UpdateExpression="SET balance = :wrong",
        ExpressionAttributeValues={":wrong": {"N": "75"}},
    )
    archive.deliver()
    capsys.readouterr()

    report = handler({}, context)

    (violation,) = report["violations"]
    assert violation["document_id"] == memo["id"] and violation["rule"] == "memo_balance"
    assert metric(capsys.readouterr().out, "InvariantViolations") == [1.0]
