"""Section 5: documents at the 300-line limit, and listing 10,000 invoices of one account.

Each operation goes through its real handler with an Idempotency-Key (so the stored response is
part of the write, as for a real client) and a ``Recorder`` that adds
``ReturnConsumedCapacity=TOTAL``. The 10,000 invoices are seeded by cloning one invoice made
through the handler (``BatchWriteItem``, not timed), then listed page by page (``limit=100``,
following ``nextToken``) through the handler.

A 300-line invoice cannot have 300 negative lines (its total may not be negative), so the
conversion uses 299 negative lines and one positive line, the most there can be.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from infra.bench.context import Bench, Prepared, invoice_body, memo_body, new_account, new_key
from infra.bench.hooks import Recorder
from infra.bench.report import Section, median

LINES = 300


def _timed(bench: Bench, recorder: Recorder, prepared: Prepared) -> tuple[float, Any, dict[str, Any]]:
    recorder.reset()
    started = time.perf_counter()
    result = bench.api.send(prepared)
    elapsed = time.perf_counter() - started
    if not 200 <= result.status < 300:
        raise RuntimeError(f"{prepared.event['path']} answered {result.status}: {result.body}")
    return elapsed, result.body, recorder.summary()


def _row(name: str, times: list[float], summary: dict[str, Any], detail: str = "") -> dict[str, Any]:
    return {
        "operation": name,
        "ms": round(median(times) * 1000, 1),
        "requests": summary["requests"],
        "calls": summary["by_operation"],
        "rcu": summary["read_units"],
        "wcu": summary["write_units"],
        "request_kb": round(summary["largest_request_bytes"] / 1024, 1),
        "detail": detail or ", ".join(f"{k} x{v}" for k, v in summary["by_operation"].items()),
        "samples_ms": [round(t * 1000, 1) for t in times],
    }


def _documents(bench: Bench, recorder: Recorder, reps: int) -> list[dict[str, Any]]:
    api = bench.api
    rows: list[dict[str, Any]] = []
    measured: dict[str, tuple[list[float], dict[str, Any]]] = {}

    def record(name: str, prepared: Prepared) -> Any:
        elapsed, body, summary = _timed(bench, recorder, prepared)
        times, _ = measured.get(name, ([], {}))
        measured[name] = ([*times, elapsed], summary)
        return body

    amounts = ["10.00"] * LINES
    for _ in range(reps):
        account = new_account("scale")
        memo = record(
            "create a 300-line credit memo",
            api.prepare("POST", "/credit-memos", memo_body(account, amounts), key=new_key()),
        )
        invoice = record(
            "create a 300-line invoice (level InvoiceLine)",
            api.prepare(
                "POST", "/invoices", invoice_body(account, amounts, level="InvoiceLine"), key=new_key()
            ),
        )
        record("get the 300-line invoice", api.prepare("GET", f"/invoices/{invoice['id']}"))
        applied = record(
            "apply the memo across all 300 invoice lines",
            api.prepare(
                "POST",
                f"/credit-memos/{memo['id']}/actions/apply",
                {"applications": [{"invoiceId": invoice["id"]}]},
                key=new_key(),
            ),
        )
        if len(applied["applications"]) != LINES:
            raise RuntimeError(f"the apply wrote {len(applied['applications'])} records, not {LINES}")
        negatives = ["100000.00"] + ["-10.00"] * (LINES - 1)
        mixed = bench.fixtures.invoice(account, negatives)
        converted = record(
            "convert 299 negative lines (and apply back)",
            api.prepare("POST", f"/invoices/{mixed['id']}/actions/convert-to-credit", {}, key=new_key()),
        )
        if len(converted["creditMemo"]["lines"]) != LINES - 1:
            raise RuntimeError("the conversion did not convert every negative line")
    for name, (times, summary) in measured.items():
        rows.append(_row(name, times, summary))
    return rows


def _seed_invoices(bench: Bench, account: str, count: int) -> None:
    """``count`` invoices of ``account``: one made through the handler, the rest its clones."""
    from credit_memos.ids import new_id

    first = bench.fixtures.invoice(account, ["100.00", "20.00"])
    client = bench.raw_client()
    key = {"pk": {"S": f"INVOICE#{first['id']}"}, "sk": {"S": "INVOICE"}}
    template = client.get_item(TableName=bench.table_name, Key=key, ConsistentRead=True)["Item"]
    sort_prefix = template["gsi1sk"]["S"].rsplit("#", 1)[0]

    def clone() -> dict[str, Any]:
        item = copy.deepcopy(template)
        invoice_id = new_id("inv")
        item["id"] = {"S": invoice_id}
        item["pk"] = {"S": f"INVOICE#{invoice_id}"}
        item["gsi1sk"] = {"S": f"{sort_prefix}#{invoice_id}"}
        item["gsi2sk"] = {"S": f"{sort_prefix}#{invoice_id}"}
        return item

    batches = [[clone() for _ in range(min(25, count - 1 - start))] for start in range(0, count - 1, 25)]

    def write(batch: list[dict[str, Any]]) -> None:
        request = {bench.table_name: [{"PutRequest": {"Item": item}} for item in batch]}
        for attempt in range(10):
            response = client.batch_write_item(RequestItems=request)
            request = response.get("UnprocessedItems") or {}
            if not request:
                return
            time.sleep(0.05 * 2**attempt)
        raise RuntimeError("BatchWriteItem kept leaving items unprocessed")

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write, batches))


def _listing(bench: Bench, recorder: Recorder, count: int) -> dict[str, Any]:
    account = new_account("scale-list")
    seeding = time.perf_counter()
    _seed_invoices(bench, account, count)
    seeded_in = time.perf_counter() - seeding
    page_times: list[float] = []
    ids: set[str] = set()
    token: str | None = None
    recorder.reset()
    started = time.perf_counter()
    while True:
        query: dict[str, Any] = {"billingAccountId": account, "limit": 100, "nextToken": token}
        prepared = bench.api.prepare("GET", "/invoices", query=query)
        page_started = time.perf_counter()
        result = bench.api.send(prepared)
        page_times.append(time.perf_counter() - page_started)
        if result.status != 200:
            raise RuntimeError(f"listing answered {result.status}: {result.body}")
        ids.update(item["id"] for item in result.body["items"])
        token = result.body["nextToken"]
        if token is None:
            break
    elapsed = time.perf_counter() - started
    if len(ids) != count:
        raise RuntimeError(f"listed {len(ids)} distinct invoices, not {count}")
    summary = recorder.summary()
    row = _row(f"list {count:,} invoices of one account (limit=100)", [elapsed], summary)
    row["detail"] = (
        f"{len(page_times)} pages, median {median(page_times) * 1000:.1f} ms/page, "
        f"{count / elapsed:,.0f} invoices/s; seeded in {seeded_in:.1f} s (not timed)"
    )
    row["pages"] = len(page_times)
    row["page_ms_median"] = round(median(page_times) * 1000, 2)
    return row


def run(bench: Bench) -> Section:
    started = time.perf_counter()
    reps = 1 if bench.quick else 3
    invoices = 300 if bench.smoke else 2_000 if bench.quick else 10_000
    section = Section(
        "scale",
        "5. Scale: 300-line documents and a 10,000-invoice listing (with Idempotency-Key)",
        [
            ("operation", "operation"),
            ("ms", "ms"),
            ("requests", "requests"),
            ("rcu", "RCU"),
            ("wcu", "WCU"),
            ("request_kb", "largest request KB"),
            ("detail", "detail"),
        ],
    )
    steps: list[tuple[str, Callable[[Recorder], Any]]] = [
        ("documents", lambda recorder: section.rows.extend(_documents(bench, recorder, reps))),
        ("listing", lambda recorder: section.rows.append(_listing(bench, recorder, invoices))),
    ]
    with Recorder(bench.service_client(), capacity=True) as recorder:
        for name, step in steps:
            bench.log(f"  scale: {name}")
            step(recorder)
    section.notes += [
        f"ms: median of {reps} run(s) through the handler, each on fresh documents; RCU/WCU: DynamoDB "
        "Local's accounting (ReturnConsumedCapacity=TOTAL) of the last run; WCU includes both GSIs "
        "(projection ALL) and the 2x of transactions.",
        "largest request KB: the biggest DynamoDB request body the operation sent.",
    ]
    if bench.quick:
        section.notes.append(f"--quick lists {invoices:,} invoices instead of 10,000.")
    section.seconds = time.perf_counter() - started
    return section
