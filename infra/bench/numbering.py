"""Section 7: the number series, a single hot item, under 64 concurrent creators.

Every posting (a memo created Posted, or posted later) takes the next number of the deployment's
one series (spec section 7) in its own TransactWriteItems, conditional on the series' version: two
postings at once conflict, and the loser re-reads and retries (usecases/runner.py, up to
MAX_CONFLICT_RETRIES). 64 threads released together each create ``per_thread`` Posted memos one
after the other (direct invocation, each with its own Idempotency-Key), so the series sees 64
writers at all times. Postings/s is the successful creates over the wall time; retries are the
cancelled transactions (each one re-read and recomputed). A request that runs out of retries is
CONCURRENT_UPDATE and takes no number; the numbers the successes got must be one consecutive
range, none twice.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import Counter
from typing import Any

from infra.bench.contention import pooled_client
from infra.bench.context import Bench, new_account, new_key
from infra.bench.hooks import Recorder
from infra.bench.report import Section, median

CONCURRENCY = 64
NUMBER = re.compile(r"^(.*?)(\d+)$")


def _scenario(bench: Bench, concurrency: int, per_thread: int) -> dict[str, Any]:
    account = new_account("numbering")
    _, handler, context = bench.api.handler("CreateCreditMemoFunction")
    body = {
        "billingAccountId": account,
        "currency": "USD",
        "charges": [{"chargeAmount": "10.00", "productName": "Credit"}],
        "reasonCode": "Goodwill",
    }
    handler({**body, "idempotencyKey": new_key()}, context)  # warm: imports, the series exists
    barrier = threading.Barrier(concurrency + 1)
    outcomes: list[list[tuple[str, str | None, float]]] = [[] for _ in range(concurrency)]

    def worker(index: int) -> None:
        barrier.wait()
        for _ in range(per_thread):
            started = time.perf_counter()
            try:
                memo = handler({**body, "idempotencyKey": new_key()}, context)
                outcome = ("numbered", memo["documentNumber"])
            except Exception as error:  # direct invocation raises the error code's exception
                outcome = (type(error).__name__, None)
            outcomes[index].append((*outcome, time.perf_counter() - started))

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

    flat = [o for per in outcomes for o in per]
    split = Counter(code for code, _, _ in flat)
    numbers = sorted(int(NUMBER.match(n).group(2)) for _, n, _ in flat if n)  # type: ignore[union-attr]
    consecutive = numbers == list(range(numbers[0], numbers[0] + len(numbers))) if numbers else True
    transactions = [c for c in calls if c.operation == "TransactWriteItems"]
    cancelled = [c for c in transactions if c.error]
    reasons = Counter(r for c in cancelled for r in c.cancellation if r != "None")
    latencies = sorted(t for _, _, t in flat)
    numbered = split.get("numbered", 0)
    return {
        "scenario": f"{concurrency} threads x {per_thread} creates of a Posted memo, one series",
        "wall_s": round(wall, 2),
        "postings_s": round(numbered / wall, 1),
        "numbered": numbered,
        "concurrent_update": split.get("ConcurrentUpdate", 0),
        "other": sum(v for k, v in split.items() if k not in ("numbered", "ConcurrentUpdate")),
        "outcomes": dict(split),
        "retries": len(cancelled),
        "retries_per_posting": round(len(cancelled) / numbered, 2) if numbered else None,
        "transactions": len(transactions),
        "cancellation_reasons": dict(reasons),
        "latency_ms_median": round(median(latencies) * 1000, 1),
        "latency_ms_max": round(latencies[-1] * 1000, 1),
        "numbers": "consecutive, unique" if consecutive else "GAP OR DUPLICATE",
        "numbers_ok": consecutive,
    }


def run(bench: Bench) -> Section:
    started = time.perf_counter()
    concurrency = 8 if bench.smoke else CONCURRENCY
    per_thread = 1 if bench.smoke else (2 if bench.quick else 4)
    section = Section(
        "numbering",
        f"7. Number series: {concurrency} concurrent creators of Posted memos on one series",
        [
            ("scenario", "scenario"),
            ("wall_s", "wall s"),
            ("postings_s", "postings/s"),
            ("numbered", "numbered"),
            ("concurrent_update", "CONCURRENT_UPDATE"),
            ("other", "other"),
            ("retries", "retries"),
            ("retries_per_posting", "retries/posting"),
            ("latency_ms_median", "median ms"),
            ("latency_ms_max", "max ms"),
            ("numbers", "numbers"),
        ],
    )
    urllib3_logger = logging.getLogger("urllib3")
    level = urllib3_logger.level
    urllib3_logger.setLevel(logging.ERROR)
    try:
        bench.log("  numbering: one series")
        section.rows.append(_scenario(bench, concurrency, per_thread))
    finally:
        urllib3_logger.setLevel(level)
    section.notes += [
        "one series serialises every posting of the deployment: throughput is bounded by one "
        "conditional write at a time on one item (DynamoDB Local here; on DynamoDB a single item "
        "also sustains at most ~1,000 writes/s, and a transaction's latency is the real limit).",
        "retries: cancelled TransactWriteItems (lost the race for the series, re-read, recomputed); "
        "CONCURRENT_UPDATE: requests that lost MAX_CONFLICT_RETRIES (12) times and took no number.",
        "docs/design.md 'Document numbers' says how to scale past one series (a series per prefix).",
    ]
    section.seconds = time.perf_counter() - started
    return section
