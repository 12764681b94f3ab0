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
