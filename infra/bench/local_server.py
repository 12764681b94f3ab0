"""Section 7: the local server (``make run``) under 1, 8 and 64 concurrent clients.

The server of ``infra.local.server`` (HTTP front end, one worker process per function container, up
to ``DEFAULT_MAX_CONCURRENCY`` per function) runs in this process on the bench's DynamoDB Local. Per
scenario, N clients released together by a barrier each send R applies of 1.00 from their own memo
to one shared invoice that has room for all of them, over a new HTTP connection each (as
independent clients do). Reported: requests/s (all requests over the wall time), the outcomes,
connection resets and other client errors, 5xx answers, and the contention invariants read back
through the server. The containers are warm before the first scenario (cold starts are section 3).
"""

from __future__ import annotations

import http.client
import json
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode, urlsplit

from infra.bench.contention import check_invariants
from infra.bench.context import Bench, Result, new_account, new_key
from infra.bench.report import Section, median
from infra.local.containers import DEFAULT_MAX_CONCURRENCY
from infra.local.server import LocalApi, LocalHttpServer
from infra.local.template import Template

CLIENTS = (1, 8, 64)
AMOUNT = Decimal("1.00")


class HttpApi:
    """A client of the local server: one new connection per request, nothing retried."""

    def __init__(self, base_url: str, timeout_s: float = 120.0) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout_s = timeout_s

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        key: str | None = None,
        query: dict[str, Any] | None = None,
    ) -> Result:
        """Send one request (an ``OSError`` such as ``ConnectionResetError`` is the caller's)."""
        headers = {"Content-Type": "application/json", "Connection": "close"}
        if key is not None:
            headers["Idempotency-Key"] = key
        pairs = {k: v for k, v in (query or {}).items() if v is not None}
        target = f"{path}?{urlencode(pairs)}" if pairs else path
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout_s)
        try:
            connection.request(
                method, target, body=None if body is None else json.dumps(body), headers=headers
            )
            response = connection.getresponse()
            data = response.read()
            return Result(response.status, json.loads(data) if data else None, dict(response.getheaders()))
        finally:
            connection.close()

    def ok(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        result = self.call(method, path, body, **kwargs)
        if not 200 <= result.status < 300:
            raise RuntimeError(f"{method} {path} answered {result.status}: {result.body}")
        return result.body


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: Any
    key: str | None = None


@dataclass(frozen=True)
class Outcome:
    status: int | None  # None: no answer (the error says why)
    code: str  # "ok", an errorCode, "5xx", or the client-side exception's name
    seconds: float


def burst(api: HttpApi, per_client: list[list[Request]]) -> tuple[list[list[Outcome]], float]:
    """Every client sends its requests one after the other; all clients start at once.

    Returns each client's outcomes and the wall time.
    """
    barrier = threading.Barrier(len(per_client) + 1)
    outcomes: list[list[Outcome]] = [[] for _ in per_client]

    def client(index: int) -> None:
        barrier.wait()
        for request in per_client[index]:
            started = time.perf_counter()
            try:
                result = api.call(request.method, request.path, request.body, key=request.key)
            except OSError as error:
                outcomes[index].append(Outcome(None, type(error).__name__, time.perf_counter() - started))
                continue
            if result.status >= 500:
                code = "5xx"
            elif result.status < 300:
                code = "ok"
            else:
                code = str((result.body or {}).get("errorCode"))
            outcomes[index].append(Outcome(result.status, code, time.perf_counter() - started))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(per_client))]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return outcomes, time.perf_counter() - started


def summarize(outcomes: list[Outcome]) -> dict[str, int]:
    """Counts a user would look at: successes, lost races, 5xx, and requests that got no answer."""
    codes = Counter(o.code for o in outcomes)
    return {
        "ok": codes.get("ok", 0),
        "server_errors": codes.get("5xx", 0),
        "resets": codes.get("ConnectionResetError", 0),
        "client_errors": sum(1 for o in outcomes if o.status is None),
        "rejected": sum(1 for o in outcomes if o.status is not None and 400 <= o.status < 500),
    }


