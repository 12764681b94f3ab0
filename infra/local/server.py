"""Serve the API locally the way API Gateway (REST, Lambda proxy) + Lambda would, in one process.

    python -m infra.local.server [--port 3000] [--host 127.0.0.1]      # PORT env overrides 3000

What it does, in order:

1. Starts DynamoDB Local on 127.0.0.1:8000 (``--dynamodb-port``, env ``DYNAMODB_PORT``) with its data
   in ``.local/dynamodb/`` (kept between runs; ``--in-memory`` keeps nothing), or uses a running one
   (``--dynamodb-endpoint``). Without Java it falls back to moto's in-memory server, with a loud warning.
2. Creates the tables of ``template.yaml`` from the template's own definitions (idempotent).
3. Imports every function's handler (``functions/<name>/app.py``) with its template environment, the
   intrinsics resolved for local use, and ``DYNAMODB_ENDPOINT_URL`` pointing at the local engine.
4. Serves HTTP (``ThreadingHTTPServer``): each request is matched against the template's ``Type: Api``
   routes, turned into an API Gateway REST proxy event, passed to the function's ``lambda_handler``
   with a fake Lambda context, and the proxy result is written back. ``GET /openapi.json`` serves the
   repository's ``openapi.json`` if it exists.

Like Lambda, one function "container" handles one request at a time, and invocations take turns process-wide
(Powertools keeps the current request in shared state); concurrent requests to the same
function get separate containers (separate imports of its ``app.py``, up to
``MAX_CONTAINERS_PER_FUNCTION``). Unlike Lambda, all functions share one process, so the shared package
``credit_memos`` and ``os.environ`` are shared: variables whose value is the same for every function
(``TABLE_NAME`` ...) are set process-wide; variables that differ between functions (e.g.
``POWERTOOLS_SERVICE_NAME``, ``AWS_LAMBDA_FUNCTION_NAME``) are set only while that function's module
imports. The function ``Timeout`` is not enforced; a slower invocation is logged with a warning.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from infra.local.api_gateway import (
    HttpResponse,
    MalformedProxyResponse,
    MethodNotAllowed,
    Router,
    bad_gateway,
    build_event,
    json_response,
    response_from_result,
)
from infra.local.create_tables import create_tables
from infra.local.dynamodb_local import (
    DEFAULT_DATA_DIR,
    DynamoDBLocalStartError,
    DynamoDBLocalUnavailable,
    LocalDynamoDB,
    start_local_dynamodb,
)
from infra.local.dynamodb_local import DEFAULT_PORT as DEFAULT_DYNAMODB_PORT
from infra.local.lambda_runtime import (
    FakeLambdaContext,
    Handler,
    HandlerLoadError,
    apply_process_defaults,
    function_environment,
    load_handler,
    module_name_for,
)
from infra.local.template import DEFAULT_TEMPLATE, REPO_ROOT, FunctionDefinition, Template, TemplateError

DEFAULT_PORT = 3000
DEFAULT_HOST = "127.0.0.1"
# Largest request body accepted; larger ones get 413 PAYLOAD_TOO_LARGE. API Gateway's own limit is
# 10 MB; this API's largest request (a 300-line document) is far below 1 MiB.
MAX_BODY_BYTES = 1024 * 1024
MAX_CONTAINERS_PER_FUNCTION = 10
OPENAPI_PATH = REPO_ROOT / "openapi.json"
# Set by the Lambda runtime per function; expected to differ, so not reported as a conflict.
_PER_FUNCTION_RUNTIME_VARIABLES = {
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_EXECUTION_ENV",
    "LAMBDA_TASK_ROOT",
}

Log = Callable[[str], None]
# Powertools' resolvers keep the current request in class-level state shared by every
# import in this process, so two invocations at once could swap requests. Lambda runs
# one request per process; here invocations take turns (HTTP I/O stays concurrent).
_INVOCATION_LOCK = threading.Lock()


def _print(message: str) -> None:
    print(message, flush=True)


class FunctionPool:
    """The warm "containers" of one function: each a separate import of its handler module."""

    def __init__(
        self, function: FunctionDefinition, import_env: Mapping[str, str], max_containers: int
    ) -> None:
        self.function = function
        self.import_env = dict(import_env)
        self.max_containers = max_containers
        self._idle: list[Handler] = []
        self._containers = 0  # existing or being created
        self._imports = 0
        self._condition = threading.Condition()

    def _load(self) -> Handler:
        with self._condition:
            instance, self._imports = self._imports, self._imports + 1
        return load_handler(
            self.function, module_name=module_name_for(self.function, instance), import_env=self.import_env
        )

    def warm_up(self) -> None:
        """Import one container now, so import errors show at start-up."""
        with self._condition:
            if self._containers:
                return
            self._containers += 1
        try:
            handler = self._load()
        except BaseException:
            with self._condition:
                self._containers -= 1
            raise
        with self._condition:
            self._idle.append(handler)
            self._condition.notify()

    @contextlib.contextmanager
    def container(self) -> Iterator[Handler]:
        with self._condition:
            while not self._idle and self._containers >= self.max_containers:
                self._condition.wait()
            handler = self._idle.pop() if self._idle else None
            if handler is None:
                self._containers += 1
        if handler is None:
            try:
                handler = self._load()
            except BaseException:
                with self._condition:
                    self._containers -= 1
                    self._condition.notify()
                raise
        try:
            yield handler
        finally:
            with self._condition:
                self._idle.append(handler)
                self._condition.notify()


def split_environment(
    environments: Mapping[str, Mapping[str, str]],
) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Split per-function environments into process-wide variables and per-function conflicting ones."""
    values: dict[str, set[str]] = {}
    for env in environments.values():
        for name, value in env.items():
            values.setdefault(name, set()).add(value)
    common: dict[str, str] = {}
    for env in environments.values():
        for name, value in env.items():
            if len(values[name]) == 1:
                common[name] = value
    per_function = {
        function: {name: value for name, value in env.items() if name not in common}
        for function, env in environments.items()
    }
    return common, per_function


