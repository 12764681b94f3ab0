"""Which DynamoDB a one-shot local command (invoke, a state machine run) talks to.

``DYNAMODB_ENDPOINT_URL`` if set; else the DynamoDB Local of `make run`, on 127.0.0.1 at
``DYNAMODB_PORT`` (default 8000, as for `make run`), which must be answering; with ``start_db``, if
nothing listens there, a fresh DynamoDB Local of its own (on a free port, tables created from the
template). Whatever listens on that port must answer like DynamoDB (ListTables with ``TableNames``):
a foreign service is refused with a message saying what answered, never used.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from infra.local.create_tables import create_tables
from infra.local.dynamodb_local import (
    DEFAULT_DATA_DIR,
    DEFAULT_PORT,
    LOCALHOST,
    LocalDynamoDB,
    answers,
    describe_service,
    free_port,
    port_in_use,
    start_local_dynamodb,
)
from infra.local.template import Template


class NoDynamoDB(RuntimeError):
    """Nothing, or something that is not DynamoDB, answers where the command expected DynamoDB."""


def dynamodb_port() -> int:
    """The port of `make run`'s DynamoDB Local: ``DYNAMODB_PORT``, else 8000."""
    value = os.environ.get("DYNAMODB_PORT", "").strip()
    if not value:
        return DEFAULT_PORT
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise NoDynamoDB(f"DYNAMODB_PORT must be a port number, got {value!r}")
    return int(value)


def _refuse_foreign(port: int, endpoint_url: str) -> NoDynamoDB:
    return NoDynamoDB(
        f"something listens on {endpoint_url} but it is not DynamoDB (a ListTables call got "
        f"{describe_service(endpoint_url)}). Stop that service, set DYNAMODB_PORT to the port of "
        f"DynamoDB Local (now {port}; `make run` uses the same variable), or set DYNAMODB_ENDPOINT_URL."
    )


@contextmanager
def dynamodb_endpoint(template: Template, *, start_db: bool, in_memory: bool) -> Iterator[str]:
    """Yield the endpoint URL; a DynamoDB Local started here is stopped on exit."""
    endpoint_url = os.environ.get("DYNAMODB_ENDPOINT_URL")
    engine: LocalDynamoDB | None = None
    try:
        if endpoint_url:
            pass
        elif start_db:
            port = dynamodb_port()
            local = f"http://{LOCALHOST}:{port}"
            if answers(local):
                print(f"DynamoDB already answers at {local}; using it", file=sys.stderr)
                endpoint_url = local
            elif port_in_use(port):
                raise _refuse_foreign(port, local)
            else:
                engine = start_local_dynamodb(free_port(), in_memory=in_memory, data_dir=DEFAULT_DATA_DIR)
                endpoint_url = engine.endpoint_url
                print(f"DynamoDB: {engine.describe()}", file=sys.stderr)
            create_tables(endpoint_url, template, log=lambda line: print(line, file=sys.stderr))
        else:
            port = dynamodb_port()
            endpoint_url = f"http://{LOCALHOST}:{port}"
            if not answers(endpoint_url):
                if port_in_use(port):
                    raise _refuse_foreign(port, endpoint_url)
                raise NoDynamoDB(
                    f"no DynamoDB answers at {endpoint_url} (DYNAMODB_PORT={port}). Run `make run` in "
                    "another terminal, pass --start-db, or set DYNAMODB_ENDPOINT_URL."
                )
        yield endpoint_url
    finally:
        if engine is not None:
            engine.stop()
