"""Invoke one function with an event file, like ``sam local invoke FUNCTION -e EVENT_FILE``.

    python -m infra.local.invoke FUNCTION EVENT_FILE [--start-db] [--env NAME=VALUE ...]

``FUNCTION`` is the template logical id (``ApplyCreditMemoFunction``) or the function's folder name
under ``functions/``. ``EVENT_FILE`` is a JSON file (``-`` reads standard input). The function gets the
same environment as under ``server`` and a fake Lambda context. The handler's logs go to standard error;
its JSON result is printed on standard output. If the handler raises, the Lambda runtime's error JSON
(``errorType``, ``errorMessage``, ``stackTrace``) is printed and the exit code is 1.

DynamoDB: ``DYNAMODB_ENDPOINT_URL`` if set; otherwise the DynamoDB Local of a running ``make run``
(http://127.0.0.1:$DYNAMODB_PORT, default 8000) -- start that in another terminal -- or pass
``--start-db`` to start DynamoDB Local for this call if nothing listens there (data in
``.local/dynamodb/`` unless ``--in-memory``) and create the tables. A service on that port that does
not answer like DynamoDB is refused (see ``infra.local.endpoint``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
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
    apply_process_defaults,
    error_payload,
    function_environment,
    load_handler,
)
from infra.local.template import DEFAULT_TEMPLATE, Template, TemplateError


def _key_values(items: list[str], what: str) -> dict[str, str]:
    result = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise SystemExit(f"error: {what} must look like NAME=VALUE, got {item!r}")
        result[name] = value
    return result


def _read_event(path: str) -> Any:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SystemExit(f"error: cannot read event file {path}: {exc}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SystemExit(f"error: event file {path} is not JSON: {exc}") from exc


def invoke(
    template: Template,
    function_name: str,
    event: Any,
    *,
    endpoint_url: str | None,
    env_overrides: dict[str, str] | None = None,
) -> tuple[bool, Any]:
    """Invoke once; return (True, result) or (False, Lambda error payload). Logs go to stderr."""
    function = template.find_function(function_name)
    env = function_environment(
        function, endpoint_url=endpoint_url, region=template.context.region, overrides=env_overrides
    )
    apply_process_defaults(template.context.region)
    os.environ.update(env)
    context = FakeLambdaContext(
        function, region=template.context.region, account_id=template.context.account_id
    )
    # Loggers created at import write to the stdout of that moment: keep stdout for the result only.
    with contextlib.redirect_stdout(sys.stderr):
        try:
            handler = load_handler(function)
            return True, handler(event, context)
        except Exception as exc:  # includes HandlerLoadError (Runtime.ImportModuleError)
            return False, error_payload(exc, context.aws_request_id)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infra.local.invoke",
        description="Invoke a function of template.yaml with an event file, like `sam local invoke -e`.",
    )
    parser.add_argument("function", help="template logical id, or the folder name under functions/")
    parser.add_argument("event_file", help="JSON event file, or - for standard input")
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE)
    parser.add_argument("--start-db", action="store_true", help="start DynamoDB Local and create tables")
    parser.add_argument("--in-memory", action="store_true", help="with --start-db: keep nothing on disk")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--parameter-override", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument(
        "--built", action="store_true", help="run the built artifact (make build ARCH=<host>) under the RIE"
    )
    args = parser.parse_args(argv)
    env_overrides = _key_values(args.env, "--env")
    parameters = _key_values(args.parameter_override, "--parameter-override")

    apply_process_defaults()
    event = _read_event(args.event_file)
    try:
        template = Template.load(args.template, parameter_overrides=parameters)
        template.find_function(args.function)
    except TemplateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    try:
        with dynamodb_endpoint(template, start_db=args.start_db, in_memory=args.in_memory) as endpoint_url:
            if args.built:  # infra/build/rie.py: packaged artifact, Lambda's emulator, awslambdaric
                from infra.build.rie import invoke_built

                function = template.find_function(args.function)
                ok, payload = invoke_built(
                    function, event, endpoint_url=endpoint_url, env_overrides=env_overrides
                )
            else:
                ok, payload = invoke(
                    template, args.function, event, endpoint_url=endpoint_url, env_overrides=env_overrides
                )
    except (DynamoDBLocalUnavailable, DynamoDBLocalStartError, NoDynamoDB) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        text = json.dumps(payload)
    except (TypeError, ValueError) as exc:
        ok, text = (
            False,
            json.dumps(
                {"errorType": "Runtime.MarshalError", "errorMessage": f"Unable to marshal response: {exc}"}
            ),
        )
    print(text, flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