class LocalApi:
    """Routes requests to the template's functions; independent of the HTTP server (for tests)."""

    def __init__(
        self,
        template: Template,
        *,
        endpoint_url: str | None,
        env_overrides: Mapping[str, str] | None = None,
        openapi_path: Path | None = OPENAPI_PATH,
        max_containers: int = MAX_CONTAINERS_PER_FUNCTION,
        log: Log = _print,
    ) -> None:
        self.template = template
        self.functions = template.functions()
        self.router = Router(template.routes())
        self.openapi_path = openapi_path
        self.log = log
        environments = {
            logical_id: function_environment(
                function, endpoint_url=endpoint_url, region=template.context.region, overrides=env_overrides
            )
            for logical_id, function in self.functions.items()
        }
        self.common_env, self.function_env = split_environment(environments)
        apply_process_defaults(template.context.region)
        self.conflicting_variables = sorted(
            {name for env in self.function_env.values() for name in env} - _PER_FUNCTION_RUNTIME_VARIABLES
        )
        os.environ.update(self.common_env)
        routed = {route.function for route in self.router.routes}
        self.pools = {
            logical_id: FunctionPool(function, self.function_env[logical_id], max_containers)
            for logical_id, function in self.functions.items()
            if logical_id in routed
        }

    def warm_up(self) -> dict[str, str]:
        """Import every routed function once; return the errors by function logical id."""
        errors: dict[str, str] = {}
        for logical_id, pool in self.pools.items():
            try:
                pool.warm_up()
            except HandlerLoadError as exc:
                errors[logical_id] = str(exc)
                traceback.print_exc()
        return errors

    def handle(
        self,
        method: str,
        raw_path: str,
        query: str,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        source_ip: str = "127.0.0.1",
    ) -> HttpResponse:
        if method in ("GET", "HEAD") and raw_path == "/openapi.json" and self.openapi_path is not None:
            with contextlib.suppress(FileNotFoundError):
                return HttpResponse(
                    200, [("Content-Type", "application/json")], self.openapi_path.read_bytes()
                )
        match = self.router.match(method, raw_path)
        if match is None:
            return json_response(
                404, {"errorCode": "NOT_FOUND", "message": f"No route for {method} {raw_path}"}
            )
        if isinstance(match, MethodNotAllowed):
            allowed = ", ".join(match.allowed)
            return json_response(
                405,
                {
                    "errorCode": "METHOD_NOT_ALLOWED",
                    "message": f"{method} is not allowed on {match.resource}; allowed: {allowed}",
                },
                headers=[("Allow", allowed)],
            )
        route = match.route
        function = self.functions[route.function]
        event = build_event(
            route=route,
            path_parameters=match.path_parameters,
            method=method,
            raw_path=raw_path,
            query=query,
            headers=headers,
            body=body,
            source_ip=source_ip,
            account_id=self.template.context.account_id,
        )
        context = FakeLambdaContext(
            function, region=self.template.context.region, account_id=self.template.context.account_id
        )
        started = time.monotonic()
        try:
            with self.pools[route.function].container() as handler, _INVOCATION_LOCK:
                result = handler(event, context)
            response = response_from_result(result)
        except MalformedProxyResponse as exc:
            self.log(f"ERROR {route.function}: malformed Lambda proxy response: {exc}")
            return bad_gateway()
        except Exception:
            self.log(f"ERROR {route.function} raised (API Gateway answers 502):\n{traceback.format_exc()}")
            return bad_gateway()
        finally:
            elapsed = time.monotonic() - started
            if elapsed > function.timeout_s:
                self.log(
                    f"WARNING {route.function} took {elapsed:.1f}s, over its Timeout of "
                    f"{function.timeout_s}s (Lambda would have stopped it)"
                )
        return response

    def describe_routes(self, base_url: str) -> list[str]:
        lines = []
        for route in sorted(self.router.routes, key=lambda r: (r.path, r.method)):
            handler_file = self.functions[route.function].handler_file
            try:
                shown = handler_file.relative_to(REPO_ROOT)
            except ValueError:
                shown = handler_file
            lines.append(f"  {route.method:7} {base_url}{route.path}  -> {route.function} ({shown})")
        if self.openapi_path is not None and self.openapi_path.exists():
            lines.append(f"  {'GET':7} {base_url}/openapi.json  -> {self.openapi_path.name}")
        return lines


class LocalHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], api: LocalApi, log: Log = _print) -> None:
        super().__init__(address, _RequestHandler)
        self.api = api
        self.log = log

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class _RequestHandler(BaseHTTPRequestHandler):
    server: LocalHttpServer
    protocol_version = "HTTP/1.1"
    server_version = "credit-memos-local"

    def _handle(self) -> None:
        started = time.perf_counter()
        parts = urlsplit(self.path)
        raw_path = parts.path or "/"
        response = self._read_and_dispatch(raw_path, parts.query)
        elapsed_ms = (time.perf_counter() - started) * 1000
        # Logged before the answer goes out, so the log never trails what a client has seen.
        self.server.log(f"{self.command} {self.path} {response.status} {elapsed_ms:.1f}ms")
        self._send(response)

    def handle_expect_100(self) -> bool:
        # Refuse a too large body before the client sends it (no "100 Continue").
        length = self.headers.get("Content-Length") or "0"
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            self._handle()
            return False
        return super().handle_expect_100()

    def _read_and_dispatch(self, raw_path: str, query: str) -> HttpResponse:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            return json_response(
                411, {"errorCode": "LENGTH_REQUIRED", "message": "chunked request bodies are not supported"}
            )
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            return json_response(400, {"errorCode": "BAD_REQUEST", "message": "invalid Content-Length"})
        if length > MAX_BODY_BYTES:
            self.close_connection = True  # the body is not read
            return json_response(
                413,
                {
                    "errorCode": "PAYLOAD_TOO_LARGE",
                    "message": f"request body over {MAX_BODY_BYTES} bytes",
                },
            )
        body = self.rfile.read(length) if length else b""
        return self.server.api.handle(
            self.command,
            raw_path,
            query,
            list(self.headers.items()),
            body,
            source_ip=self.client_address[0],
        )

    def _send(self, response: HttpResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _handle

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, QUERY, ...) reaches the router too, which answers 405
        # like API Gateway answers an undeclared method, instead of http.server's 501.
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request is logged by _handle; errors from the base class are not needed


