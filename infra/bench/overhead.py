"""Section 2: handler overhead, as operations per second through the handler over the bare calls.

For each operation:

1. one request through the real handler is recorded (``Recorder(capture=True)``): the exact
   DynamoDB calls and parameters the operation makes;
2. rounds alternate: ``n`` requests through the handler (API Gateway events built beforehand), then
   ``n`` replays of the recorded calls issued with boto3 on a client configured like the service's
   (``credit_memos.adapters.dynamodb.create_client``). A replay keeps every item and condition as
   recorded, with fresh keys for created items and the current version in version conditions, so
   both sides send the same bytes and DynamoDB Local does the same work;
3. ratio = handler ops/s / bare ops/s per round pair; the median is reported (the rounds
   alternate so that drift in DynamoDB Local or the machine hits both sides alike).

The bare side is the least a handler could do: the same requests with nothing around them.
"""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from infra.bench.context import Bench, Prepared, new_account, new_key
from infra.bench.hooks import Call, Recorder, describe_calls
from infra.bench.report import Section, median

TARGET = 0.9  # handler throughput over the bare calls for create and apply
_CREATE_CONDITION = "attribute_not_exists(pk)"
_VERSION_CONDITION = "#version = :read_version"


@dataclass
class Operation:
    name: str
    # (bench, count) -> requests to send; may make fixtures (not timed)
    prepare: Callable[[Bench, int], list[Prepared]]
    target: float | None = None


# ---------------------------------------------------------------- bare replay


def _key_of(item: dict[str, Any]) -> tuple[str, str]:
    return item["pk"]["S"], item["sk"]["S"]


class Replayer:
    """Replays recorded calls with fresh created keys and current versions."""

    def __init__(self, client: Any, calls: list[Call]) -> None:
        self.client = client
        self.calls = [(c.operation, c.params or {}) for c in calls]
        self.versions: dict[tuple[str, str], int] = {}
        self._serial = 0

    def refresh_versions(self, table: str) -> None:
        """Read the current version of every document the recorded calls update."""
        for _, params in self.calls:
            for put in self._puts(params):
                if _VERSION_CONDITION in put.get("ConditionExpression", ""):
                    key = _key_of(put["Item"])
                    found = self.client.get_item(
                        TableName=table,
                        Key={"pk": {"S": key[0]}, "sk": {"S": key[1]}},
                        ConsistentRead=True,
                        ProjectionExpression="version",
                    )
                    self.versions[key] = int(found["Item"]["version"]["N"])

    @staticmethod
    def _puts(params: dict[str, Any]) -> list[dict[str, Any]]:
        if "TransactItems" in params:
            return [t["Put"] for t in params["TransactItems"] if "Put" in t]
        if "Item" in params:
            return [params]
        return []

    def _rewrite_put(self, put: dict[str, Any], bumped: dict[tuple[str, str], int]) -> dict[str, Any]:
        put = dict(put)
        item = dict(put["Item"])
        condition = put.get("ConditionExpression", "")
        if _CREATE_CONDITION in condition:
            item["pk"] = {"S": f"{item['pk']['S']}#replay{self._serial}"}
        elif _VERSION_CONDITION in condition:
            key = _key_of(item)
            version = self.versions[key] + bumped.get(key, 0)
            values = dict(put["ExpressionAttributeValues"])
            values[":read_version"] = {"N": str(version)}
            put["ExpressionAttributeValues"] = values
            item["version"] = {"N": str(version + 1)}
            bumped[key] = bumped.get(key, 0) + 1
        put["Item"] = item
        return put

    def build(self, count: int) -> list[list[tuple[str, dict[str, Any]]]]:
        """``count`` iterations of the recorded calls, rewritten (done before the timed loop)."""
        iterations = []
        bumped: dict[tuple[str, str], int] = {}
        for _ in range(count):
            self._serial += 1
            calls = []
            for operation, params in self.calls:
                params = copy.copy(params)
                if operation == "TransactWriteItems":
                    params["TransactItems"] = [
                        {"Put": self._rewrite_put(t["Put"], bumped)} if "Put" in t else t
                        for t in params["TransactItems"]
                    ]
                    params["ClientRequestToken"] = str(uuid.uuid4())
                elif operation == "PutItem":
                    params = self._rewrite_put(params, bumped)
                calls.append((operation, params))
            iterations.append(calls)
        return iterations

    def run(self, iterations: list[list[tuple[str, dict[str, Any]]]]) -> None:
        client = self.client
        methods = {
            "BatchGetItem": client.batch_get_item,
            "TransactWriteItems": client.transact_write_items,
            "PutItem": client.put_item,
            "Query": client.query,
            "GetItem": client.get_item,
        }
        for calls in iterations:
            for operation, params in calls:
                methods[operation](**params)


# ---------------------------------------------------------------- operations


def _post_memos(with_key: bool) -> Callable[[Bench, int], list[Prepared]]:
    def prepare(bench: Bench, count: int) -> list[Prepared]:
        from infra.bench.context import memo_body

        account = new_account("overhead")
        body = memo_body(account, ["40.00"])
        return [
            bench.api.prepare("POST", "/credit-memos", body, key=new_key() if with_key else None)
            for _ in range(count)
        ]

    return prepare


def _post_invoices(bench: Bench, count: int) -> list[Prepared]:
    from infra.bench.context import invoice_body

    body = invoice_body(new_account("overhead"), ["100.00", "20.00"])
    return [bench.api.prepare("POST", "/invoices", body) for _ in range(count)]


_pairs: dict[str, tuple[str, str]] = {}


