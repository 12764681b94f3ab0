"""Section 7: the number series, a single hot item, under 64 concurrent creators.

Every posting (a memo created Posted, or posted later) takes the next number of the deployment's
one series (spec section 7) in its own TransactWriteItems, conditional on the series' version: two
postings at once conflict, and the loser re-reads and retries (usecases/runner.py, up to
MAX_CONFLICT_RETRIES). 64 threads released together each create ``per_thread`` Posted memos one
after the other (direct invocation, each with its own Idempotency-Key), so the series sees 64
writers at all times. Postings/s is the successful creates over the wall time; retries are the
cancelled transactions (each one re-read and recomputed). A request that runs out of retries is
CONCURRENT_UPDATE and takes no number; the numbers of the table's memos must be one consecutive
range, none twice, and hold every number answered.
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
from infra.local.lambda_runtime import FakeLambdaContext

CONCURRENCY = 64
NUMBER = re.compile(r"^(.*?)(\d+)$")
# The goal of a month-end burst (docs/design.md "Document numbers"): no request slower than this.
SLOW_S = 5.0
# Numbers one sequencer round would assign in one TransactWriteItems (the series, and per memo
# its header's update and its pending slot's removal: 1 + 2 x 48 of DynamoDB's 100 items).
ROUND_SIZE = 48
UNNUMBERED = "attribute_exists(pk) AND attribute_not_exists(document_number)"


def _scenario(bench: Bench, concurrency: int, per_thread: int, status: str = "Posted") -> dict[str, Any]:
    account = new_account("numbering")
    function, handler, context = bench.api.handler("CreateCreditMemoFunction")
    body = {
        "billingAccountId": account,
        "currency": "USD",
        "type": status,
        "charges": [{"chargeAmount": "10.00", "productName": "Credit"}],
        "reasonCode": "Goodwill",
    }
    handler({**body, "idempotencyKey": new_key()}, context)  # warm: imports, the series exists
    barrier = threading.Barrier(concurrency + 1)
    outcomes: list[list[tuple[str, str | None, float]]] = [[] for _ in range(concurrency)]
    messages: Counter[str] = Counter()

    def worker(index: int) -> None:
        barrier.wait()
        for _ in range(per_thread):
            started = time.perf_counter()
            try:
                # A context per request: its deadline runs from the request's start, as in Lambda.
                memo = handler({**body, "idempotencyKey": new_key()}, FakeLambdaContext(function))
                outcome = ("numbered", memo["documentNumber"] or "")
            except Exception as error:  # direct invocation raises the error code's exception
                outcome = (type(error).__name__, None)
                messages[f"{type(error).__name__}: {error}"] += 1
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
    done = "numbered" if status == "Posted" else "written"
    # A 503 may have committed (its answer lost; the client's retry under its key replays it), so
    # the series is checked on the table: the numbers of the burst's memos (its account's; nothing
    # else posts meanwhile) are one consecutive range, none twice, holding every number answered.
    stored = _stored_numbers(bench, account)
    run = list(range(stored[0], stored[0] + len(stored))) if stored else []
    consecutive = stored == run and set(numbers) <= set(stored)
    unanswered = len(set(stored) - set(numbers)) if status == "Posted" else 0
    transactions = [c for c in calls if c.operation == "TransactWriteItems"]
    cancelled = [c for c in transactions if c.error]
    reasons = Counter(r for c in cancelled for r in c.cancellation if r != "None")
    latencies = sorted(t for _, _, t in flat)
    numbered = split.get("numbered", 0)
    return {
        "scenario": f"{concurrency} threads x {per_thread} creates of a {status} memo"
        + (", one series" if status == "Posted" else " (no number: the write path alone)"),
        "wall_s": round(wall, 2),
        "postings_s": round(numbered / wall, 1),
        "numbered": numbered,
        "done": done,
        "concurrent_update": split.get("ConcurrentUpdate", 0),
        "other": sum(v for k, v in split.items() if k not in ("numbered", "ConcurrentUpdate")),
        "outcomes": dict(split),
        "error_messages": dict(messages),
        "retries": len(cancelled),
        "retries_per_posting": round(len(cancelled) / numbered, 2) if numbered else None,
        "transactions": len(transactions),
        "cancellation_reasons": dict(reasons),
        "latency_ms_median": round(median(latencies) * 1000, 1),
        "latency_ms_p95": round(latencies[int(0.95 * (len(latencies) - 1))] * 1000, 1),
        "latency_ms_max": round(latencies[-1] * 1000, 1),
        "over_5s": sum(1 for t in latencies if t > SLOW_S),
        "numbers": ("consecutive, unique" if consecutive else "GAP OR DUPLICATE")
        if status == "Posted"
        else "-",
        "numbers_ok": consecutive,
        "numbered_unanswered": unanswered,
    }


def _stored_numbers(bench: Bench, account: str | None = None) -> list[int]:
    """The numbers of the account's credit memos (None: of the sequencer rounds' items), sorted
    (a consistent scan)."""
    if account is None:
        condition, values = "begins_with(pk, :p)", {":p": {"S": "BENCHSEQ#"}}
    else:
        condition, values = "billing_account_id = :p", {":p": {"S": account}}
    found: list[int] = []
    for page in (
        bench.raw_client()
        .get_paginator("scan")
        .paginate(
            TableName=bench.table_name,
            ConsistentRead=True,
            FilterExpression=f"{condition} AND attribute_exists(document_number)",
            ExpressionAttributeValues=values,
            ProjectionExpression="document_number",
        )
    ):
        found += [int(NUMBER.match(i["document_number"]["S"]).group(2)) for i in page["Items"]]  # type: ignore[union-attr]
    return sorted(found)


def _sequencer_rounds(bench: Bench, rounds: int, size: int = ROUND_SIZE) -> dict[str, Any]:
    """The ceiling of numbers assigned in batches, the design docs/design.md proposes: ``size``
    memo headers committed with a pending slot each (untimed), then per round the sequencer's
    calls, timed: a consistent Query of the slots, a consistent GetItem of the series, and one
    TransactWriteItems (the series conditional on its version; per memo an UpdateItem setting its
    number and version, conditional on it having none, and the slot's Delete). Items live under a
    prefix of their own (``BENCHSEQ#``), so the service's series is untouched."""
    client = bench.raw_client()
    table = bench.table_name
    series_key = {"pk": {"S": "BENCHSEQ#SERIES"}, "sk": {"S": "SERIES"}}
    queue = {"S": "BENCHSEQ#PENDING"}
    last, timings = 0, []
    for round_number in range(rounds):
        for index in range(size):
            memo_id = f"seq-{round_number}-{index}"
            client.put_item(
                TableName=table,
                Item={"pk": {"S": f"BENCHSEQ#{memo_id}"}, "sk": {"S": "MEMO"}, "version": {"N": "1"}},
            )
            client.put_item(
                TableName=table,
                Item={"pk": queue, "sk": {"S": f"{time.time_ns():020d}#{memo_id}"}, "memo": {"S": memo_id}},
            )
        started = time.perf_counter()
        pending = client.query(
            TableName=table,
            KeyConditionExpression="pk = :q",
            ExpressionAttributeValues={":q": queue},
            ConsistentRead=True,
            Limit=size,
        )["Items"]
        series = client.get_item(TableName=table, Key=series_key, ConsistentRead=True).get("Item")
        version = int(series["version"]["N"]) if series else 0
        actions: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": table,
                    "Item": series_key
                    | {"last": {"N": str(last + len(pending))}, "version": {"N": str(version + 1)}},
                    **(
                        {"ConditionExpression": "attribute_not_exists(pk)"}
                        if version == 0
                        else {
                            "ConditionExpression": "version = :v",
                            "ExpressionAttributeValues": {":v": {"N": str(version)}},
                        }
                    ),
                }
            }
        ]
        for offset, slot in enumerate(pending, start=1):
            actions.append(
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"pk": {"S": f"BENCHSEQ#{slot['memo']['S']}"}, "sk": {"S": "MEMO"}},
                        "UpdateExpression": "SET document_number = :n ADD version :one",
                        "ConditionExpression": UNNUMBERED,
                        "ExpressionAttributeValues": {
                            ":n": {"S": f"BQ-{last + offset:08d}"},
                            ":one": {"N": "1"},
                        },
                    }
                }
            )
            actions.append({"Delete": {"TableName": table, "Key": {"pk": slot["pk"], "sk": slot["sk"]}}})
        client.transact_write_items(TransactItems=actions)
        timings.append(time.perf_counter() - started)
        last += len(pending)
    round_s = median(timings)
    consecutive = _stored_numbers(bench) == list(range(1, last + 1))
    return {
        "scenario": f"sequencer rounds (proposed design): {size} numbers a round, {rounds} rounds",
        "wall_s": round(sum(timings), 2),
        "postings_s": round(size / round_s, 1),
        "numbered": last,
        "done": "numbered",
        "other": 0,  # a round that fails raises: the section reports the crash
        "outcomes": {"numbered": last},
        "latency_ms_median": round(round_s * 1000, 1),
        "latency_ms_max": round(max(timings) * 1000, 1),
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
            ("latency_ms_p95", "p95 ms"),
            ("latency_ms_max", "max ms"),
            ("over_5s", "over 5 s"),
            ("numbers", "numbers"),
        ],
    )
    urllib3_logger = logging.getLogger("urllib3")
    level = urllib3_logger.level
    urllib3_logger.setLevel(logging.ERROR)
    try:
        bench.log("  numbering: one series")
        section.rows.append(_scenario(bench, concurrency, per_thread))
        bench.log("  numbering: the same burst without a number (the write path's own rate)")
        section.rows.append(_scenario(bench, concurrency, per_thread, status="Draft"))
        bench.log("  numbering: sequencer rounds (the proposed design's ceiling)")
        section.rows.append(_sequencer_rounds(bench, 3 if bench.smoke else 10))
    finally:
        urllib3_logger.setLevel(level)
    section.notes += [
        "one series serialises every posting of the deployment: throughput is bounded by one "
        "conditional write at a time on one item (DynamoDB Local here; on DynamoDB a single item "
        "also sustains at most ~1,000 writes/s, and a transaction's latency is the real limit).",
        "numbers: checked on the table (the burst's memos: consecutive, none twice, every answered "
        "number among them); a 503 "
        "whose commit went through has a number its client did not hear of until it retries under "
        "its key (numbered_unanswered in the JSON).",
        "retries: cancelled TransactWriteItems (lost the race for the series, re-read, recomputed); "
        "CONCURRENT_UPDATE: requests that lost MAX_CONFLICT_RETRIES (12) times and took no number.",
        "docs/design.md 'Document numbers' says how to scale past one series (a series per prefix).",
        "Draft row: the same 64-thread burst creating Drafts, which read and write no series: what a "
        "posting would cost once the number leaves its transaction (the write path's own ceiling here).",
        f"sequencer rounds: the calls one round of batched numbering makes ({ROUND_SIZE} numbers a "
        "round); postings/s = numbers a round / the median round. Not the service's code: the "
        "ceiling of the design docs/design.md proposes, measured on the same engine.",
    ]
    section.seconds = time.perf_counter() - started
    return section
