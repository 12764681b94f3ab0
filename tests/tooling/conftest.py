from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.local.template import Template

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_TEMPLATE = FIXTURES / "template.yaml"


@pytest.fixture(autouse=True)
def _restore_environ() -> Iterator[None]:
    """The local tooling sets os.environ (as the real server does); undo it after each test."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def template() -> Template:
    return Template.load(FIXTURE_TEMPLATE)