@contextmanager
def running_server(
    template: Template, endpoint_url: str, max_concurrency: int = DEFAULT_MAX_CONCURRENCY
) -> Iterator[tuple[LocalHttpServer, HttpApi]]:
    """The local server on a free port, handlers' output discarded; stopped (containers too) on exit."""
    api = LocalApi(
        template,
        endpoint_url=endpoint_url,
        openapi_path=None,
        max_concurrency=max_concurrency,
        container_stdout=subprocess.DEVNULL,
        log=lambda _: None,
    )
    server = LocalHttpServer(("127.0.0.1", 0), api, log=lambda _: None)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server, HttpApi(server.base_url)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _scenario(bench: Bench, http: HttpApi, clients: int, rounds: int) -> dict[str, Any]:
    account = new_account("local")
    invoice = bench.fixtures.invoice(account, [f"{AMOUNT * clients * rounds:.2f}"])
    memos = [bench.fixtures.memo(account, [f"{AMOUNT * rounds:.2f}"]) for _ in range(clients)]
    body = {"applications": [{"invoiceId": invoice["id"], "amount": f"{AMOUNT:.2f}"}]}
    per_client = [
        [Request("POST", f"/credit-memos/{memo['id']}/actions/apply", body, new_key()) for _ in range(rounds)]
        for memo in memos
    ]
    by_client, wall = burst(http, per_client)
    outcomes = [o for client_outcomes in by_client for o in client_outcomes]
    counts = summarize(outcomes)
    memos_applied = sum(1 for client_outcomes in by_client if any(o.code == "ok" for o in client_outcomes))
    violations = check_invariants(http, invoice, memos, memos_applied)
    moved = Decimal(invoice["totalAmountWithTax"]) - Decimal(
        http.ok("GET", f"/invoices/{invoice['id']}")["balance"]
    )
    if moved != AMOUNT * counts["ok"]:
        violations.append(f"{counts['ok']} successful applies of {AMOUNT} but {moved} moved")
    latencies = sorted(o.seconds for o in outcomes)
    return {
        "clients": clients,
        "requests": len(outcomes),
        "wall_s": round(wall, 2),
        "requests_s": round(len(outcomes) / wall, 1),
        **counts,
        "outcomes": dict(Counter(o.code for o in outcomes)),
        "latency_ms_median": round(median(latencies) * 1000, 1),
        "latency_ms_max": round(latencies[-1] * 1000, 1),
        "invariants": "ok" if not violations else "; ".join(violations),
        "invariants_ok": not violations,
    }


def run(bench: Bench) -> Section:
    started = time.perf_counter()
    rounds = 2 if bench.smoke else 5 if bench.quick else 10
    section = Section(
        "local_server",
        f"7. Local server: {rounds} applies per client, 1, 8 and 64 concurrent clients",
        [
            ("clients", "clients"),
            ("requests", "requests"),
            ("wall_s", "wall s"),
            ("requests_s", "requests/s"),
            ("ok", "200"),
            ("rejected", "4xx"),
            ("server_errors", "5xx"),
            ("resets", "resets"),
            ("client_errors", "no answer"),
            ("latency_ms_median", "median ms"),
            ("latency_ms_max", "max ms"),
            ("invariants", "invariants"),
        ],
    )
    with running_server(bench.template, bench.endpoint_url) as (_, http):
        # One request per container to start them all (answers 404: no such documents).
        apply = {"applications": [{"invoiceId": "none", "amount": "1.00"}]}
        warm = [
            [
                Request("GET", "/invoices/none", None),
                Request("POST", "/credit-memos/none/actions/apply", apply),
            ]
            for _ in range(DEFAULT_MAX_CONCURRENCY)
        ]
        burst(http, warm)
        for clients in CLIENTS:
            bench.log(f"  local server: {clients} clients")
            section.rows.append(_scenario(bench, http, clients, rounds))
    section.notes += [
        f"one worker process per container, up to {DEFAULT_MAX_CONCURRENCY} per function "
        "(LOCAL_CONCURRENCY); requests beyond that wait for a free container.",
        "a new TCP connection per request; 4xx are lost races (CONCURRENT_UPDATE after the service's "
        "retries), never expected to be INSUFFICIENT_BALANCE here.",
    ]
    section.seconds = time.perf_counter() - started
    return section
