"""The generated tables are kept in sync; the user docs stay short, linked and current.

docs/reference.md's operation table comes from template.yaml and openapi.json, its limits table
from ``credit_memos.limits``; the README's roles table from the command types.
The user docs are README.md and docs/*.md but docs/api.md (the contract).
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from infra.local.template import REPO_ROOT, Template
from infra.openapi import OUTPUT as OPENAPI_PATH
from infra.readme import (
    BEGIN,
    END,
    README,
    REFERENCE,
    ReadmeError,
    expected_files,
    expected_reference,
    render_table,
)


def table_rows() -> list[list[str]]:
    text = REFERENCE.read_text(encoding="utf-8")
    block = text.split(BEGIN, 1)[1].split(END, 1)[0]
    lines = [line for line in block.strip().splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def test_committed_tables_match_the_template() -> None:
    for path, text in expected_files().items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is stale: run `python -m infra.readme`"


def test_every_template_route_is_in_the_table_once() -> None:
    listed = [row[1].strip("`").split("?", 1)[0] for row in table_rows()]
    assert listed == [f"{route.method} {route.path}" for route in Template.load().routes()]


def test_a_route_missing_from_openapi_json_is_refused() -> None:
    document = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    partial = copy.deepcopy(document)
    del partial["paths"]["/invoices"]["get"]
    with pytest.raises(ReadmeError, match="GET', '/invoices'"):
        render_table(Template.load(), partial)


def test_the_limits_table_is_written_from_the_limits_module(monkeypatch: pytest.MonkeyPatch) -> None:
    from credit_memos import limits

    assert "| invoices per apply request | 25 |" in REFERENCE.read_text(encoding="utf-8")
    monkeypatch.setattr(limits, "DESCRIBED", (("invoices per apply request", limits.MAX_APPLY_TARGETS + 1),))
    assert "| invoices per apply request | 26 |" in expected_reference()


USER_DOCS = [README, *sorted(path for path in (REPO_ROOT / "docs").glob("*.md") if path.name != "api.md")]
CODE_BLOCK = re.compile(r"^```.*?^```", re.M | re.S)


def test_the_readme_names_the_two_commands_and_stays_short() -> None:
    text = README.read_text(encoding="utf-8")
    assert "make run" in text and "make test" in text
    assert len(text.splitlines()) <= 250
    assert len((REPO_ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8").splitlines()) <= 350


@pytest.mark.parametrize("path", USER_DOCS, ids=lambda path: path.name)
def test_user_docs_name_no_issue_numbers(path: Path) -> None:
    assert not re.findall(r"\bissues? #?[0-9]+", path.read_text(encoding="utf-8"), re.I)


@pytest.mark.parametrize("path", USER_DOCS, ids=lambda path: path.name)
def test_shell_blocks_hold_no_angle_bracket_placeholders(path: Path) -> None:
    """``<id>`` in a pasted command is a redirection: examples take ids from shell variables."""
    blocks = [b for b in CODE_BLOCK.findall(path.read_text(encoding="utf-8")) if b.startswith("```bash")]
    for block in blocks:
        assert not re.findall(r"<[A-Za-z][\w .-]*>", block), block


def _anchor(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = CODE_BLOCK.sub("", path.read_text(encoding="utf-8"))
    return {_anchor(heading) for heading in re.findall(r"^#+ (.*)$", text, re.M)}


@pytest.mark.parametrize("path", USER_DOCS, ids=lambda path: path.name)
def test_relative_links_reach_a_file_and_heading(path: Path) -> None:
    text = CODE_BLOCK.sub("", path.read_text(encoding="utf-8"))
    for target, fragment in re.findall(r"\]\(([^)#\s]*)(?:#([^)\s]*))?\)", text):
        if target.startswith(("http://", "https://")):
            continue
        linked = (path.parent / target).resolve() if target else path
        assert linked.exists(), f"{path.name}: {target} does not exist"
        if fragment and linked.suffix == ".md":
            where = target or path.name
            assert fragment in _anchors(linked), f"{path.name}: no heading #{fragment} in {where}"
