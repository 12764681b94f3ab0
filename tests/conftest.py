from __future__ import annotations

import copy
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.harness import Api, base_environment, create_table, environment  # noqa: E402

# In CI, property-based tests draw the same examples every run, so a red build is
# reproducible; locally they explore new ones (and keep failures in .hypothesis/).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


# `make test-fast` runs `pytest -m "not slow"`: the unit tier, the repository contract, the
# template/OpenAPI/ASL checks and the local tooling's quick tests (well under a minute on 2 cores).
# Slow, by what makes them slow: whole directories of request-by-request moto (api/) or DynamoDB
# Local runs, every test that executes a state machine (the ``sfn`` fixture), every integration
# test. tests/README.md has the map of tiers and features.
SLOW_DIRECTORIES = frozenset({"api", "integration", "fuzz"})
SLOW_FIXTURES = frozenset({"sfn"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests = ROOT / "tests"
    for item in items:
        directory = item.path.relative_to(tests).parts[0] if item.path.is_relative_to(tests) else ""
        if (
            directory in SLOW_DIRECTORIES
            or item.get_closest_marker("integration")
            or SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ()))
        ):
            item.add_marker(pytest.mark.slow)


class _OneCopyPerTable:
    """``copy`` for moto's DynamoDB models: inside TransactWriteItems, one deep copy per table.

    moto keeps a transaction's rollback state by deep-copying the whole table once per item of the
    transaction, before it applies any: quadratic in a transaction of many items (a document's
    line chunks), minutes for the stateful tests. Those copies are all of the same unchanged table,
    so one per table per call is the same rollback.
    """

    def __init__(self, table_type: type) -> None:
        self._table_type = table_type
        self._local = threading.local()

    def __getattr__(self, name: str) -> object:
        return getattr(copy, name)

    def deepcopy(self, value: object, memo: dict[int, object] | None = None) -> object:
        held: dict[int, tuple[object, object]] | None = getattr(self._local, "tables", None)
        if held is None or not isinstance(value, self._table_type):
            return copy.deepcopy(value, memo)
        found = held.get(id(value))
        if found is None or found[0] is not value:
            found = held[id(value)] = (value, copy.deepcopy(value))
        return found[1]

    def around(self, transact: object) -> object:
        def transact_write_items(backend: object, transact_items: object) -> object:
            self._local.tables = {}
            try:
                return transact(backend, transact_items)  # type: ignore[operator]
            finally:
                self._local.tables = None

        return transact_write_items


@pytest.fixture(autouse=True, scope="session")
def _moto_transactions_copy_each_table_once() -> Iterator[None]:
    import moto.dynamodb.models as models

    shim = _OneCopyPerTable(models.Table)
    real_copy, real_transact = models.copy, models.DynamoDBBackend.transact_write_items
    models.copy = shim  # type: ignore[assignment]
    models.DynamoDBBackend.transact_write_items = shim.around(real_transact)  # type: ignore[method-assign]
    try:
        yield
    finally:
        models.copy = real_copy
        models.DynamoDBBackend.transact_write_items = real_transact  # type: ignore[method-assign]


@pytest.fixture
def moto_env() -> Iterator[None]:
    """A fresh in-memory DynamoDB (moto) with the table from template.yaml."""
    from moto import mock_aws

    with environment(base_environment()), mock_aws():
        create_table(boto3.client("dynamodb", region_name="us-east-1"))
        yield


@pytest.fixture
def api(moto_env: None) -> Api:
    return Api()
