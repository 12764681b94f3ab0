"""A minimal stand-in for the Lambda Python runtime, shared by ``server`` and ``invoke``.

- :func:`function_environment`: the environment a function sees locally (local defaults, then the
  template's ``Globals`` + function variables, then what the Lambda runtime itself sets, then the local
  DynamoDB endpoint, then explicit overrides).
- :func:`load_handler`: import a function's handler file under a unique module name (the function's
  code folder is on ``sys.path`` while it imports, as ``LAMBDA_TASK_ROOT`` is in Lambda).
- :class:`FakeLambdaContext`: the attributes and method of the Lambda context object.
- :func:`error_payload`: the JSON the Lambda runtime returns when a handler raises.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from infra.local.template import LOCAL_ACCOUNT_ID, LOCAL_REGION, FunctionDefinition

Handler = Callable[[Any, Any], Any]

# Set for every local run (the template's values win where it sets the same variable).
LOCAL_DEFAULT_ENV: dict[str, str] = {
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "CreditMemos",
}
# The seller on local credit notes (the template's Seller* parameters, empty by default, stand for
# a deployment's own); each one is used only where the template's value is empty.
SAMPLE_SELLER: dict[str, str] = {
    "SELLER_NAME": "Example Billing GmbH",
    "SELLER_ADDRESS_LINE1": "Musterstraße 1",
    "SELLER_CITY": "Berlin",
    "SELLER_POSTAL_CODE": "10115",
    "SELLER_COUNTRY": "DE",
    "SELLER_VAT_ID": "DE123456789",
}
# Issued documents locally: a folder instead of the archive bucket (settings.document_archive_dir).
LOCAL_DOCUMENTS_DIR = Path(__file__).resolve().parents[2] / ".local" / "documents"
# Set only when the shell has none: DynamoDB Local and moto accept any credentials.
DUMMY_CREDENTIALS: dict[str, str] = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
}


class HandlerLoadError(Exception):
    """The handler file is missing, fails to import, or has no such callable (Runtime.ImportModuleError)."""


def apply_process_defaults(region: str = LOCAL_REGION) -> None:
    """Region for boto3 and dummy credentials if the shell has none; call once at startup."""
    os.environ["AWS_DEFAULT_REGION"] = region
    os.environ["AWS_REGION"] = region
    for name, value in DUMMY_CREDENTIALS.items():
        os.environ.setdefault(name, value)


def function_environment(
    function: FunctionDefinition,
    *,
    endpoint_url: str | None,
    region: str = LOCAL_REGION,
    overrides: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment variables ``function`` gets locally (without the process-wide credentials)."""
    env: dict[str, str] = dict(LOCAL_DEFAULT_ENV)
    env.update(function.environment)
    # Reserved variables the Lambda runtime sets itself.
    env.update(
        {
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.runtime or 'python3.13'}",
            "LAMBDA_TASK_ROOT": str(function.code_dir),
        }
    )
    if endpoint_url:
        env["DYNAMODB_ENDPOINT_URL"] = endpoint_url
    # The deployed policy's path means nothing here: the shell's (make run ACCESS_POLICY_FILE=...),
    # else none (every caller an Approver).
    env.pop("ACCESS_POLICY_FILE", None)
    if os.environ.get("ACCESS_POLICY_FILE"):
        env["ACCESS_POLICY_FILE"] = os.path.abspath(os.environ["ACCESS_POLICY_FILE"])
    if "DOCUMENT_ARCHIVE_BUCKET" in env:  # the document function: a folder, a sample seller
        del env["DOCUMENT_ARCHIVE_BUCKET"]
        env["DOCUMENT_ARCHIVE_DIR"] = str(LOCAL_DOCUMENTS_DIR)
        env.update({name: value for name, value in SAMPLE_SELLER.items() if not env.get(name)})
    env.update(overrides or {})
    return env


class FakeLambdaContext:
    """What a handler reads from the Lambda context object."""

    def __init__(
        self,
        function: FunctionDefinition,
        *,
        request_id: str | None = None,
        region: str = LOCAL_REGION,
        account_id: str = LOCAL_ACCOUNT_ID,
    ) -> None:
        self.function_name = function.function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{account_id}:function:{function.function_name}"
        self.memory_limit_in_mb = function.memory_mb
        self.aws_request_id = request_id or str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function.function_name}"
        self.log_stream_name = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        self.identity: Any = None
        self.client_context: Any = None
        self.timeout_s = function.timeout_s
        self._deadline = time.monotonic() + function.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


_import_lock = threading.RLock()


@contextmanager
def temporary_environ(values: Mapping[str, str]) -> Iterator[None]:
    """Set ``values`` in ``os.environ`` for the duration of the block, then restore what was there."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, old in saved.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old


def module_name_for(function: FunctionDefinition, instance: int = 0) -> str:
    safe = re.sub(r"\W", "_", function.logical_id)
    return f"_local_lambda_{safe}_{instance}"


def load_handler(
    function: FunctionDefinition,
    *,
    module_name: str | None = None,
    import_env: Mapping[str, str] | None = None,
) -> Handler:
    """Import the function's handler file as a fresh module and return its handler callable.

    ``import_env`` is put into ``os.environ`` only while the module imports (for variables that
    differ between functions sharing one process; module-level code reads them at import time).
    """
    path = function.handler_file
    if not path.is_file():
        raise HandlerLoadError(f"{function.logical_id}: handler file {path} does not exist")
    name = module_name or module_name_for(function)
    with _import_lock, temporary_environ(import_env or {}):
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise HandlerLoadError(f"{function.logical_id}: cannot import {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        code_dir = str(function.code_dir)
        sys.path.insert(0, code_dir)
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            sys.modules.pop(name, None)
            raise HandlerLoadError(
                f"{function.logical_id}: importing {path} failed: {type(exc).__name__}: {exc}"
            ) from exc
        finally:
            with suppress(ValueError):
                sys.path.remove(code_dir)
    handler = getattr(module, function.handler_function, None)
    if not callable(handler):
        raise HandlerLoadError(f"{function.logical_id}: {path} has no callable {function.handler_function}")
    return cast(Handler, handler)


def error_payload(exc: BaseException, request_id: str | None = None) -> dict[str, Any]:
    """The body the Lambda Python runtime returns for an unhandled exception."""
    error_type = "Runtime.ImportModuleError" if isinstance(exc, HandlerLoadError) else type(exc).__name__
    payload: dict[str, Any] = {
        "errorType": error_type,
        "errorMessage": str(exc),
        "stackTrace": [line.rstrip("\n") for line in traceback.format_tb(exc.__traceback__)],
    }
    if request_id:
        payload["requestId"] = request_id
    return payload