def _key_values(items: Sequence[str], what: str) -> dict[str, str]:
    result = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise SystemExit(f"error: {what} must look like NAME=VALUE, got {item!r}")
        result[name] = value
    return result


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m infra.local.server",
        description="Serve template.yaml's API locally on DynamoDB Local.",
    )
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", DEFAULT_PORT)))
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE)
    parser.add_argument(
        "--dynamodb-port", type=int, default=int(os.environ.get("DYNAMODB_PORT", DEFAULT_DYNAMODB_PORT))
    )
    parser.add_argument(
        "--dynamodb-endpoint", help="use this running DynamoDB endpoint instead of starting one"
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="default: .local/dynamodb")
    parser.add_argument("--in-memory", action="store_true", help="DynamoDB Local keeps nothing on disk")
    parser.add_argument("--moto", action="store_true", help="use moto's in-memory server, not DynamoDB Local")
    parser.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE", help="override a variable"
    )
    parser.add_argument(
        "--parameter-override", action="append", default=[], metavar="NAME=VALUE", help="template parameter"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    env_overrides = _key_values(args.env, "--env")
    parameters = _key_values(args.parameter_override, "--parameter-override")
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    apply_process_defaults()
    try:
        template = Template.load(args.template, parameter_overrides=parameters)
        template.tables()  # check everything before starting anything
        template.functions()
        routes = template.routes()
        Router(routes)
    except (TemplateError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not routes:
        print(f"warning: {args.template} has no Api routes", file=sys.stderr)

    engine: LocalDynamoDB | None = None
    server: LocalHttpServer | None = None
    try:
        if args.dynamodb_endpoint:
            endpoint_url = args.dynamodb_endpoint
            _print(f"DynamoDB: using {endpoint_url}")
        else:
            engine = start_local_dynamodb(
                args.dynamodb_port, in_memory=args.in_memory, data_dir=args.data_dir, force_moto=args.moto
            )
            endpoint_url = engine.endpoint_url
            _print(f"DynamoDB: {engine.describe()}")
        create_tables(endpoint_url, template)

        api = LocalApi(template, endpoint_url=endpoint_url, env_overrides=env_overrides)
        if api.conflicting_variables:
            _print(
                "Note: all functions share this process; these variables differ between functions and "
                f"are set only while each function imports: {', '.join(api.conflicting_variables)}"
            )
        errors = api.warm_up()
        for logical_id, error in errors.items():
            _print(f"ERROR: {logical_id} failed to import (its routes answer 502): {error}")
        try:
            server = LocalHttpServer((args.host, args.port), api)
        except OSError as exc:
            print(
                f"error: cannot listen on {args.host}:{args.port}: {exc} (use --port or PORT=)",
                file=sys.stderr,
            )
            return 1
        stage = sorted({route.stage for route in routes}) or ["-"]
        _print(f"Routes (stage {', '.join(stage)}):")
        for line in api.describe_routes(server.base_url):
            _print(line)
        _print(f"Listening on {server.base_url} (Ctrl-C to stop)")
        server.serve_forever()
    except (DynamoDBLocalUnavailable, DynamoDBLocalStartError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        _print("Stopping.")
    finally:
        if server is not None:
            server.server_close()
        if engine is not None:
            engine.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
