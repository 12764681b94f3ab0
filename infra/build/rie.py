"""Invoke a built, packaged function through the Lambda Runtime Interface Emulator.

The emulator is the one that ships inside aws-sam-cli (``samcli/local/rapid/aws-lambda-rie-<arch>``
of the tool environment ``.local/sam-venv``), and the runtime client is ``awslambdaric``, installed
by ``make build`` into ``.local/lambda-runtime`` (in Lambda both belong to the managed runtime; the
function and its layer bring neither). The bootstrap is a fresh ``python3.13 -I -S`` whose path is
the function's folder, the layer's ``python/``, the standard library and, last, the runtime client,
with the function's environment from the template. Both listen on 127.0.0.1 only.

    with Emulator(packaged, function, endpoint_url=...) as emulator:
        result = emulator.invoke(event)   # the function's JSON result (or Lambda's error JSON)
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

from infra.build.artifacts import Packaged, function_env, stdlib_python
from infra.local.dynamodb_local import free_port
from infra.local.template import FunctionDefinition

REPO_ROOT = Path(__file__).resolve().parents[2]
SAM_VENV = REPO_ROOT / ".local" / "sam-venv"
RUNTIME_DIR = REPO_ROOT / ".local" / "lambda-runtime"
INVOCATIONS = "/2015-03-31/functions/function/invocations"

BOOTSTRAP = r"""
import sys
task_root, layer, runtime, handler = sys.argv[1:5]
sys.path[:0] = [task_root, layer]
sys.path.append(runtime)
from awslambdaric.__main__ import main
main([sys.argv[0], handler])
"""


class EmulatorUnavailable(RuntimeError):
    """The emulator or the runtime client is not installed (``make build`` installs both)."""


def emulator_binary() -> Path:
    machine = {"aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)
    found = sorted(SAM_VENV.glob(f"lib/python3*/site-packages/samcli/local/rapid/aws-lambda-rie-{machine}"))
    if not found:
        raise EmulatorUnavailable(f"no aws-lambda-rie-{machine} under {SAM_VENV}: run `make build`")
    return found[0]


def runtime_client_dir() -> Path:
    if not (RUNTIME_DIR / "awslambdaric").is_dir():
        raise EmulatorUnavailable(f"awslambdaric is not installed in {RUNTIME_DIR}: run `make build`")
    return RUNTIME_DIR


class Emulator:
    """One emulated execution environment of ``function``: init on the first invoke, then warm."""

    def __init__(
        self,
        packaged: Packaged,
        function: FunctionDefinition,
        *,
        endpoint_url: str | None,
        env_overrides: dict[str, str] | None = None,
    ) -> None:
        self.packaged = packaged
        self.function = function
        self.endpoint_url = endpoint_url
        self.env_overrides = env_overrides or {}
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self._log = tempfile.NamedTemporaryFile(prefix="rie-", suffix=".log", delete=False)  # noqa: SIM115

    def __enter__(self) -> Emulator:
        task_root = self.packaged.function_dir(self.function.logical_id).resolve()
        env = function_env(self.function, task_root, self.endpoint_url)
        env.update(
            {
                "AWS_LAMBDA_FUNCTION_TIMEOUT": str(self.function.timeout_s),
                "AWS_LAMBDA_FUNCTION_HANDLER": self.function.handler,
                "_HANDLER": self.function.handler,
            }
        )
        env.update(self.env_overrides)
        command = [
            str(emulator_binary()),
            "--log-level",
            "error",
            "--runtime-interface-emulator-address",
            f"127.0.0.1:{self.port}",
            "--runtime-api-address",
            f"127.0.0.1:{free_port()}",
            stdlib_python(),
            "-I",
            "-S",
            "-c",
            BOOTSTRAP,
            str(task_root),
            str(self.packaged.layer_python.resolve()),
            str(runtime_client_dir()),
            self.function.handler,
        ]
        self._process = subprocess.Popen(
            command, env=env, cwd=task_root, stdout=self._log, stderr=subprocess.STDOUT
        )
        return self

    def log(self) -> str:
        self._log.flush()
        return Path(self._log.name).read_text(encoding="utf-8", errors="replace")

    def invoke(self, event: Any, timeout_s: float = 60.0) -> Any:
        """POST ``event`` to the emulator (retrying until it listens); the decoded response."""
        body = json.dumps(event).encode()
        deadline = time.monotonic() + timeout_s
        while True:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"the emulator exited ({self._process.returncode}):\n{self.log()[-4000:]}")
            request = urllib.request.Request(
                f"http://127.0.0.1:{self.port}{INVOCATIONS}", data=body, method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=timeout_s) as response:
                    return json.loads(response.read() or b"null")
            except urllib.error.URLError as exc:
                if not isinstance(exc.reason, ConnectionRefusedError) or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"invoking through the emulator failed: {exc}\n{self.log()[-4000:]}"
                    ) from exc
                time.sleep(0.05)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._log.close()
        Path(self._log.name).unlink(missing_ok=True)


def packaged_host_build(build_dir: Path | None = None) -> Packaged:
    """This machine's build (``make build ARCH=<host>``), zipped and unzipped like ``sam package``."""
    from infra.build.__main__ import default_build_dir, host_architecture
    from infra.build.artifacts import package

    architecture = host_architecture()
    source = build_dir or default_build_dir(architecture)
    if not (source / "template.yaml").is_file():
        raise EmulatorUnavailable(
            f"no build for this machine's architecture in {source}: run `make build ARCH={architecture}`"
        )
    return package(source, REPO_ROOT / ".local" / f"packaged-{architecture}")


def invoke_built(
    function: FunctionDefinition,
    event: Any,
    *,
    endpoint_url: str | None,
    env_overrides: dict[str, str] | None = None,
    packaged: Packaged | None = None,
) -> tuple[bool, Any]:
    """Invoke the built artifact once through the emulator: (True, result) or (False, error JSON).

    ``packaged``: an already unzipped artifact set; by default this machine's build, packaged anew.
    """
    try:
        packaged = packaged or packaged_host_build()
        emulator_binary()
        runtime_client_dir()
    except EmulatorUnavailable as exc:  # `make invoke INVOKE_ARGS=--built` before `make build ...`
        raise SystemExit(f"error: {exc}") from exc
    with Emulator(packaged, function, endpoint_url=endpoint_url, env_overrides=env_overrides) as emulator:
        result = emulator.invoke(event)
        log = emulator.log()
    if log.strip():
        import sys

        sys.stderr.write(log)
    failed = isinstance(result, dict) and "errorType" in result and "statusCode" not in result
    return not failed, result
