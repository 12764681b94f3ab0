"""``python -m infra.bench --smoke`` runs every section and writes the JSON the docs describe.

Only the structure and the correctness checks are asserted (the contention invariants, requests
counted per operation); figures are never asserted. Needs DynamoDB Local (Java, and npm or the
cached jar); skipped without it. Takes about 15-25 s.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infra.local.dynamodb_local import CACHE_DIR, NPM_PACKAGE, NPM_VERSION, java_executable

REPO_ROOT = Path(__file__).resolve().parents[2]
SECTIONS = {
    "round_trips",
    "capacity",
    "overhead",
    "cold_start",
    "cpu",
    "scale",
    "contention",
    "numbering",
    "summary",
    "local_server",
    "documents",
    "replay_backlog",
    "salesforce",
}

pytestmark = pytest.mark.integration


def _dynamodb_local_available() -> bool:
    cached = (CACHE_DIR / f"{NPM_PACKAGE}-{NPM_VERSION}" / ".complete").exists()
    return java_executable() is not None and (cached or shutil.which("npm") is not None)


@pytest.mark.skipif(
    not _dynamodb_local_available(), reason="DynamoDB Local needs Java and npm (or its cached jar)"
)
def test_bench_smoke_runs_every_section(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    markdown = tmp_path / "bench.md"
    completed = subprocess.run(
        [sys.executable, "-m", "infra.bench", "--smoke", "--out", str(out), "--markdown", str(markdown)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    data = json.loads(out.read_text())

    assert data["failures"] == {}
    assert set(data["sections"]) == SECTIONS
    assert data["meta"]["engine_kind"] == "dynamodb-local"
    assert {"nproc", "cpu_model", "memory_gib", "python"} <= set(data["machine"])
    for name, section in data["sections"].items():
        assert section["rows"], name
        for row in section["rows"]:
            assert set(section["columns"]) <= set(row), (name, row)

    round_trips = {row["operation"]: row for row in data["sections"]["round_trips"]["rows"]}
    apply = round_trips["apply (invoice level)"]
    assert apply["without_key"]["by_operation"] == {"BatchGetItem": 1, "TransactWriteItems": 1}
    assert apply["floor"] == 2

    for row in data["sections"]["capacity"]["rows"]:
        # the floor is a lower bound of the bill, and an apply reads each document once
        assert row["billed_rcu"] >= row["floor_rcu"] and row["total_wcu"] >= row["floor_wcu"], row
    capacity = {row["operation"]: row for row in data["sections"]["capacity"]["rows"]}
    # Each item read once: a line-level apply changes every item it reads (headers and the chunk
    # of each document holding the lines); an invoice-level one also reads the chunks it leaves
    # alone (the documents are read whole), so its ratio is above 1.
    assert capacity["apply line (line level, 1 line)"]["read_ratio"] == 1.0

    for row in data["sections"]["overhead"]["rows"]:
        assert row["handler_ops_s"] > 0 and row["bare_ops_s"] > 0
    cold = data["sections"]["cold_start"]["rows"]
    assert cold[0]["function"].startswith("baseline")
    assert any(row["function"] == "apply_credit_memo" for row in cold)
    for row in data["sections"]["contention"]["rows"]:
        assert row["invariants_ok"], row["invariants"]
        assert row["other"] == 0, row["outcomes"]
    for row in data["sections"]["numbering"]["rows"]:
        assert row["numbers_ok"], row
        assert row["other"] == 0 and row["numbered"] > 0, row["outcomes"]
    one, many, keep, lag = data["sections"]["summary"]["rows"]
    assert one["billed_rcu"] == many["billed_rcu"] == 0.5, (one, many)  # one read, however many documents
    assert keep["wcu_per_change"] > 0 and lag["not_reflected"] == 0 and lag["quiescent"], (keep, lag)
    for row in data["sections"]["local_server"]["rows"]:
        assert row["invariants_ok"], row["invariants"]
        assert (row["resets"], row["server_errors"], row["client_errors"]) == (0, 0, 0), row["outcomes"]
    assert [row["clients"] for row in data["sections"]["local_server"]["rows"]] == [1, 8, 64]
    for row in data["sections"]["replay_backlog"]["rows"]:
        assert row["complete"] and row["out_of_order"] == 0 and row["replayed"] >= row["backlog"], row
    salesforce = data["sections"]["salesforce"]["rows"]
    assert len(salesforce) == 3 and all(
        row["native_ms"] > 0 and row["salesforce_ms"] > 0 for row in salesforce
    )
    assert "### 1. DynamoDB requests per operation" in markdown.read_text()
