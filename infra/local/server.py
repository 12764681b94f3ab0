"""Serve the API locally the way API Gateway (REST, Lambda proxy) + Lambda would.

    python -m infra.local.server [--port 3000] [--host 127.0.0.1]      # PORT env overrides 3000

What it does, in order:

1. Starts DynamoDB Local on 127.0.0.1:8000 (``--dynamodb-port``, env ``DYNAMODB_PORT``) with its data
   in ``.local/dynamodb/`` (kept between runs; ``--in-memory`` keeps nothing), or uses a running one
   (``--dynamodb-endpoint``). Without Java it falls back to moto's in-memory server, with a loud warning.
2. Creates the tables of ``template.yaml`` from the template's own definitions (idempotent).
3. Gives every function its template environment, the intrinsics resolved for local use, and
   ``DYNAMODB_ENDPOINT_URL`` pointing at the local engine.
4. Serves HTTP (``ThreadingHTTPServer``, listen backlog ``LISTEN_BACKLOG``): each request is matched
   against the template's ``Type: Api`` routes, turned into an API Gateway REST proxy event, passed to
   the ``lambda_handler`` of a container of the function (a worker process, below) with a fake Lambda
   context, and the proxy result is written back. ``GET /openapi.json`` serves the
   repository's ``openapi.json`` if it exists, and ``GET /docs`` a browsable reference of it
   (:mod:`infra.local.api_docs`).
5. Runs the stream consumers of ``infra.local.streams.LOCAL_STREAM_CONSUMERS`` (the account
   summary's) on DynamoDB Local's stream, each in a container of its own (:class:`StreamConsumers`).

Like Lambda, each function "container" is its own worker process (:mod:`infra.local.containers`):
it imports the function's ``app.py`` once, with that function's environment only, and runs one
request at a time. Requests run in parallel, up to ``--concurrency`` containers per function (default
``DEFAULT_MAX_CONCURRENCY``, env ``LOCAL_CONCURRENCY``); beyond that they wait in a queue for a free
container, and the listen backlog is large, so a burst of clients is never reset. Containers start on
the first request to a function (one per function is warmed in the background after start-up, which
reports import errors early). The function ``Timeout`` is enforced: the container is killed and
API Gateway's 502 is answered.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from infra.local.api_docs import DOCS_PATH, docs_response
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
from infra.local.containers import (
    DEFAULT_MAX_CONCURRENCY,
    ContainersClosed,
    FunctionContainers,
    InvocationFailed,
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
from infra.local.lambda_runtime import HandlerLoadError, apply_process_defaults, function_environment
from infra.local.streams import (
    LOCAL_STREAM_CONSUMERS,
    StreamPoller,
    StreamReader,
    stream_mappings,
    streams_client,
)
from infra.local.template import DEFAULT_TEMPLATE, REPO_ROOT, Template, TemplateError

DEFAULT_PORT = 3000
DEFAULT_HOST = "127.0.0.1"
# Largest request body accepted; larger ones get 413 PAYLOAD_TOO_LARGE. API Gateway's own limit is
# 10 MB; this API's largest request (a 300-line document) is far below 1 MiB.
MAX_BODY_BYTES = 1024 * 1024
# Connections the kernel holds for the server while its threads accept (the socketserver default,
# 5, reset clients in a burst of a few dozen).
LISTEN_BACKLOG = 1024
OPENAPI_PATH = REPO_ROOT / "openapi.json"

Log = Callable[[str], None]


def _print(message: str) -> None:
    print(message, flush=True)


def concurrency_from_environment() -> int:
    value = os.environ.get("LOCAL_CONCURRENCY", "")
    return int(value) if value.strip() else DEFAULT_MAX_CONCURRENCY


class LocalApi:
    """Routes requests to the template's functions; independent of the HTTP server (for tests)."""

    def __init__(
        self,
        template: Template,
        *,
        endpoint_url: str | None,
        env_overrides: Mapping[str, str] | None = None,
        openapi_path: Path | None = OPENAPI_PATH,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        container_stdout: int | None = None,
        log: Log = _print,
    ) -> None:
        self.template = template
        self.functions = template.functions()
        self.router = Router(template.routes())
        self.openapi_path = openapi_path
        self.log = log
        self.max_concurrency = max_concurrency
        apply_process_defaults(template.context.region)
        routed = {route.function for route in self.router.routes}
        # Each container gets this process's environment (shell, credentials) plus its function's.
        self.pools = {
            logical_id: FunctionContainers(
                function,
                {
                    **os.environ,
                    **function_environment(
                        function,
                        endpoint_url=endpoint_url,
                        region=template.context.region,
                        overrides=env_overrides,
                    ),
                },
                max_concurrency,
                container_stdout,
            )
            for logical_id, function in self.functions.items()
            if logical_id in routed
        }

    def warm_up(self) -> dict[str, str]:
        """Start one container of every routed function; return the import errors by logical id."""
        errors: dict[str, str] = {}
        for logical_id, pool in self.pools.items():
            try:
                pool.warm_up()
            except HandlerLoadError as exc:
                errors[logical_id] = str(exc)
            except ContainersClosed:
                break
        return errors

    def container_pids(self) -> list[int]:
        """The process ids of every running container (for tests and diagnostics)."""
        return sorted(pid for pool in self.pools.values() for pid in pool.pids())

    def close(self) -> None:
        """Stop every container."""
        for pool in self.pools.values():
            pool.close()

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
        if method in ("GET", "HEAD") and raw_path.startswith(DOCS_PATH) and self.openapi_path is not None:
            docs = docs_response(raw_path)
            if docs is not None:
                return docs
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
        pool = self.pools[route.function]
        started = time.monotonic()
        try:
            container = pool.acquire()
        except HandlerLoadError as exc:
            self.log(f"ERROR {route.function} failed to import (API Gateway answers 502): {exc}")
            return bad_gateway()
        except ContainersClosed:
            return bad_gateway()
        try:
            result = container.invoke(
                event,
                request_id=str(uuid.uuid4()),
                region=self.template.context.region,
                account_id=self.template.context.account_id,
            )
            return response_from_result(result)
        except MalformedProxyResponse as exc:
            self.log(f"ERROR {route.function}: malformed Lambda proxy response: {exc}")
            return bad_gateway()
        except InvocationFailed as exc:
            self.log(f"ERROR {route.function} failed (API Gateway answers 502): {exc.describe()}")
            return bad_gateway()
        finally:
            pool.release(container)
            elapsed = time.monotonic() - started
            if elapsed > function.timeout_s:
                self.log(
                    f"WARNING {route.function} answered after {elapsed:.1f}s (waiting for a container "
                    f"included), over its Timeout of {function.timeout_s}s"
                )

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
            lines.append(f"  {'GET':7} {base_url}{DOCS_PATH}  -> the API reference (Swagger UI)")
        return lines