def _pair(bench: Bench) -> tuple[str, str]:
    """One memo and one invoice with room for many small applications."""
    if "apply" not in _pairs:
        account = new_account("overhead")
        invoice = bench.fixtures.invoice(account, ["9000000.00"])
        memo = bench.fixtures.memo(account, ["9000000.00"])
        _pairs["apply"] = (memo["id"], invoice["id"])
    return _pairs["apply"]


def _applies(with_key: bool) -> Callable[[Bench, int], list[Prepared]]:
    def prepare(bench: Bench, count: int) -> list[Prepared]:
        memo_id, invoice_id = _pair(bench)
        body = {"applications": [{"invoiceId": invoice_id, "amount": "0.01"}]}
        path = f"/credit-memos/{memo_id}/actions/apply"
        return [
            bench.api.prepare("POST", path, body, key=new_key() if with_key else None) for _ in range(count)
        ]

    return prepare


def _unapplies(bench: Bench, count: int) -> list[Prepared]:
    memo_id, invoice_id = _pair(bench)
    prepared = []
    for _ in range(count):
        record = bench.fixtures.apply(memo_id, invoice_id, "0.01")["applications"][0]["id"]
        prepared.append(bench.api.prepare("POST", f"/credit-memo-applications/{record}/actions/unapply", {}))
    return prepared


def _gets(bench: Bench, count: int) -> list[Prepared]:
    _memo_id, invoice_id = _pair(bench)
    return [bench.api.prepare("GET", f"/invoices/{invoice_id}") for _ in range(count)]


OPERATIONS = [
    Operation("create credit memo", _post_memos(False), TARGET),
    Operation("create credit memo + Idempotency-Key", _post_memos(True), TARGET),
    Operation("apply (invoice level)", _applies(False), TARGET),
    Operation("apply + Idempotency-Key", _applies(True), TARGET),
    Operation("create invoice", _post_invoices, TARGET),
    Operation("unapply (invoice level)", _unapplies),
    Operation("get invoice", _gets),
]


def _send_all(bench: Bench, prepared: list[Prepared]) -> float:
    """Seconds to run the handlers (API Gateway event in, proxy response out), nothing else."""
    started = time.perf_counter()
    results = [request.handler(request.event, request.context) for request in prepared]
    elapsed = time.perf_counter() - started
    for request, result in zip(prepared, results, strict=True):
        if result["statusCode"] >= 300:
            raise RuntimeError(f"{request.event['path']} answered {result['statusCode']}: {result['body']}")
    return elapsed


def measure(bench: Bench, operation: Operation, rounds: int, count: int) -> dict[str, Any]:
    from credit_memos.adapters.dynamodb.client import create_client
    from credit_memos.settings import get_settings

    settings = get_settings()
    bare_client = create_client(settings.dynamodb_endpoint_url, settings.region)
    # Warm both paths (connections, DynamoDB Local's JIT) and record the calls.
    _send_all(bench, operation.prepare(bench, 5))
    sample = operation.prepare(bench, 1)
    with Recorder(bench.service_client(), capture=True) as recorder:
        _send_all(bench, sample)
    calls = list(recorder.calls)
    replayer = Replayer(bare_client, calls)
    replayer.refresh_versions(bench.table_name)
    replayer.run(replayer.build(5))
    handler_rates, bare_rates, ratios = [], [], []
    for _ in range(rounds):
        prepared = operation.prepare(bench, count)
        handler_rates.append(count / _send_all(bench, prepared))
        replayer.refresh_versions(bench.table_name)
        iterations = replayer.build(count)
        started = time.perf_counter()
        replayer.run(iterations)
        bare_rates.append(count / (time.perf_counter() - started))
        ratios.append(handler_rates[-1] / bare_rates[-1])
    ratio = median(ratios)
    handler_rate, bare_rate = median(handler_rates), median(bare_rates)
    return {
        "operation": operation.name,
        "calls": describe_calls(calls),
        "handler_ops_s": round(handler_rate, 1),
        "bare_ops_s": round(bare_rate, 1),
        "handler_ms": round(1000 / handler_rate, 2),
        "bare_ms": round(1000 / bare_rate, 2),
        "added_ms": round(1000 / handler_rate - 1000 / bare_rate, 2),
        "ratio": round(ratio, 3),
        "ratio_shown": f"{ratio:.3f}",
        "target": f">= {operation.target}" if operation.target else None,
        "meets": (ratio >= operation.target) if operation.target else None,
        "ratios": [round(r, 3) for r in ratios],
        "rounds": rounds,
        "requests_per_round": count,
    }


def run(bench: Bench) -> Section:
    started = time.perf_counter()
    rounds, count = (2, 10) if bench.smoke else (9, 25) if bench.quick else (25, 60)
    section = Section(
        "overhead",
        "2. Handler overhead: ops/s through the handler / ops/s of the same bare boto3 calls",
        [
            ("operation", "operation"),
            ("calls", "DynamoDB calls [items]"),
            ("handler_ops_s", "handler ops/s"),
            ("bare_ops_s", "bare ops/s"),
            ("handler_ms", "handler ms/op"),
            ("added_ms", "added ms/op"),
            ("ratio_shown", "ratio"),
            ("target", "target"),
            ("meets", "meets"),
        ],
    )
    for operation in OPERATIONS:
        bench.log(f"  overhead: {operation.name}")
        section.rows.append(measure(bench, operation, rounds, count))
    section.notes += [
        f"{rounds} alternating rounds of {count} sequential requests per side; the ratio is the median "
        "of the per-round ratios, ops/s the median of the rounds.",
        "added ms/op: the handler's time per request minus the bare calls' (API Gateway event parsing, "
        "routing, pydantic validation, domain rules, item (de)serialization, response JSON, "
        "Powertools logger/metrics).",
    ]
    section.seconds = time.perf_counter() - started
    return section
