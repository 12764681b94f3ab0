"""Section 8: the account summary (docs/design.md "Account summary"): what reading it costs, what
keeping it costs per document change, and how far it lags behind the writes under load.

The consumer is SummarizeAccountsFunction's own ``handle`` with its own DynamoDB client, fed by
``infra.local.streams.StreamPoller`` from DynamoDB Local's stream (GetRecords on every shard, every
50 ms when idle, the template's FilterCriteria applied), in this process.

- read: GET /billing-accounts/{id}/summary through its handler, on an account with 1 document and
  on one with many, billed by infra/bench/capacity.py;
- keep: the consumer's requests while it applies the changes of those documents (as they are
  created, so batches hold one to a few of them), billed the same way, per change applied;
- lag: ``THREADS`` writers (direct invocation) each create a Posted invoice, a Posted memo, and
  apply the memo to the invoice, until ``writes`` writes are done; a write's lag is the time from
  its commit (the writer's answer; and, as an upper bound, the request's start) to the end of the
  consumer's batch that applied its document's new state (or a newer one).
"""

from __future__ import annotations

import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from infra.bench.capacity import CapacityRecorder, Schema, floor
from infra.bench.contention import pooled_client
from infra.bench.context import Bench, invoice_body, memo_body, new_account, new_key
from infra.bench.hooks import describe_calls
from infra.bench.report import Section, median
from infra.local.dynamodb_local import dynamodb_client
from infra.local.streams import StreamPoller, StreamReader, stream_mappings, streams_client

THREADS = 8
CONSUMER = "SummarizeAccountsFunction"


class Consumer:
    """The consumer on DynamoDB Local's stream, noting when each (document, version) was applied."""

    def __init__(self, bench: Bench) -> None:
        from credit_memos.adapters.dynamodb.summary_store import SummaryStore

        _, handler, _ = bench.api.handler(CONSUMER)
        self.module = sys.modules[handler.__module__]
        self.client = dynamodb_client(bench.endpoint_url, timeout_s=30.0, retries=3)
        self.store = SummaryStore(self.client, bench.table_name)
        self.applied: dict[tuple[str, int], float] = {}  # (document key, version) -> applied at
        self.failures = 0
        self._lock = threading.Lock()
        (mapping,) = [m for m in stream_mappings(bench.template) if m.function == CONSUMER]
        reader = StreamReader(bench.raw_client(), streams_client(bench.endpoint_url), bench.table_name)
        self.poller = StreamPoller(
            reader, self._deliver, batch_size=mapping.batch_size, accepts=mapping.accepts
        )

    def _deliver(self, event: dict[str, Any]) -> dict[str, Any]:
        response: dict[str, Any] = self.module.handle(event, self.store)
        done = time.perf_counter()
        failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
        with self._lock:
            self.failures += len(failed)
            for record in event["Records"]:
                stream = record["dynamodb"]
                if stream.get("SequenceNumber") in failed:
                    continue
                image = stream["NewImage"]
                key = (image["pk"]["S"], int(image["version"]["N"]))
                self.applied.setdefault(key, done)
        return response

    def reflected_at(self, document_key: str, version: int) -> float | None:
        """When the summary first held this version of the document, or a newer one."""
        times = [t for (key, v), t in self.applied.items() if key == document_key and v >= version]
        return min(times) if times else None

    @contextmanager
    def running(self) -> Iterator[Consumer]:
        self.poller.start()
        try:
            yield self
        finally:
            self.poller.stop()


def _read_row(bench: Bench, recorder: CapacityRecorder, name: str, account: str) -> dict[str, Any]:
    prepared = bench.api.prepare("GET", f"/billing-accounts/{account}/summary")
    recorder.reset()
    result = bench.api.send(prepared)
    if result.status != 200:
        raise RuntimeError(f"summary of {account} answered {result.status}: {result.body}")
    total = recorder.total()
    floor_rcu, _ = floor(total)
    return {
        "operation": name,
        "calls": describe_calls(recorder.calls),
        "rcu": f"{total.rcu:g}",
        "wcu": f"{total.total_wcu:g}",
        "floor": f"{floor_rcu:g}/0",
        "billed_rcu": total.rcu,
        "floor_rcu": floor_rcu,
        "read_sizes": total.read_sizes,
        "currencies": len(result.body["currencies"]),
    }


