"""Create the DynamoDB tables of ``template.yaml`` (its own definitions) against a local endpoint.

Idempotent: a table that exists is left as it is (a warning is printed if its key schema or indexes
differ from the template: delete ``.local/dynamodb/`` to start over). Time to live is enabled when the
template enables it and the engine supports it. Point-in-time recovery is not a local concern
(DynamoDB Local has no UpdateContinuousBackups) and is skipped.

CLI::

    python -m infra.local.create_tables [--endpoint-url http://127.0.0.1:8000] [--template template.yaml]
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from infra.local.dynamodb_local import DEFAULT_PORT, LOCALHOST, dynamodb_client
from infra.local.template import DEFAULT_TEMPLATE, TableDefinition, Template, TemplateError

Log = Callable[[str], None]


def _print(message: str) -> None:
    print(message, flush=True)


def create_tables(endpoint_url: str, template: Template, *, log: Log = _print) -> list[str]:
    """Create every table of ``template`` that does not exist yet; return the local table names."""
    client = dynamodb_client(endpoint_url)
    names = []
    for table in template.tables().values():
        create_table(client, table, log=log)
        names.append(table.table_name)
    return names


def create_table(client: Any, table: TableDefinition, *, log: Log = _print) -> bool:
    """Create one table (and enable its TTL); False if it already existed."""
    name = table.table_name
    try:
        client.create_table(**table.create_kwargs)
        created = True
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceInUseException":
            raise
        created = False
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    if created:
        log(f"Table {name} (template {table.logical_id}): created")
    else:
        _warn_if_different(client, table, log)
    if table.ttl_attribute:
        _enable_ttl(client, name, table.ttl_attribute, log)
    return created


def _warn_if_different(client: Any, table: TableDefinition, log: Log) -> None:
    description = client.describe_table(TableName=table.table_name)["Table"]
    wanted_keys = _key_schema(table.create_kwargs["KeySchema"])
    wanted_indexes = {
        index["IndexName"]: _key_schema(index["KeySchema"])
        for index in table.create_kwargs.get("GlobalSecondaryIndexes", [])
    }
    actual_keys = _key_schema(description["KeySchema"])
    actual_indexes = {
        index["IndexName"]: _key_schema(index["KeySchema"])
        for index in description.get("GlobalSecondaryIndexes", [])
    }
    if wanted_keys != actual_keys or wanted_indexes != actual_indexes:
        log(
            f"WARNING: table {table.table_name} exists with a different key schema or indexes than "
            "template.yaml; delete the local data (.local/dynamodb/) to recreate it"
        )
    else:
        log(f"Table {table.table_name} (template {table.logical_id}): exists, kept")


def _key_schema(elements: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(element["AttributeName"], element["KeyType"]) for element in elements]


def _enable_ttl(client: Any, name: str, attribute: str, log: Log) -> None:
    try:
        current = client.describe_time_to_live(TableName=name).get("TimeToLiveDescription", {})
        if current.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
            return
        client.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute}
        )
    except ClientError as exc:  # an engine without TTL support: not needed locally
        log(f"Note: TTL not enabled on {name}: {exc.response['Error'].get('Message', exc)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local.create_tables", description=__doc__)
    parser.add_argument(
        "--endpoint-url",
        default=os.environ.get("DYNAMODB_ENDPOINT_URL", f"http://{LOCALHOST}:{DEFAULT_PORT}"),
    )
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE)
    args = parser.parse_args(argv)
    try:
        create_tables(args.endpoint_url, Template.load(args.template))
    except TemplateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
