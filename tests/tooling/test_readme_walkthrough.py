"""The README's walkthrough, run exactly as written against the server `make run` starts.

The fenced bash block under "## A walkthrough" is pasted into bash (only the base URL points at
this test's port), and the balances it prints are checked: a walkthrough that fails when pasted
(a 409 after a step that did not happen, a placeholder the shell misreads) fails here.
"""

from __future__ import annotations

import json
import re
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"

pytestmark = pytest.mark.integration


def walkthrough() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## A walkthrough", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) == 1, "the walkthrough is one bash block"
    return blocks[0]


def salesforce_example() -> str:
    """The bash block of "## Coming from Salesforce", which uses the walkthrough's ids."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Coming from Salesforce", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL)
    return block


def _json_lines(output: str) -> list[dict[str, Any]]:
    found = []
    for line in output.splitlines():
        if line.startswith("{"):
            found.append(json.loads(line))
    return found


def test_the_walkthrough_runs_as_written_and_its_balances_add_up(base_url: str, tmp_path: Path) -> None:
    script = walkthrough()
    assert "B=http://127.0.0.1:3000\n" in script
    script = script.replace("B=http://127.0.0.1:3000\n", f"B={base_url}\n", 1)
    script += salesforce_example().replace("http://127.0.0.1:3000", base_url)
    run = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr + run.stdout
    answers = _json_lines(run.stdout)
    assert not [a for a in answers if "errorCode" in a], run.stdout

    invoice = next(a for a in answers if a.get("id", "").startswith("inv_") and "lines" in a)
    final = [a for a in answers if a.get("id") == invoice["id"] and "lines" in a][-1]
    total = Decimal(final["totalAmountWithTax"])
    converted = Decimal(final["totalConvertedNegAmount"])
    credits, payments = Decimal(final["netCreditsApplied"]), Decimal(final["netPaymentsApplied"])
    # 300 + 30 tax - 100 refund line. The refund line converted (-100) into a memo applied back
    # (100), 30.00 credited from the first line with its 3.00 tax copied (33), 20.00 applied and
    # unapplied (0), and the 40.00 payment reversed (0).
    assert total == Decimal("230.00")
    assert (converted, credits, payments) == (Decimal("-100.00"), Decimal("133.00"), Decimal("0.00"))
    assert Decimal(final["balance"]) == total - converted - credits - payments == Decimal("197.00")
    refund = [a for a in answers if a.get("refundReference") == "ACH-0007"][-1]
    assert (refund["type"], refund["amount"], refund["creditMemoBalance"]) == ("Refund", "10.00", "15.00")
    written_off = next(a for a in answers if "results" in a)["results"][0]
    assert written_off["success"] and written_off["creditMemo"]["totalAmountWithTax"] == "96.00"
    assert (tmp_path / "credit-note.pdf").read_bytes().startswith(b"%PDF-")
    (applied,) = json.loads(run.stdout.strip().splitlines()[-1])  # the Salesforce action's answer
    assert (applied["actionName"], applied["isSuccess"]) == ("applyCredit", True), applied
    memo = next(a for a in answers if a.get("id", "").startswith("cm_") and a.get("status") == "Voided")
    assert (memo["balance"], memo["netCreditsApplied"]) == ("0.00", "0.00")
