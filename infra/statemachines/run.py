"""Run one execution of a state machine of template.yaml locally, to the end.

    python -m infra.statemachines.run NAME INPUT [--start-db [--in-memory]] [--execution-name NAME]
                                                 [--history] [--env NAME=VALUE ...]

``NAME`` is the state machine's logical id without ``StateMachine``
(``ApplyAccountCredits``, ``ConvertAndSettleInvoice``). ``INPUT`` is the execution
input as JSON text, ``@file.json``, or ``-`` for standard input.

moto's Step Functions interpreter runs the definition (``infra/statemachines/*.asl.json``
with the template's ``DefinitionSubstitutions``); every Lambda task runs the function's
handler in this process (``infra.statemachines.local``), against the same DynamoDB as
``make run`` / ``make invoke``: ``DYNAMODB_ENDPOINT_URL`` if set, else DynamoDB Local on
http://127.0.0.1:8000, or with ``--start-db`` one started for this run (tables created).
The execution's output is printed on standard output (with ``--history``, the events
too); the exit code is 0 if it SUCCEEDED, 1 if it failed, 2 for a usage or setup error.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from infra.local.dynamodb_local import (
    DynamoDBLocalStartError,
    DynamoDBLocalUnavailable,
)
from infra.local.endpoint import NoDynamoDB, dynamodb_endpoint
from infra.local.lambda_runtime import (
    FakeLambdaContext,
    Handler,
    apply_process_defaults,
    function_environment,
    load_handler,
)
from infra.local.template import DEFAULT_TEMPLATE, Template, TemplateError
from infra.statemachines.local import (
    ExecutionResult,
    InProcessLambda,
    LocalStepFunctions,
    StateMachineError,
    lambda_function_names,
    serve_lambda_tasks,
)


def _read_input(text: str) -> Any:
    try:
        if text == "-":
            text = sys.stdin.read()
        elif text.startswith("@"):
            text = Path(text[1:]).read_text(encoding="utf-8")
        return json.loads(text)
    except (OSError, json.JSONDecodeError) as exc:
        raise SystemExit(f"error: the execution input is not JSON: {exc}") from exc


def _key_values(items: list[str]) -> dict[str, str]:
    result = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise SystemExit(f"error: --env must look like NAME=VALUE, got {item!r}")
        result[name] = value
    return result


def run(
    template: Template,
    name: str,
    execution_input: Any,
    *,
    endpoint_url: str,
    execution_name: str | None = None,
    env_overrides: dict[str, str] | None = None,
) -> ExecutionResult:
    """One execution through moto's interpreter, the tasks served by the handlers in-process."""
    import boto3
    from moto import mock_aws

    functions = template.functions()
    handlers: dict[str, Handler] = {}
    apply_process_defaults(template.context.region)
    # The functions share their environment (template Globals); it is set once for the process.
    for function in functions.values():
        os.environ.update(
            function_environment(
                function, endpoint_url=endpoint_url, region=template.context.region, overrides=env_overrides
            )
        )

    def task(logical_id: str, payload: Any) -> Any:
        function = functions[logical_id]
        if logical_id not in handlers:
            handlers[logical_id] = load_handler(function)
        context = FakeLambdaContext(
            function, region=template.context.region, account_id=template.context.account_id
        )
        return handlers[logical_id](payload, context)

    config: Any = {
        "stepfunctions": {"execute_state_machine": True},
        # The handlers' DynamoDB calls go to the local endpoint, not to moto.
        "core": {"passthrough": {"urls": [re.escape(endpoint_url) + ".*"], "services": ["dynamodb"]}},
    }
    fake = InProcessLambda(lambda_function_names(template), task)
    with mock_aws(config=config), serve_lambda_tasks(fake):
        client = boto3.client("stepfunctions", region_name=template.context.region)
        runner = LocalStepFunctions(template, client)
        return runner.execute(name, execution_input, execution_name, timeout_s=900)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infra.statemachines.run",
        description="Run a state machine of template.yaml locally (moto's interpreter, in-process tasks).",
    )
    parser.add_argument("state_machine", help="ApplyAccountCredits or ConvertAndSettleInvoice")
    parser.add_argument("input", help="execution input: JSON text, @file.json, or - for standard input")
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE)
    parser.add_argument("--execution-name", help="execution name (default: a random UUID)")
    parser.add_argument("--start-db", action="store_true", help="start DynamoDB Local and create tables")
    parser.add_argument("--in-memory", action="store_true", help="with --start-db: keep nothing on disk")
    parser.add_argument("--history", action="store_true", help="also print the execution's events")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    execution_input = _read_input(args.input)
    env_overrides = _key_values(args.env)
    apply_process_defaults()
    try:
        template = Template.load(args.template)
    except TemplateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    try:
        # Handler logs go to standard error; standard output is the execution's result only.
        with (
            dynamodb_endpoint(template, start_db=args.start_db, in_memory=args.in_memory) as endpoint_url,
            contextlib.redirect_stdout(sys.stderr),
        ):
            result = run(
                template,
                args.state_machine,
                execution_input,
                endpoint_url=endpoint_url,
                execution_name=args.execution_name,
                env_overrides=env_overrides,
            )
    except (DynamoDBLocalUnavailable, DynamoDBLocalStartError, StateMachineError, NoDynamoDB) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report: dict[str, Any] = {
        "executionArn": result.execution_arn,
        "status": result.status,
        "output": result.output,
    }
    if result.status != "SUCCEEDED":
        report |= {"error": result.error, "cause": result.cause}
    if args.history:
        report["history"] = result.history
    print(json.dumps(report, indent=2, default=str), flush=True)
    return 0 if result.status == "SUCCEEDED" else 1


if __name__ == "__main__":
    sys.exit(main())
