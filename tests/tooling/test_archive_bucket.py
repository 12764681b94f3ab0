"""``infra.archive verify`` reads the archive from its S3 bucket as from a folder (moto), and tells a
change delivered out of order from a missing one."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra import archive

TABLE, BUCKET = "archive-table", "archive-bucket"
ITEM = {
    "pk": {"S": "INVOICE#inv_1"},
    "sk": {"S": "INVOICE"},
    "version": {"N": "2"},
    "status": {"S": "Posted"},
}


def change(
    event_id: str, event: str, new: dict[str, Any], old: dict[str, Any] | None, at: int
) -> dict[str, Any]:
    images = {"NewImage": new} | ({"OldImage": old} if old else {})
    keys = {"pk": new["pk"], "sk": new["sk"]}
    return {
        "eventID": event_id,
        "eventName": event,
        "dynamodb": {"ApproximateCreationDateTime": at, "Keys": keys} | images,
    }


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("DYNAMODB_ENDPOINT_URL", raising=False)
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamodb.put_item(TableName=TABLE, Item=ITEM)
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        yield s3


def put(s3: Any, key: str, records: list[dict[str, Any]], delimiter: str = "\n") -> None:
    body = "".join(json.dumps(r) + delimiter for r in records).encode()
    s3.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(body))


def run() -> int:
    return archive.main(["verify", "--bucket", BUCKET, "--table", TABLE, "--region", "us-east-1"])


def test_the_verifier_reads_the_bucket(aws: Any, capsys: pytest.CaptureFixture[str]) -> None:
    first = {**ITEM, "version": {"N": "1"}, "status": {"S": "Draft"}}
    put(aws, "changes/2026/01/02/03/a-1", [change("e1", "INSERT", first, None, 1000)], delimiter="")
    put(aws, "changes/2026/01/02/04/a-2", [change("e2", "MODIFY", ITEM, first, 2000)] * 2)
    assert run() == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary | {"firstProblems": []} == {
        "objects": 2,
        "records": 2,
        "duplicates": 1,
        "items": 1,
        "tableItems": 1,
        "problems": 0,
        "firstProblems": [],
    }


def test_a_missing_change_fails(aws: Any, capsys: pytest.CaptureFixture[str]) -> None:
    first = {**ITEM, "version": {"N": "1"}}
    put(aws, "changes/2026/01/02/03/a-1", [change("e1", "INSERT", first, None, 1000)])
    assert run() == 1
    assert "newest archived image is not the table's" in capsys.readouterr().out


def test_a_change_archived_after_a_later_one_is_out_of_order_not_a_gap() -> None:
    first = {**ITEM, "version": {"N": "1"}}
    records = [change("e2", "MODIFY", ITEM, first, 2000), change("e1", "INSERT", first, None, 1000)]
    body = gzip.compress("".join(json.dumps(r) + "\n" for r in records).encode())
    summary = archive.verify([("changes/a-1", body)], [ITEM])
    problems = " ".join(summary["firstProblems"])
    assert "goes backwards" in problems and "(out of order)" in problems and "(gap)" not in problems
    assert summary["problems"] == 2


def test_an_unreadable_object_is_a_problem(aws: Any, capsys: pytest.CaptureFixture[str]) -> None:
    first = {**ITEM, "version": {"N": "1"}}
    put(aws, "changes/2026/01/02/03/a-1", [change("e1", "INSERT", first, None, 1000)])
    put(aws, "changes/2026/01/02/03/a-2", [change("e2", "MODIFY", ITEM, first, 2000)])
    whole = aws.get_object(Bucket=BUCKET, Key="changes/2026/01/02/03/a-2")["Body"].read()
    aws.put_object(Bucket=BUCKET, Key="changes/2026/01/02/03/a-2", Body=whole[:-8])  # cut short
    assert run() == 1
    assert "changes/2026/01/02/03/a-2: not readable" in capsys.readouterr().out
