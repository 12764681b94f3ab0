"""Fixtures for tests that need a DynamoDB endpoint.

``dynamodb_local_endpoint`` (session scope): an in-memory DynamoDB Local (the real engine, Java) on a
free 127.0.0.1 port, its endpoint URL yielded, stopped at the end of the session. Under pytest-xdist
each worker starts its own. If Java or npm is missing it falls back to moto's server with a warning;
set ``REQUIRE_DYNAMODB_LOCAL=1`` to make that an error instead. Tables are not created: call
``infra.local.create_tables.create_tables(endpoint, Template.load())`` (or use ``dynamodb_tables``).
``table`` (module scope) is a fresh copy of the template's table for one module, and ``api`` the
in-process client whose functions use it; both need the real engine (skipped on the moto fallback).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator

import pytest

from infra.local.dynamodb_local import LocalDynamoDB, start_local_dynamodb
from tests.harness import Api
from tests.integration.support import fresh_table, require_real_engine, service_environment


@pytest.fixture(scope="session")
def dynamodb_local() -> Iterator[LocalDynamoDB]:
    """The running engine (``.engine`` is "dynamodb-local" or "moto", ``.endpoint_url``)."""
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    strict = os.environ.get("REQUIRE_DYNAMODB_LOCAL", "") not in ("", "0")
    engine = start_local_dynamodb(in_memory=True, allow_moto_fallback=not strict)
    if engine.engine != "dynamodb-local":
        warnings.warn("DynamoDB Local is unavailable: integration tests run on moto's server", stacklevel=1)
    try:
        yield engine
    finally:
        engine.stop()


@pytest.fixture(scope="session")
def dynamodb_local_endpoint(dynamodb_local: LocalDynamoDB) -> str:
    """Endpoint URL of the session's in-memory DynamoDB Local, e.g. ``http://127.0.0.1:41234``."""
    return dynamodb_local.endpoint_url


@pytest.fixture(scope="session")
def dynamodb_tables(dynamodb_local_endpoint: str) -> dict[str, str]:
    """The tables of template.yaml created on the session's engine: logical id -> table name."""
    from infra.local.create_tables import create_tables
    from infra.local.template import Template

    template = Template.load()
    create_tables(dynamodb_local_endpoint, template, log=lambda _: None)
    return {logical_id: table.table_name for logical_id, table in template.tables().items()}


@pytest.fixture(scope="module")
def table(
    request: pytest.FixtureRequest, dynamodb_local: LocalDynamoDB, dynamodb_local_endpoint: str
) -> Iterator[str]:
    """A fresh copy of the template's table for one test module, named after it (DynamoDB Local only)."""
    require_real_engine(dynamodb_local)
    feature = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_").replace("_", "-")
    with fresh_table(dynamodb_local_endpoint, f"it-{feature}") as name:
        yield name


@pytest.fixture
def api(dynamodb_local_endpoint: str, table: str) -> Iterator[Api]:
    """The in-process API client, its functions on the module's table."""
    with service_environment(dynamodb_local_endpoint, table):
        yield Api()