class LocalHttpServer(ThreadingHTTPServer):
    """The HTTP front end: a thread per connection; closing it stops the API's containers too."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, address: tuple[str, int], api: LocalApi, log: Log = _print) -> None:
        super().__init__(address, _RequestHandler)
        self.api = api
        self.log = log

    def server_close(self) -> None:
        super().server_close()
        self.api.close()

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


class StreamConsumers:
    """The stream consumers of ``LOCAL_STREAM_CONSUMERS``, each in one container of its own (Lambda
    runs one batch per shard at a time), fed by a :class:`StreamPoller` of the table's stream."""

    def __init__(
        self,
        template: Template,
        *,
        endpoint_url: str,
        env_overrides: Mapping[str, str] | None = None,
        log: Log = _print,
    ) -> None:
        from infra.local.dynamodb_local import dynamodb_client

        self.pollers: list[StreamPoller] = []
        self.pools: list[FunctionContainers] = []
        functions = template.functions()
        for mapping in stream_mappings(template):
            if mapping.function not in LOCAL_STREAM_CONSUMERS:
                continue
            function = functions[mapping.function]
            env = function_environment(
                function, endpoint_url=endpoint_url, region=template.context.region, overrides=env_overrides
            )
            pool = FunctionContainers(function, {**os.environ, **env}, 1, None)
            reader = StreamReader(
                dynamodb_client(endpoint_url),
                streams_client(endpoint_url, template.context.region),
                template.table_name(mapping.table),
            )

            def deliver(event: dict[str, Any], pool: FunctionContainers = pool) -> Any:
                container = pool.acquire()
                try:
                    return container.invoke(
                        event,
                        request_id=str(uuid.uuid4()),
                        region=template.context.region,
                        account_id=template.context.account_id,
                    )
                finally:
                    pool.release(container)

            poller = StreamPoller(
                reader, deliver, batch_size=mapping.batch_size, accepts=mapping.accepts, log=log
            )
            self.pools.append(pool)
            self.pollers.append(poller.start())
            log(f"Stream: {mapping.function} reads the stream of {template.table_name(mapping.table)}")

    def close(self) -> None:
        for poller in self.pollers:
            poller.stop()
        for pool in self.pools:
            pool.close()


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


def _warm_up(api: LocalApi) -> None:
    """One container per function, so import errors show now rather than on the first request."""
    for logical_id, error in api.warm_up().items():
        _print(f"ERROR: {logical_id} failed to import (its routes answer 502): {error}")


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
    parser.add_argument(
        "--concurrency",
        type=int,
        default=concurrency_from_environment(),
        metavar="N",
        help=f"containers (worker processes) per function; default {DEFAULT_MAX_CONCURRENCY}, "
        "env LOCAL_CONCURRENCY",
    )
    parser.add_argument("--moto", action="store_true", help="use moto's in-memory server, not DynamoDB Local")
    parser.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE", help="override a variable"
    )
    parser.add_argument(
        "--parameter-override", action="append", default=[], metavar="NAME=VALUE", help="template parameter"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.concurrency < 1:
        parser.error("--concurrency must be at least 1")
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
    api: LocalApi | None = None
    server: LocalHttpServer | None = None
    consumers: StreamConsumers | None = None
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

        api = LocalApi(
            template,
            endpoint_url=endpoint_url,
            env_overrides=env_overrides,
            max_concurrency=args.concurrency,
        )
        try:
            server = LocalHttpServer((args.host, args.port), api)
        except OSError as exc:
            print(
                f"error: cannot listen on {args.host}:{args.port}: {exc} (use --port or PORT=)",
                file=sys.stderr,
            )
            return 1
        consumers = StreamConsumers(template, endpoint_url=endpoint_url, env_overrides=env_overrides)
        stage = sorted({route.stage for route in routes}) or ["-"]
        _print(f"Routes (stage {', '.join(stage)}):")
        for line in api.describe_routes(server.base_url):
            _print(line)
        _print(
            f"Listening on {server.base_url} (up to {args.concurrency} containers per function; "
            "Ctrl-C to stop)"
        )
        threading.Thread(target=_warm_up, args=(api,), name="warm-up", daemon=True).start()
        server.serve_forever()
    except (DynamoDBLocalUnavailable, DynamoDBLocalStartError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        _print("Stopping.")
    finally:
        if consumers is not None:
            consumers.close()
        if server is not None:
            server.server_close()  # stops the containers too
        elif api is not None:
            api.close()
        if engine is not None:
            engine.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
