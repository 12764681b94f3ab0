"""Local Lambda "containers": one worker process per container, a pool of them per function.

Each container is a separate Python process (``python -c`` running :func:`worker_main`), started in
the function's code folder with the function's environment (the shell's, then the function's own
from :func:`~infra.local.lambda_runtime.function_environment`), that imports the handler once and then
runs one invocation at a time, as a Lambda execution environment does. Module state (Powertools'
current request, clients, caches) is therefore per container, and two functions never share
``os.environ``.

:class:`FunctionContainers` keeps up to ``max_concurrency`` containers of one function (the local
stand-in for reserved concurrency), started on demand and kept warm; a request that finds them all
busy waits for one to come free (it is queued, never refused). The function's ``Timeout`` is enforced
(the container is killed, as Lambda stops it), and a container that dies or fails to import is
replaced on the next request.

The protocol on the socket pair between the server and a container: the server sends the pickled
:class:`~infra.local.template.FunctionDefinition`; the container answers ``{"ready": true}`` or
``{"ready": false, "error": {...}}``; then, per invocation, one JSON message each way
(``{"event", "requestId"}`` -> ``{"ok": true, "result"}`` or ``{"ok": false, "error"}``). The handler's
result goes through JSON like in Lambda (a result JSON cannot encode is a ``Runtime.MarshalError``).
The container exits when the server closes its end (also when the server dies).
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Mapping
from multiprocessing.connection import Connection
from typing import Any

from infra.local.lambda_runtime import FakeLambdaContext, HandlerLoadError, error_payload, load_handler
from infra.local.template import REPO_ROOT, FunctionDefinition

# Containers per function (like a reserved concurrency). 64 clients on 2 cores are served best by a
# few: more only add memory (each container is a Python process of about 60-80 MB) and contention.
DEFAULT_MAX_CONCURRENCY = 8
# Lambda allows 10 s for a function's init; a loaded laptop gets more.
INIT_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 5.0

_BOOTSTRAP = (
    "import sys; sys.path.insert(1, sys.argv[1]); "
    "from infra.local.containers import worker_main; sys.exit(worker_main(int(sys.argv[2])))"
)


class InvocationFailed(Exception):
    """The invocation did not return a result: the handler raised, timed out, or its container died."""

    def __init__(self, payload: Mapping[str, Any]) -> None:
        self.payload = dict(payload)
        super().__init__(f"{self.payload.get('errorType')}: {self.payload.get('errorMessage')}")

    def describe(self) -> str:
        """The error and its stack trace, for the server's log."""
        return "\n".join([str(self), *(str(line) for line in self.payload.get("stackTrace") or [])])


class ContainersClosed(RuntimeError):
    """The server is stopping; no new invocation starts."""


def _runtime_error(error_type: str, message: str) -> dict[str, Any]:
    return {"errorType": error_type, "errorMessage": message, "stackTrace": []}


class Container:
    """One worker process holding one imported copy of a function's handler."""

    def __init__(
        self, function: FunctionDefinition, env: Mapping[str, str], stdout: int | None = None
    ) -> None:
        self.function = function
        parent, child = socket.socketpair()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _BOOTSTRAP, str(REPO_ROOT), str(child.fileno())],
                cwd=function.code_dir if function.code_dir.is_dir() else REPO_ROOT,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                pass_fds=(child.fileno(),),
                start_new_session=True,  # Ctrl-C reaches the server, which stops its containers
            )
        finally:
            child.close()
        self._connection = Connection(parent.detach())
        self.invocations = 0

    @property
    def pid(self) -> int:
        return self.process.pid

    def init(self, timeout_s: float = INIT_TIMEOUT_S) -> None:
        """Send the function definition and wait until the handler imported (HandlerLoadError if not)."""
        try:
            self._connection.send(self.function)
            message = self._receive(timeout_s)
        except InvocationFailed as exc:
            raise HandlerLoadError(f"{self.function.logical_id}: {exc}") from None
        except OSError as exc:
            raise HandlerLoadError(f"{self.function.logical_id}: container did not start: {exc}") from None
        if not message.get("ready"):
            error = message.get("error") or {}
            raise HandlerLoadError(str(error.get("errorMessage") or "the handler failed to import"))

    def invoke(self, event: Any, *, request_id: str, region: str, account_id: str) -> Any:
        """Run one invocation; the handler's result, or :class:`InvocationFailed`."""
        self.invocations += 1
        request = {"event": event, "requestId": request_id, "region": region, "accountId": account_id}
        try:
            self._connection.send_bytes(json.dumps(request).encode())
        except OSError:
            raise InvocationFailed(self._exited()) from None
        message = self._receive(float(self.function.timeout_s))
        if not message.get("ok"):
            raise InvocationFailed(message.get("error") or _runtime_error("Runtime.Unknown", "no error"))
        return message.get("result")

    def _receive(self, timeout_s: float) -> dict[str, Any]:
        try:
            ready = self._connection.poll(timeout_s)
        except OSError:
            raise InvocationFailed(self._exited()) from None
        if not ready:
            self.kill()
            raise InvocationFailed(
                _runtime_error("Sandbox.Timedout", f"Task timed out after {timeout_s:.2f} seconds")
            )
        try:
            data = self._connection.recv_bytes()
        except (EOFError, OSError):
            raise InvocationFailed(self._exited()) from None
        message: dict[str, Any] = json.loads(data)
        return message

    def _exited(self) -> dict[str, Any]:
        try:
            code = self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.process.returncode
        return _runtime_error("Runtime.ExitError", f"RequestId: container exited with status {code}")

    @property
    def alive(self) -> bool:
        return self.process.poll() is None and not self._connection.closed

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=STOP_TIMEOUT_S)
        self._close_connection()

    def stop(self) -> None:
        """Close the socket (the worker exits on end of file), then make sure it has gone."""
        self._close_connection()
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.kill()

    def _close_connection(self) -> None:
        if not self._connection.closed:
            self._connection.close()


