"""Section 6: 64 concurrent applies against one invoice.

64 credit memos of 10.00 each, one invoice of 400.00: 64 threads released together by a barrier
each send ``POST /credit-memos/{memo}/actions/apply`` of 10.00 (with an Idempotency-Key) through the
real handler. At most 40 can succeed; the others must get INSUFFICIENT_BALANCE (or, if a request
ran out of internal retries, CONCURRENT_UPDATE), never a 5xx. The service's client gets a
connection pool of 64 for the section (the deployed function has one client per concurrent
instance). Retries are the service's re-reads after a lost race: one per cancelled
TransactWriteItems, counted by the botocore hooks.

Invariants checked at the end, from the documents and the invoice's application history read
through the handlers: invoice balance = total - applied; net credits = sum of Applied records =
sum of the memos' net credits; every memo 0 <= balance <= total; Applied records = 200 answers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, Protocol

from infra.bench.context import Bench, Prepared, new_account, new_key
from infra.bench.hooks import Recorder
from infra.bench.report import Section, median

CONCURRENCY = 64
MEMO_AMOUNT = Decimal("10.00")
INVOICE_AMOUNT = Decimal("400.00")


@contextmanager
def pooled_client(bench: Bench, size: int) -> Iterator[Any]:
    """The service's repository uses a client like the production one but with ``size`` connections."""
    import boto3
    from botocore.config import Config
    from credit_memos.adapters.dynamodb.client import within_deadlines
    from credit_memos.api import runtime

    real = runtime.get_dynamodb_client()
    config: Config = real.meta.config.merge(Config(max_pool_connections=size))
    client = within_deadlines(
        boto3.client(
            "dynamodb", endpoint_url=bench.endpoint_url, region_name=real.meta.region_name, config=config
        )
    )
    with runtime.use_service(runtime.build_service(client=client)):
        yield client


def _scenario(bench: Bench, level: str, concurrency: int) -> dict[str, Any]:
    account = new_account("contention")
    invoice_amount = MEMO_AMOUNT * concurrency * 40 / 64
    lines = [f"{invoice_amount:.2f}"] if level == "Invoice" else [f"{invoice_amount / 4:.2f}"] * 4
    invoice = bench.fixtures.invoice(account, lines, level=level)
    memos = [bench.fixtures.memo(account, [f"{MEMO_AMOUNT:.2f}"]) for _ in range(concurrency)]
    prepared: list[Prepared] = [
        bench.api.prepare(
            "POST",
            f"/credit-memos/{memo['id']}/actions/apply",
            {"applications": [{"invoiceId": invoice["id"], "amount": f"{MEMO_AMOUNT:.2f}"}]},
            key=new_key(),
        )
        for memo in memos
    ]
    barrier = threading.Barrier(concurrency + 1)
    outcomes: list[tuple[int, str, float]] = [(0, "", 0.0)] * concurrency

    def worker(index: int) -> None:
        barrier.wait()
        started = time.perf_counter()
        try:
            result = bench.api.send(prepared[index])
            code = "applied" if result.status == 200 else str((result.body or {}).get("errorCode"))
            outcomes[index] = (result.status, code, time.perf_counter() - started)
        except Exception as error:  # a crash is an outcome too
            outcomes[index] = (0, f"exception {type(error).__name__}", time.perf_counter() - started)

    with pooled_client(bench, concurrency) as client, Recorder(client) as recorder:
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
        for thread in threads:
            thread.start()
        barrier.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        calls = list(recorder.calls)

    split = Counter(code for _, code, _ in outcomes)
    transactions = [c for c in calls if c.operation == "TransactWriteItems"]
    cancelled = [c for c in transactions if c.error]
    reasons = Counter(r for c in cancelled for r in c.cancellation if r != "None")
    latencies = sorted(t for _, _, t in outcomes)
    violations = check_invariants(bench.api, invoice, memos, split["applied"])
    return {
        "scenario": f"{concurrency} applies of 10.00 -> 1 invoice of {invoice_amount:.2f} (level {level})",
        "wall_s": round(wall, 2),
        "requests_s": round(concurrency / wall, 1),
        "applied": split.get("applied", 0),
        "insufficient": split.get("INSUFFICIENT_BALANCE", 0),
        "concurrent_update": split.get("CONCURRENT_UPDATE", 0),
        "other": sum(
            v for k, v in split.items() if k not in ("applied", "INSUFFICIENT_BALANCE", "CONCURRENT_UPDATE")
        ),
        "outcomes": dict(split),
        "retries": len(cancelled),
        "transactions": len(transactions),
        "cancellation_reasons": dict(reasons),
        "dynamodb_requests": len(calls),
        "latency_ms_median": round(median(latencies) * 1000, 1),
        "latency_ms_max": round(latencies[-1] * 1000, 1),
        "invariants": "ok" if not violations else "; ".join(violations),
        "invariants_ok": not violations,
    }


