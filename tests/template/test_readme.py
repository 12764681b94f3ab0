"""The README's operation table is generated from template.yaml and openapi.json, and kept in sync."""

from __future__ import annotations

import copy
import json

import pytest

from infra.local.template import Template
from infra.openapi import OUTPUT as OPENAPI_PATH
from infra.readme import BEGIN, END, README, ReadmeError, expected_readme, render_table


def table_rows() -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    block = text.split(BEGIN, 1)[1].split(END, 1)[0]
    lines = [line for line in block.strip().splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def test_committed_readme_table_matches_the_template() -> None:
    assert README.read_text(encoding="utf-8") == expected_readme(), (
        "README.md's operation table is stale: run `python -m infra.readme`"
    )


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

    assert "| invoices per apply request | 25 |" in README.read_text(encoding="utf-8")
    monkeypatch.setattr(limits, "DESCRIBED", (("invoices per apply request", limits.MAX_APPLY_TARGETS + 1),))
    assert "| invoices per apply request | 26 |" in expected_readme()
