"""Which DynamoDB a one-shot local command (invoke, a state machine run) talks to.

``DYNAMODB_ENDPOINT_URL`` if set; else, with ``start_db``, the one `make run` started
or a fresh DynamoDB Local of its own (tables created from the template); else the one
`make run` started, which must be answering.
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
    free_port,
    start_local_dynamodb,
)
from infra.local.template import Template

# Where `make run` starts DynamoDB Local.
DEFAULT_ENDPOINT = f"http://{LOCALHOST}:{DEFAULT_PORT}"


class NoDynamoDB(RuntimeError):
    """Nothing answers where the command expected DynamoDB."""


@contextmanager
def dynamodb_endpoint(template: Template, *, start_db: bool, in_memory: bool) -> Iterator[str]:
    """Yield the endpoint URL; a DynamoDB Local started here is stopped on exit."""
    endpoint_url = os.environ.get("DYNAMODB_ENDPOINT_URL")
    engine: LocalDynamoDB | None = None
    try:
        if endpoint_url:
            pass
        elif start_db:
            if answers(DEFAULT_ENDPOINT):
                print(f"DynamoDB already answers at {DEFAULT_ENDPOINT}; using it", file=sys.stderr)
                endpoint_url = DEFAULT_ENDPOINT
            else:
                engine = start_local_dynamodb(free_port(), in_memory=in_memory, data_dir=DEFAULT_DATA_DIR)
                endpoint_url = engine.endpoint_url
                print(f"DynamoDB: {engine.describe()}", file=sys.stderr)
            create_tables(endpoint_url, template, log=lambda line: print(line, file=sys.stderr))
        else:
            endpoint_url = DEFAULT_ENDPOINT
            if not answers(endpoint_url):
                raise NoDynamoDB(
                    f"no DynamoDB answers at {endpoint_url}. Run `make run` in another terminal, "
                    "pass --start-db, or set DYNAMODB_ENDPOINT_URL."
                )
        yield endpoint_url
    finally:
        if engine is not None:
            engine.stop()