class FunctionContainers:
    """The containers of one function: up to ``max_concurrency`` at once, idle ones kept warm."""

    def __init__(
        self,
        function: FunctionDefinition,
        env: Mapping[str, str],
        max_concurrency: int,
        stdout: int | None = None,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self.function = function
        self.env = dict(env)
        self.max_concurrency = max_concurrency
        self.stdout = stdout  # where the handlers' output goes (default: the server's stdout)
        self._idle: list[Container] = []
        self._all: set[Container] = set()
        self._starting = 0
        self._closed = False
        self._condition = threading.Condition()

    def _start(self) -> Container:
        container = Container(self.function, self.env, self.stdout)
        with self._condition:
            self._all.add(container)
            closed = self._closed
        if closed:
            self._discard(container)
            raise ContainersClosed(self.function.logical_id)
        try:
            container.init()
        except BaseException:
            self._discard(container)
            raise
        return container

    def acquire(self) -> Container:
        """A free container; starts one if under the limit, else waits for one to come free."""
        with self._condition:
            while True:
                if self._closed:
                    raise ContainersClosed(self.function.logical_id)
                if self._idle:
                    return self._idle.pop()
                if len(self._all) + self._starting < self.max_concurrency:
                    self._starting += 1
                    break
                self._condition.wait()
        try:
            return self._start()
        finally:
            with self._condition:
                self._starting -= 1
                self._condition.notify()

    def release(self, container: Container) -> None:
        """Give a container back after an invocation (a dead one is dropped and replaced on demand)."""
        with self._condition:
            keep = container.alive and not self._closed
            if keep:
                self._idle.append(container)
                self._condition.notify()
        if not keep:
            self._discard(container)

    def _discard(self, container: Container) -> None:
        container.kill()
        with self._condition:
            self._all.discard(container)
            self._condition.notify()

    def warm_up(self) -> None:
        """Start one container now, if none exists (HandlerLoadError if the handler fails to import)."""
        with self._condition:
            if self._all or self._starting or self._closed:
                return
            self._starting += 1
        try:
            container = self._start()
        finally:
            with self._condition:
                self._starting -= 1
        self.release(container)

    def pids(self) -> list[int]:
        with self._condition:
            return sorted(container.pid for container in self._all)

    def close(self) -> None:
        """Stop every container (busy ones too: their requests answer 502); wakes waiting requests."""
        with self._condition:
            self._closed = True
            containers = list(self._all)
            self._idle.clear()
            self._condition.notify_all()
        for container in containers:
            container.stop()
        with self._condition:
            self._all.difference_update(containers)


# --------------------------------------------------------------------------------------------------
# The worker process
# --------------------------------------------------------------------------------------------------


def worker_main(fd: int) -> int:
    """The container's loop: import the handler once, then run invocations until the socket closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server decides when containers stop
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(line_buffering=True)  # the handler's log lines appear as they are written
    connection = Connection(fd)
    try:
        function: FunctionDefinition = connection.recv()
    except EOFError:
        return 0
    sys.path.insert(0, str(function.code_dir))  # LAMBDA_TASK_ROOT is on sys.path in Lambda
    try:
        handler = load_handler(function)
    except HandlerLoadError as exc:
        connection.send_bytes(json.dumps({"ready": False, "error": error_payload(exc)}).encode())
        return 1
    connection.send_bytes(json.dumps({"ready": True}).encode())
    while True:
        try:
            request = json.loads(connection.recv_bytes())
        except (EOFError, OSError):
            return 0
        request_id = request["requestId"]
        context = FakeLambdaContext(
            function,
            request_id=request_id,
            region=request["region"],
            account_id=request["accountId"],
        )
        try:
            result = handler(request["event"], context)
        except Exception as exc:
            reply: dict[str, Any] = {"ok": False, "error": error_payload(exc, request_id)}
        else:
            reply = {"ok": True, "result": result}
        try:
            data = json.dumps(reply).encode()
        except (TypeError, ValueError) as exc:
            message = f"Unable to marshal response: {exc}"
            data = json.dumps(
                {"ok": False, "error": _runtime_error("Runtime.MarshalError", message)}
            ).encode()
        try:
            connection.send_bytes(data)
        except OSError:
            return 0