def _lag(bench: Bench, consumer: Consumer, writes: int) -> dict[str, Any]:
    _, create_invoice, invoice_context = bench.api.handler("CreateInvoiceFunction")
    _, create_memo, memo_context = bench.api.handler("CreateCreditMemoFunction")
    _, apply, apply_context = bench.api.handler("ApplyCreditMemoFunction")
    accounts = [new_account("summary-lag") for _ in range(THREADS * 2)]
    # (document keys, versions) each write changes, when it was sent, when it was answered
    tracked: list[tuple[list[tuple[str, int]], float, float]] = []
    lock = threading.Lock()
    per_thread = -(-writes // THREADS)

    def worker(index: int) -> None:
        done = 0
        while done < per_thread:
            account = accounts[(index + done) % len(accounts)]
            sent = time.perf_counter()
            invoice = create_invoice(
                {**invoice_body(account, ["100.00"]), "idempotencyKey": new_key()}, invoice_context
            )
            answered = time.perf_counter()
            steps = [([(f"INVOICE#{invoice['id']}", 0)], sent, answered)]
            sent = time.perf_counter()
            memo = create_memo({**memo_body(account, ["30.00"]), "idempotencyKey": new_key()}, memo_context)
            answered = time.perf_counter()
            steps.append(([(f"MEMO#{memo['id']}", 0)], sent, answered))
            sent = time.perf_counter()
            apply(
                {
                    "creditMemoId": memo["id"],
                    "applications": [{"invoiceId": invoice["id"], "amount": "30.00"}],
                    "idempotencyKey": new_key(),
                },
                apply_context,
            )
            answered = time.perf_counter()
            steps.append(([(f"INVOICE#{invoice['id']}", 1), (f"MEMO#{memo['id']}", 1)], sent, answered))
            with lock:
                tracked.extend(steps)
            done += len(steps)

    with pooled_client(bench, THREADS):
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        quiet = consumer.poller.wait_idle(300)
    lags_answer, lags_sent, missing = [], [], 0
    for changes, sent, answered in tracked:
        times = [consumer.reflected_at(key, version) for key, version in changes]
        if any(t is None for t in times):
            missing += 1
            continue
        reflected = max(t for t in times if t is not None)
        lags_answer.append(reflected - answered)
        lags_sent.append(reflected - sent)
    lags_answer.sort()
    lags_sent.sort()

    def ms(value: float) -> float:
        return round(value * 1000, 1)

    return {
        "writes": len(tracked),
        "writes_s": round(len(tracked) / wall, 1),
        "quiescent": quiet,
        "not_reflected": missing,
        "lag_median_ms": ms(median(lags_answer)) if lags_answer else None,
        "lag_p99_ms": ms(lags_answer[int(len(lags_answer) * 0.99) - 1]) if lags_answer else None,
        "lag_worst_ms": ms(lags_answer[-1]) if lags_answer else None,
        "lag_sent_median_ms": ms(median(lags_sent)) if lags_sent else None,
        "lag_sent_worst_ms": ms(lags_sent[-1]) if lags_sent else None,
        "lag_mean_ms": ms(statistics.fmean(lags_answer)) if lags_answer else None,
    }


def run(bench: Bench) -> Section:
    started = time.perf_counter()
    schema = Schema.from_create_kwargs(bench.template.tables()["CreditMemoTable"].create_kwargs)
    many = 3 if bench.smoke else 40 if bench.quick else 200
    writes = 30 if bench.smoke else 1002
    section = Section(
        "summary",
        "8. Account summary: the read's cost, the consumer's cost per change, its lag behind writes",
        [
            ("operation", "operation"),
            ("calls", "requests [items]"),
            ("rcu", "RCU"),
            ("wcu", "WCU"),
            ("floor", "floor RCU/WCU"),
            ("lag_median_ms", "lag median ms"),
            ("lag_p99_ms", "lag p99 ms"),
            ("lag_worst_ms", "lag worst ms"),
        ],
    )
    consumer = Consumer(bench)
    with consumer.running():
        one, crowded = new_account("summary-one"), new_account("summary-many")
        keep = CapacityRecorder(consumer.client, bench.raw_client(), schema)
        with keep:
            bench.fixtures.invoice(one, ["10.00"])
            for n in range(many):
                if n % 2:
                    bench.fixtures.invoice(crowded, ["10.00"], currency="EUR" if n % 4 == 1 else "USD")
                else:
                    bench.fixtures.memo(crowded, ["5.00"])
            if not consumer.poller.wait_idle(120):
                raise RuntimeError("the consumer did not catch up")
            kept = keep.total()
            counted = Counter(call.operation for call in keep.calls)
            calls = " + ".join(f"{n} {operation}" for operation, n in sorted(counted.items()))
        applied = len(consumer.applied)
        with CapacityRecorder(bench.service_client(), bench.raw_client(), schema) as reads:
            section.rows.append(_read_row(bench, reads, "summary read (account with 1 document)", one))
            section.rows.append(
                _read_row(
                    bench, reads, f"summary read (account with {many} documents, 2 currencies)", crowded
                )
            )
        section.rows.append(
            {
                "operation": f"consumer: one document change applied (mean of {applied})",
                "calls": f"{calls} for {applied} changes",
                "rcu": f"{kept.rcu / applied:.2f}",
                "wcu": f"{kept.wcu / applied:.2f}",
                "floor": "-",
                "rcu_per_change": kept.rcu / applied,
                "wcu_per_change": kept.wcu / applied,
                "changed_items": [list(sizes) for sizes in kept.changed.values()][:4],
            }
        )
        lag = _lag(bench, consumer, writes)
    section.rows.append(
        {
            "operation": f"lag: {lag['writes']} writes by {THREADS} threads ({lag['writes_s']}/s), "
            "commit to summary",
            "calls": "-",
            **lag,
        }
    )
    if consumer.failures or lag["not_reflected"] or not lag["quiescent"]:
        section.notes.append(
            f"WARNING: {consumer.failures} records failed, {lag['not_reflected']} writes never "
            f"reflected, quiescent: {lag['quiescent']}"
        )
    section.notes += [
        "RCU/WCU billed by infra/bench/capacity.py (AWS's rules; an Update is billed on the larger of "
        "the item before and after it). The read is one eventually consistent GetItem of the "
        "account's totals item: the same bill whatever the number of documents (the floor: that "
        "item read once).",
        "Consumer per change: the batch's newest state of each document, by account: one "
        "consistent BatchGetItem of the group's contributions (1 RCU a document) and one "
        "TransactWriteItems (a Put per document, 2 WCU; one Update of the account's totals, 2 WCU "
        "shared by the group). Alone a change costs 1 RCU + 4 WCU; the more of an account's "
        "documents change in one batch, the closer it gets to 1 RCU + 2 WCU.",
        "Lag: from the writer's answer (commit acknowledged) to the end of the consumer batch that "
        f"applied it (from the request's start: median {lag['lag_sent_median_ms']} ms, worst "
        f"{lag['lag_sent_worst_ms']} ms). Local poller: GetRecords every 50 ms when idle, in this "
        "process, sharing 2 CPUs with the writers. On AWS add Lambda's stream polling (about 4 per "
        "second per shard) and MaximumBatchingWindowInSeconds (1 s in template.yaml).",
    ]
    section.data = {"lag": lag, "documents": many, "writes": writes}
    section.seconds = time.perf_counter() - started
    return section
