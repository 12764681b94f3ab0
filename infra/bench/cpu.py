"""Section 4: warm CPU time per request with DynamoDB stubbed out.

Two stubs, both stateful (what one request writes, the next reads) over the same in-memory table:

- the figure held to the target: the repository's client is an in-memory object answering the
  adapter's calls, so what is timed is the handler's own Python (API Gateway event parsing,
  routing, pydantic, the service, the domain, item (de)serialization, the JSON response);
- for reference: a real botocore client (configured as in production) whose ``before-call`` hook
  answers, the way botocore's ``Stubber`` does; this adds botocore's endpoint resolution and
  request serialization, which every real call pays, but not signing, HTTP or response parsing.

Each request is timed with ``time.thread_time()`` (CPU time of this thread) after a warm-up; a
profiled pass splits the in-memory figure by package.
"""

from __future__ import annotations

import cProfile
import json
import pstats
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from credit_memos.adapters.dynamodb.keys import INDEXES, LEGACY_INDEXES

from infra.bench.context import (
    Bench,
    Prepared,
    invoice_body,
    memo_body,
    new_account,
    new_key,
)
from infra.bench.report import Section

TARGET_MS = 1.0
BARE_TARGET = 2.0  # the handler's own Python / the bare boto3 calls it needs


class _Http:
    status_code = 200
    headers: dict[str, str] = {}
    content = b""


class InMemoryDynamoDB:
    """Answers the calls the adapter makes, from a dict of items in DynamoDB's wire format."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.client: Any = None  # the botocore client it answers for, if any

    @staticmethod
    def _key(item: dict[str, Any]) -> tuple[str, str]:
        return item["pk"]["S"], item["sk"]["S"]

    def respond(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        if operation == "BatchGetItem":
            responses = {}
            for table, request in params["RequestItems"].items():
                found = [self.items[self._key(k)] for k in request["Keys"] if self._key(k) in self.items]
                responses[table] = found
            return {"Responses": responses, "UnprocessedKeys": {}}
        if operation == "GetItem":
            item = self.items.get(self._key(params["Key"]))
            return {"Item": item} if item else {}
        if operation == "PutItem":
            self.items[self._key(params["Item"])] = params["Item"]
            return {}
        if operation == "TransactWriteItems":
            for entry in params["TransactItems"]:
                if "Put" in entry:
                    self.items[self._key(entry["Put"]["Item"])] = entry["Put"]["Item"]
            return {}
        if operation == "Query":
            index = next((i for i in INDEXES + LEGACY_INDEXES if i.name == params.get("IndexName")), None)
            name, sort = (index.pk, index.sk) if index is not None else ("pk", "sk")
            wanted = params["ExpressionAttributeValues"][":pk"]["S"]
            found = sorted(
                (i for i in self.items.values() if i.get(name, {}).get("S") == wanted),
                key=lambda i: i[sort]["S"],
            )[: params.get("Limit", 100)]
            return {"Items": found, "Count": len(found)}
        raise NotImplementedError(operation)

    @contextmanager
    def attached(self, client: Any) -> Iterator[None]:
        events = client.meta.events

        def keep(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            context["bench_stub_params"] = params

        def answer(model: Any, context: dict[str, Any], **_: Any) -> tuple[_Http, dict[str, Any]]:
            return _Http(), self.respond(model.name, context["bench_stub_params"])

        events.register("before-parameter-build.dynamodb", keep, unique_id="bench-stub-keep")
        events.register("before-call.dynamodb", answer, unique_id="bench-stub-answer")
        try:
            yield
        finally:
            events.unregister("before-parameter-build.dynamodb", unique_id="bench-stub-keep")
            events.unregister("before-call.dynamodb", unique_id="bench-stub-answer")


class InMemoryClient:
    """A stand-in for the low-level client: the adapter's calls, answered without botocore."""

    def __init__(self, table: InMemoryDynamoDB) -> None:
        self._table = table

    def batch_get_item(self, **params: Any) -> dict[str, Any]:
        return self._table.respond("BatchGetItem", params)

    def get_item(self, **params: Any) -> dict[str, Any]:
        return self._table.respond("GetItem", params)

    def put_item(self, **params: Any) -> dict[str, Any]:
        return self._table.respond("PutItem", params)

    def transact_write_items(self, **params: Any) -> dict[str, Any]:
        return self._table.respond("TransactWriteItems", params)

    def query(self, **params: Any) -> dict[str, Any]:
        return self._table.respond("Query", params)


@contextmanager
def stubbed_service(kind: str = "botocore") -> Iterator[InMemoryDynamoDB]:
    """The service's repository talks to an in-memory table for the duration of the block.

    ``kind="botocore"``: a real client (as configured in production) answered at ``before-call``;
    ``kind="client"``: an in-memory client object, so botocore does no work at all.
    """
    from credit_memos.adapters.dynamodb.client import create_client
    from credit_memos.api import runtime
    from credit_memos.settings import get_settings

    settings = get_settings()
    stub = InMemoryDynamoDB()
    if kind == "client":
        with runtime.use_service(runtime.build_service(client=InMemoryClient(stub))):
            yield stub
    else:
        client = stub.client = create_client(settings.dynamodb_endpoint_url, settings.region)
        with runtime.use_service(runtime.build_service(client=client)), stub.attached(client):
            yield stub