class ReadApi(Protocol):
    def ok(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any: ...


def check_invariants(
    api: ReadApi, invoice: dict[str, Any], memos: list[dict[str, Any]], applied: int
) -> list[str]:
    """What is wrong with the documents after ``applied`` successful applies (read through ``api``)."""
    problems: list[str] = []
    current = api.ok("GET", f"/invoices/{invoice['id']}")
    total = Decimal(current["totalAmountWithTax"])
    balance, net = Decimal(current["balance"]), Decimal(current["netCreditsApplied"])
    records: list[dict[str, Any]] = []
    token = None
    while True:
        query = {"limit": 100, "nextToken": token}
        page = api.ok("GET", f"/invoices/{invoice['id']}/applications", query=query)
        records += page["items"]
        token = page["nextToken"]
        if token is None:
            break
    active = [r for r in records if r["type"] == "Applied" and r["hasBeenUnapplied"] == "No"]
    applied_sum = sum((Decimal(r["amount"]) for r in active), Decimal(0))
    memo_net = Decimal(0)
    for memo in memos:
        now = api.ok("GET", f"/credit-memos/{memo['id']}")
        memo_balance, memo_total = Decimal(now["balance"]), Decimal(now["totalAmountWithTax"])
        memo_net += Decimal(now["netCreditsApplied"])
        if not 0 <= memo_balance <= memo_total or memo_balance != memo_total - Decimal(
            now["netCreditsApplied"]
        ):
            problems.append(f"memo {memo['id']} balance {memo_balance}")
    if balance != total - net or balance < 0:
        problems.append(f"invoice balance {balance} != total {total} - net credits {net}")
    if applied_sum != net:
        problems.append(f"Applied records sum to {applied_sum}, invoice net credits {net}")
    if memo_net != net:
        problems.append(f"memos' net credits {memo_net} != invoice's {net}")
    if len({r["creditMemoId"] for r in active}) != applied:
        problems.append(f"{len(active)} Applied records for {applied} successful requests")
    if current["lines"] and current["settlementLevel"] == "InvoiceLine":
        line_sum = sum((Decimal(line["balance"]) for line in current["lines"]), Decimal(0))
        if line_sum != balance:
            problems.append(f"line balances sum to {line_sum}, invoice balance {balance}")
    return problems


def run(bench: Bench) -> Section:
    started = time.perf_counter()
    concurrency = 8 if bench.smoke else CONCURRENCY
    section = Section(
        "contention",
        f"6. Contention: {concurrency} concurrent applies against one invoice",
        [
            ("scenario", "scenario"),
            ("wall_s", "wall s"),
            ("requests_s", "requests/s"),
            ("applied", "applied"),
            ("insufficient", "INSUFFICIENT_BALANCE"),
            ("concurrent_update", "CONCURRENT_UPDATE"),
            ("other", "other"),
            ("retries", "retries"),
            ("latency_ms_median", "median ms"),
            ("latency_ms_max", "max ms"),
            ("invariants", "invariants"),
        ],
    )
    urllib3_logger = logging.getLogger("urllib3")
    level = urllib3_logger.level
    urllib3_logger.setLevel(logging.ERROR)
    try:
        for settlement in ("Invoice", "InvoiceLine"):
            bench.log(f"  contention: level {settlement}")
            section.rows.append(_scenario(bench, settlement, concurrency))
    finally:
        urllib3_logger.setLevel(level)
    section.notes += [
        "threads in one process share one service (as requests share nothing but DynamoDB in Lambda); "
        "the service retries a lost race (re-read, recompute) with full-jitter backoff, up to "
        "MAX_CONFLICT_RETRIES (12) times.",
        "retries: cancelled TransactWriteItems (each one re-read and recomputed); their reasons are in "
        "the JSON (cancellation_reasons).",
    ]
    section.seconds = time.perf_counter() - started
    return section
