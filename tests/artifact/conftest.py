"""The built artifacts (``make build`` and ``make build ARCH=host``), packaged like ``sam package``.

Without a build these tests skip (say which ``make build`` is missing); in CI (``CI`` set) a missing
build is an error, since .ci/run builds both before the tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.build.__main__ import default_build_dir, host_architecture
from infra.build.artifacts import Packaged, functions, package
from infra.build.layer import template_architecture
from infra.local.template import FunctionDefinition


def _require(build_dir: Path, how: str) -> Path:
    if (build_dir / "template.yaml").is_file():
        return build_dir
    message = f"no build in {build_dir}: run `{how}`"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def deployed_architecture() -> str:
    return template_architecture()


@pytest.fixture(scope="session")
def deployed_build(deployed_architecture: str) -> Path:
    """What `make build` makes for the template's architecture (the one that is deployed)."""
    return _require(default_build_dir(deployed_architecture), "make build")


@pytest.fixture(scope="session")
def host_build() -> Path:
    """The same build for this machine's architecture, the one that can run here."""
    return _require(default_build_dir(host_architecture()), "make build ARCH=host")


@pytest.fixture(scope="session")
def packaged(host_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Packaged]:
    yield package(host_build, tmp_path_factory.mktemp("packaged"))


@pytest.fixture(scope="session")
def template_functions() -> dict[str, FunctionDefinition]:
    return functions()
