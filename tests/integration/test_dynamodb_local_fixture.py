from __future__ import annotations

import pytest

from infra.local.dynamodb_local import LocalDynamoDB, dynamodb_client


@pytest.mark.integration
def test_session_engine_has_the_template_tables(
    dynamodb_local: LocalDynamoDB, dynamodb_local_endpoint: str, dynamodb_tables: dict[str, str]
) -> None:
    assert dynamodb_local_endpoint.startswith("http://127.0.0.1:")
    client = dynamodb_client(dynamodb_local_endpoint)
    names = client.list_tables()["TableNames"]
    assert set(dynamodb_tables.values()) <= set(names)
    for table in dynamodb_tables.values():
        description = client.describe_table(TableName=table)["Table"]
        assert description["TableStatus"] == "ACTIVE"
        assert [k["AttributeName"] for k in description["KeySchema"]] == ["pk", "sk"]
    if dynamodb_local.engine == "dynamodb-local":
        assert "DynamoDB Local" in dynamodb_local.describe()