# ---------------------------------------------------------------- workloads

Workload = Callable[[Bench, int], Iterator[tuple[str, Prepared]]]


def _creates(with_key: bool) -> Workload:
    def requests(bench: Bench, count: int) -> Iterator[tuple[str, Prepared]]:
        body = memo_body(new_account("cpu"), ["40.00"])
        for _ in range(count):
            key = new_key() if with_key else None
            yield "create credit memo", bench.api.prepare("POST", "/credit-memos", body, key=key)

    return requests


def _invoices(bench: Bench, count: int) -> Iterator[tuple[str, Prepared]]:
    body = invoice_body(new_account("cpu"), ["100.00", "20.00"])
    for _ in range(count):
        yield "create invoice", bench.api.prepare("POST", "/invoices", body)


def _apply_unapply(with_key: bool) -> Workload:
    """Apply then unapply what was applied, so balances never run out; both are timed."""

    def requests(bench: Bench, count: int) -> Iterator[tuple[str, Prepared]]:
        account = new_account("cpu")
        invoice = bench.fixtures.invoice(account, ["9000000.00"])
        memo = bench.fixtures.memo(account, ["9000000.00"])
        body = {"applications": [{"invoiceId": invoice["id"], "amount": "0.01"}]}
        apply_path = f"/credit-memos/{memo['id']}/actions/apply"
        for _ in range(count):
            key = new_key() if with_key else None
            prepared = bench.api.prepare("POST", apply_path, body, key=key)
            yield "apply", prepared
            record = _last_result[0]["applications"][0]["id"]
            key = new_key() if with_key else None
            path = f"/credit-memo-applications/{record}/actions/unapply"
            yield "unapply", bench.api.prepare("POST", path, {}, key=key)

    return requests


def _gets(bench: Bench, count: int) -> Iterator[tuple[str, Prepared]]:
    invoice = bench.fixtures.invoice(new_account("cpu"), ["100.00", "20.00"])
    for _ in range(count):
        yield "get invoice", bench.api.prepare("GET", f"/invoices/{invoice['id']}")


_last_result: list[Any] = [None]

WORKLOADS: list[tuple[str, Workload]] = [
    ("", _creates(False)),
    (" + Idempotency-Key", _creates(True)),
    ("", _apply_unapply(False)),
    (" + Idempotency-Key", _apply_unapply(True)),
    ("", _invoices),
    ("", _gets),
]
TARGETED = {"create credit memo", "apply", "unapply"}


def _drive(bench: Bench, workload: Workload, count: int) -> dict[str, list[float]]:
    """Send the workload's requests; CPU seconds of each, by operation."""
    clock = time.thread_time
    times: dict[str, list[float]] = defaultdict(list)
    for name, prepared in workload(bench, count):
        started = clock()
        raw = prepared.handler(prepared.event, prepared.context)
        times[name].append(clock() - started)
        if raw["statusCode"] >= 300:
            raise RuntimeError(f"{name} answered {raw['statusCode']}: {raw['body']}")
        _last_result[0] = json.loads(raw["body"]) if name == "apply" else None
    return times


def _package(filename: str) -> str:
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins (C)"
    if "/site-packages/" in filename:
        top = filename.split("/site-packages/", 1)[1].split("/", 1)[0]
        return {"pydantic_core": "pydantic"}.get(top, top)
    if "/shared/credit_memos/" in filename:
        return "credit_memos"
    if "/functions/" in filename:
        return "functions"
    if "/infra/" in filename:
        return "bench harness"
    return "stdlib"


def _profile(bench: Bench, workload: Workload, count: int) -> dict[str, float]:
    profiler = cProfile.Profile(time.thread_time)
    profiler.enable()
    _drive(bench, workload, count)
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    by_package: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), (_cc, _nc, own, _cum, _callers) in stats.items():
        by_package[_package(filename)] += own
    total = sum(by_package.values()) or 1.0
    return {k: round(100 * v / total, 1) for k, v in sorted(by_package.items(), key=lambda kv: -kv[1])}


def _recorded_calls(
    bench: Bench, client: Any, workload: Workload
) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """The DynamoDB calls (operation, parameters) one request of each of the workload's operations
    makes, as the service's client sends them."""
    from infra.bench.hooks import Recorder

    calls: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    with Recorder(client, capture=True) as recorder:
        for name, prepared in workload(bench, 1):
            recorder.reset()
            raw = prepared.handler(prepared.event, prepared.context)
            _last_result[0] = json.loads(raw["body"]) if name == "apply" else None
            calls[name] = [(c.operation, c.params or {}) for c in recorder.calls]
    return calls


