from __future__ import annotations

import os
import sys
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
# Slow, by what makes them slow: whole directories of request-by-request moto or DynamoDB Local
# runs, every test that executes a state machine (the ``sfn`` fixture), every integration test.
SLOW_DIRECTORIES = frozenset({"moto", "integration", "fuzz"})
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
