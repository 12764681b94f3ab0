"""The ASL definitions: valid for statelint (and asl-validator), retry and catch by the rules.

statelint is the Python port of awslabs/statelint (PyPI ``statelint``, a dev
dependency; the Ruby gem cannot be installed here). asl-validator (npm) is installed
by ``make tools`` into ``.local/asl-validator``; its checks are skipped only where npm
is missing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from credit_memos.domain.settlement import SKIPPABLE_ERRORS

REPO = Path(__file__).resolve().parents[2]
DEFINITIONS = sorted((REPO / "infra" / "statemachines").glob("*.asl.json"))
STATELINT = Path(sys.executable).with_name("statelint")
ASL_VALIDATOR = REPO / ".local" / "asl-validator" / "node_modules" / ".bin" / "asl-validator"

RETRYABLE = {"ConcurrentUpdate", "ServiceUnavailable", "IdempotencyKeyInUse"}
LAMBDA_SERVICE_ERRORS = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
}


def _name(path: Path) -> str:
    return path.name


# The example Salesforce flow applies through the invocable-action function, not the plan.
SALESFORCE_FLOW = REPO / "infra" / "statemachines" / "salesforce_credit_flow.asl.json"
SETTLEMENT = [p for p in DEFINITIONS if p != SALESFORCE_FLOW]


def test_the_state_machines_are_defined() -> None:
    assert [p.name for p in DEFINITIONS] == [
        "apply_account_credits.asl.json",
        "convert_and_settle_invoice.asl.json",
        "salesforce_credit_flow.asl.json",
    ]


def test_the_salesforce_flow_runs_each_action_under_the_executions_key() -> None:
    definition = json.loads(SALESFORCE_FLOW.read_text(encoding="utf-8"))
    tasks = [s for _, s in _states(definition["States"]) if s["Type"] == "Task"]
    assert [t["Parameters"]["Payload"]["actionName"] for t in tasks] == ["applyCredit", "unapplyCredit"]
    assert all(t["Parameters"]["Payload"]["idempotencyKey.$"] == "$.idempotencyKey" for t in tasks)
    prepare = definition["States"]["Prepare"]["Parameters"]
    assert prepare["idempotencyKey.$"] == "States.Hash($$.Execution.Id, 'SHA-256')"


def _statelint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(STATELINT), str(path)], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("path", DEFINITIONS, ids=_name)
def test_statelint_accepts_the_definition(path: Path) -> None:
    assert STATELINT.exists(), "statelint is a dev dependency: run `make venv`"
    result = _statelint(path)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_statelint_rejects_a_broken_definition(tmp_path: Path) -> None:
    broken = json.loads(DEFINITIONS[0].read_text(encoding="utf-8"))
    broken["States"]["PlanApplications"]["Next"] = "NoSuchState"
    path = tmp_path / "broken.asl.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    result = _statelint(path)
    assert result.returncode != 0 and "NoSuchState" in result.stdout + result.stderr


@pytest.mark.parametrize("path", DEFINITIONS, ids=_name)
def test_asl_validator_accepts_the_definition(path: Path) -> None:
    if not ASL_VALIDATOR.exists():
        pytest.skip("asl-validator is not installed (`make tools` installs it where npm exists)")
    result = subprocess.run(
        [str(ASL_VALIDATOR), "--json-path", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _states(states: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in states.items():
        yield name, state
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from _states(processor["States"])


@pytest.mark.parametrize("path", DEFINITIONS, ids=_name)
def test_tasks_retry_only_retryable_errors_and_catch_only_skippable_ones(path: Path) -> None:
    definition = json.loads(path.read_text(encoding="utf-8"))
    tasks = [(n, s) for n, s in _states(definition["States"]) if s["Type"] == "Task"]
    assert tasks
    for name, task in tasks:
        assert task["Resource"] == "arn:aws:states:::lambda:invoke", name
        assert task["Parameters"]["FunctionName"].startswith("${"), name
        retried = [set(r["ErrorEquals"]) for r in task["Retry"]]
        assert LAMBDA_SERVICE_ERRORS in retried, f"{name}: Lambda service errors are retried"
        for retrier, errors in zip(task["Retry"], retried, strict=True):
            assert errors <= RETRYABLE | LAMBDA_SERVICE_ERRORS, f"{name} retries {errors}"
            assert retrier["BackoffRate"] >= 2 and retrier["JitterStrategy"] == "FULL", name
            assert retrier["MaxAttempts"] >= 3 and retrier["MaxDelaySeconds"] <= 60, name
        for catcher in task.get("Catch", []):
            assert set(catcher["ErrorEquals"]) <= set(SKIPPABLE_ERRORS), f"{name} catches {catcher}"
            assert catcher["ResultPath"] == "$.error"


@pytest.mark.parametrize("path", SETTLEMENT, ids=_name)
def test_every_apply_carries_an_idempotency_key_from_the_plan(path: Path) -> None:
    definition = json.loads(path.read_text(encoding="utf-8"))
    applies = [
        s
        for _, s in _states(definition["States"])
        if s["Type"] == "Task" and s["Parameters"]["FunctionName"] == "${ApplyCreditMemoFunctionArn}"
    ]
    assert len(applies) == 1
    assert applies[0]["Parameters"]["Payload"]["idempotencyKey.$"] == "$.idempotencyKey"
    plans = [
        s
        for _, s in _states(definition["States"])
        if s["Type"] == "Task" and s["Parameters"].get("Payload", {}).get("action") == "plan"
    ]
    assert [p["Parameters"]["Payload"]["executionId.$"] for p in plans] == ["$$.Execution.Id"]
