"""``infra.archive verify`` reads the archive from its S3 bucket as from a folder (moto)."""

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