def _bare(client: Any, calls: list[tuple[str, dict[str, Any]]], warmup: int, count: int) -> list[float]:
    """CPU ms of issuing ``calls`` with boto3 on the (stubbed) client, nothing around them."""
    from botocore import xform_name

    methods = [(getattr(client, xform_name(operation)), params) for operation, params in calls]
    clock = time.thread_time
    samples = []
    for index in range(warmup + count):
        started = clock()
        for method, params in methods:
            method(**params)
        if index >= warmup:
            samples.append((clock() - started) * 1000)
    return samples


def _per_request(bench: Bench, workload: Workload, warmup: int, count: int) -> dict[str, list[float]]:
    _drive(bench, workload, warmup)
    return {
        name: sorted(t * 1000 for t in samples) for name, samples in _drive(bench, workload, count).items()
    }


def run(bench: Bench) -> Section:
    started = time.perf_counter()
    warmup, count = (5, 20) if bench.smoke else (100, 400) if bench.quick else (300, 2000)
    section = Section(
        "cpu",
        "4. Warm CPU per request with DynamoDB stubbed out (in-memory client)",
        [
            ("operation", "operation"),
            ("mean_ms", "CPU ms/request"),
            ("median_ms", "median"),
            ("p90_ms", "p90"),
            ("target", "target"),
            ("meets", "meets"),
            ("botocore_mean_ms", "with botocore request building"),
            ("bare_ms", "bare boto3 calls (median)"),
            ("own_over_bare_shown", "CPU / bare"),
            ("bare_target", "target"),
            ("bare_meets", "meets"),
            ("whole_over_bare", "(with botocore) / bare"),
            ("where", "where the time goes (in-memory client, % of CPU)"),
        ],
    )
    for suffix, workload in WORKLOADS:
        with stubbed_service("client"):
            times = _per_request(bench, workload, warmup, count)
            shares = _profile(bench, workload, max(20, count // 10))
        with stubbed_service("botocore") as stub:
            with_botocore = _per_request(bench, workload, warmup, count)
            recorded = _recorded_calls(bench, stub.client, workload)
            bare = {name: _bare(stub.client, calls, warmup, count) for name, calls in recorded.items()}
        where = ", ".join(f"{k} {v:.0f}%" for k, v in list(shares.items())[:5])
        for name, samples_ms in times.items():
            mean = statistics.fmean(samples_ms)
            botocore_mean = statistics.fmean(with_botocore[name])
            # The ratios use medians: on a shared machine a few slow samples move a mean a lot.
            own_median = statistics.median(samples_ms)
            botocore_median = statistics.median(with_botocore[name])
            bare_median = statistics.median(bare[name])
            targeted = name in TARGETED
            section.rows.append(
                {
                    "operation": name + suffix,
                    "mean_ms": round(mean, 3),
                    "median_ms": round(statistics.median(samples_ms), 3),
                    "p90_ms": round(samples_ms[int(0.9 * (len(samples_ms) - 1))], 3),
                    "target": f"< {TARGET_MS}" if targeted else None,
                    "meets": (mean < TARGET_MS) if targeted else None,
                    "botocore_mean_ms": round(botocore_mean, 3),
                    "botocore_median_ms": round(botocore_median, 3),
                    "bare_ms": round(bare_median, 3),
                    "bare_mean_ms": round(statistics.fmean(bare[name]), 3),
                    "own_over_bare": round(own_median / bare_median, 2),
                    "own_over_bare_shown": f"{own_median / bare_median:.2f}",
                    "bare_target": f"< {BARE_TARGET}" if targeted else None,
                    "bare_meets": (own_median / bare_median < BARE_TARGET) if targeted else None,
                    "whole_over_bare": round(botocore_median / bare_median, 2),
                    "where": where,
                    "profile_shares": shares,
                    "requests": len(samples_ms),
                }
            )
    section.notes += [
        f"{count} requests per workload after {warmup} warm-up requests; CPU time of the calling thread "
        "(time.thread_time) around the handler call (API Gateway event in, JSON out); the apply "
        "workload alternates apply and unapply so that balances never run out.",
        "CPU ms/request: the repository's client is an in-memory object (no botocore): Powertools, "
        "pydantic, the service, the domain and the item (de)serialization. 'with botocore request "
        "building': a real client answered at botocore's before-call hook, adding botocore's endpoint "
        "resolution and request serialization, which every real call pays (but not signing, HTTP or "
        "response parsing).",
        "bare boto3 calls: the DynamoDB calls one request makes (recorded), issued again with boto3 on "
        "the same stubbed botocore client with nothing around them: what any handler needs. CPU / bare: "
        "the handler's own Python (CPU ms/request) over the bare calls; (with botocore) / bare: the "
        "whole handler on the stubbed client over the bare calls; both ratios of medians.",
    ]
    section.seconds = time.perf_counter() - started
    return section
