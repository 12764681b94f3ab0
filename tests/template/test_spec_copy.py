"""docs/api.md is the product contract, copied into the repository so that it is complete on its own.

The shared original lives in ``spec/api.md`` of the shared folder beside the clone (``../shared``,
read-only in CI). When it is there, the copy must be identical to it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
COPY = REPO / "docs" / "api.md"
SHARED = REPO.parent / "shared" / "spec" / "api.md"


def test_the_contract_is_in_the_repository() -> None:
    text = COPY.read_text(encoding="utf-8")
    assert text.startswith("# Credit memo service: product contract")
    assert "## 3. HTTP API" in text


def test_the_copy_equals_the_shared_contract() -> None:
    if not SHARED.is_file():
        pytest.skip(f"no shared contract at {SHARED} (the shared folder is not beside this clone)")
    assert COPY.read_bytes() == SHARED.read_bytes(), f"docs/api.md differs from {SHARED}: copy it again"
