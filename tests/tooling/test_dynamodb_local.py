from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import requests

from infra.local.create_tables import create_tables
from infra.local.dynamodb_local import (
    DynamoDBLocal,
    MotoDynamoDB,
    answers,
    dynamodb_client,
    ensure_distribution,
    java_executable,
)
from infra.local.server import LocalApi, LocalHttpServer
from infra.local.template import Template

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_TEMPLATE = FIXTURES / "template.yaml"


def put_and_get(endpoint_url: str, table: str) -> dict[str, object]:
    client = dynamodb_client(endpoint_url)
    key = {"pk": {"S": "INVOICE#1"}, "sk": {"S": "INVOICE"}}
    client.put_item(
        TableName=table,
        Item={
            **key,
            "gsi1pk": {"S": "ACCOUNT#A#INVOICE"},
            "gsi1sk": {"S": "2026-01-01#1"},
            "version": {"N": "1"},
        },
        ConditionExpression="attribute_not_exists(pk)",
    )
    item = client.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
    queried = client.query(
        TableName=table,
        IndexName="GSI1",
        KeyConditionExpression="gsi1pk = :p",
        ExpressionAttributeValues={":p": {"S": "ACCOUNT#A#INVOICE"}},
    )["Items"]
    assert queried == [item]
    return item


@pytest.mark.integration
def test_dynamodb_local_in_memory_tables_from_template() -> None:
    if java_executable() is None:
        pytest.skip("java is not installed")
    template = Template.load(FIXTURE_TEMPLATE)
    with DynamoDBLocal(in_memory=True) as ddb:
        assert ddb.process is not None
        assert answers(ddb.endpoint_url)
        assert create_tables(ddb.endpoint_url, template, log=lambda _: None) == ["credit-memos-dev"]
        assert create_tables(ddb.endpoint_url, template, log=lambda _: None) == [
            "credit-memos-dev"
        ]  # idempotent
        client = dynamodb_client(ddb.endpoint_url)
        description = client.describe_table(TableName="credit-memos-dev")["Table"]
        assert description["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        assert sorted(index["IndexName"] for index in description["GlobalSecondaryIndexes"]) == [
            "GSI1",
            "GSI2",
        ]
        assert description["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
        ttl = client.describe_time_to_live(TableName="credit-memos-dev")["TimeToLiveDescription"]
        assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expiresAt"}
        item = put_and_get(ddb.endpoint_url, "credit-memos-dev")
        assert item["version"] == {"N": "1"}
        with pytest.raises(client.exceptions.ConditionalCheckFailedException):
            client.put_item(
                TableName="credit-memos-dev",
                Item={"pk": {"S": "INVOICE#1"}, "sk": {"S": "INVOICE"}},
                ConditionExpression="attribute_not_exists(pk)",
            )
        endpoint = ddb.endpoint_url
    assert ddb.process is None
    assert not answers(endpoint, timeout_s=0.5)


@pytest.mark.integration
def test_dynamodb_local_keeps_data_in_its_data_dir(tmp_path: Path) -> None:
    if java_executable() is None:
        pytest.skip("java is not installed")
    template = Template.load(FIXTURE_TEMPLATE)
    with DynamoDBLocal(data_dir=tmp_path) as ddb:
        create_tables(ddb.endpoint_url, template, log=lambda _: None)
        put_and_get(ddb.endpoint_url, "credit-memos-dev")
    assert (tmp_path / "shared-local-instance.db").exists()
    with DynamoDBLocal(data_dir=tmp_path) as ddb:
        client = dynamodb_client(ddb.endpoint_url)
        key = {"pk": {"S": "INVOICE#1"}, "sk": {"S": "INVOICE"}}
        assert client.get_item(TableName="credit-memos-dev", Key=key)["Item"]["version"] == {"N": "1"}


@pytest.mark.integration
def test_distribution_is_cached() -> None:
    first = ensure_distribution()
    started = time.monotonic()
    second = ensure_distribution()
    assert second == first
    assert time.monotonic() - started < 1
    assert first.jar.name == "DynamoDBLocal.jar"
    assert (first.lib_dir / "sqlite4java.jar").exists()


@pytest.mark.integration
def test_server_end_to_end_on_dynamodb_local() -> None:
    if java_executable() is None:
        pytest.skip("java is not installed")
    template = Template.load(FIXTURE_TEMPLATE)
    with DynamoDBLocal(in_memory=True) as ddb:
        create_tables(ddb.endpoint_url, template, log=lambda _: None)
        api = LocalApi(template, endpoint_url=ddb.endpoint_url, openapi_path=None, log=lambda _: None)
        http = LocalHttpServer(("127.0.0.1", 0), api, log=lambda _: None)
        threading.Thread(target=http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        try:
            assert requests.get(f"{http.base_url}/items/x", timeout=10).status_code == 404
            put = requests.put(f"{http.base_url}/items/x", json={"value": "hello"}, timeout=10)
            assert put.status_code == 204
            got = requests.get(f"{http.base_url}/items/x", timeout=10)
            assert got.status_code == 200
            assert got.json() == {"id": "x", "value": "hello"}
        finally:
            http.shutdown()
            http.server_close()


@pytest.mark.slow  # starts moto's server in a subprocess
def test_moto_fallback_engine() -> None:
    template = Template.load(FIXTURE_TEMPLATE)
    with MotoDynamoDB() as moto:
        assert create_tables(moto.endpoint_url, template, log=lambda _: None) == ["credit-memos-dev"]
        assert create_tables(moto.endpoint_url, template, log=lambda _: None) == ["credit-memos-dev"]
        put_and_get(moto.endpoint_url, "credit-memos-dev")
