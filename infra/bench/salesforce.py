"""Section salesforce: the Salesforce-compatible routes' added warm cost over the native call.

For each operation the same change is sent through the native route and through its Salesforce
route (the real handlers on DynamoDB Local, events built beforehand, both functions warm). Rounds
alternate ``n`` native requests and ``n`` Salesforce requests; per round pair the ratio is the
Salesforce side's time over the native side's, and the median over the rounds is reported, as
added cost (goal: at most 10 % over the native call).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from infra.bench.context import Bench, Prepared, new_account
from infra.bench.report import Section, median

V = "/services/data/v67.0"
GOAL = 0.10


def _timed(bench: Bench, events: list[Prepared]) -> tuple[float, float]:
    """Wall time and this process's CPU time (the handler's own work, DynamoDB Local aside)."""
    wall, cpu = time.perf_counter(), time.process_time()
    for prepared in events:
        result = bench.api.send(prepared)
        if not 200 <= result.status < 300:
            raise RuntimeError(f"{prepared.event['path']} answered {result.status}: {result.body}")
    return time.perf_counter() - wall, time.process_time() - cpu


def _apply(bench: Bench, count: int) -> tuple[list[Prepared], list[Prepared]]:
    account = new_account("sf")
    invoice = bench.fixtures.invoice(account, ["100000.00"])
    memo = bench.fixtures.memo(account, ["100000.00"])
    native = bench.api.prepare(
        "POST",
        f"/credit-memos/{memo['id']}/actions/apply",
        {"applications": [{"invoiceId": invoice["id"], "amount": "0.01"}]},
    )
    salesforce = bench.api.prepare(
        "POST",
        f"{V}/commerce/invoicing/credit-memos/{memo['id']}/actions/apply",
        {"applications": [{"appliedToId": invoice["id"], "amount": "0.01"}]},
    )
    return [native] * count, [salesforce] * count


def _apply_credit_action(bench: Bench, count: int) -> tuple[list[Prepared], list[Prepared]]:
    account = new_account("sf")
    invoice = bench.fixtures.invoice(account, ["100000.00"])
    memo = bench.fixtures.memo(account, ["100000.00"])
    native = bench.api.prepare(
        "POST",
        f"/credit-memos/{memo['id']}/actions/apply",
        {"applications": [{"invoiceId": invoice["id"], "amount": "0.01"}]},
    )
    source_target = {"creditSourceRecordId": memo["id"], "creditTargetRecordId": invoice["id"]}
    salesforce = bench.api.prepare(
        "POST",
        f"{V}/actions/standard/applyCredit",
        {"inputs": [{**source_target, "appliedCreditAmount": "0.01"}]},
    )
    return [native] * count, [salesforce] * count


def _create(bench: Bench, count: int) -> tuple[list[Prepared], list[Prepared]]:
    account = new_account("sf")
    charge = {"chargeAmount": "10.00", "productId": "p"}
    native = bench.api.prepare(
        "POST", "/credit-memos", {"billingAccountId": account, "currency": "USD", "charges": [charge]}
    )
    salesforce = bench.api.prepare(
        "POST",
        f"{V}/commerce/invoicing/credit-memos/actions/generate",
        {"billingAccountId": account, "currencyIsoCode": "USD", "taxStrategy": "Ignore", "charges": [charge]},
    )
    return [native] * count, [salesforce] * count


OPERATIONS: dict[str, Callable[[Bench, int], tuple[list[Prepared], list[Prepared]]]] = {
    "apply a memo to an invoice (apply resource)": _apply,
    "apply a memo to an invoice (applyCredit action, 1 input)": _apply_credit_action,
    "create a standalone memo (generate)": _create,
}


def run(bench: Bench) -> Section:
    rounds, per_round = (2, 3) if bench.smoke else ((6, 20) if bench.quick else (10, 40))
    section = Section(
        name="salesforce",
        title="Salesforce-compatible routes: added warm cost over the native call",
        columns=[
            ("operation", "operation"),
            ("native_ms", "native ms/request"),
            ("salesforce_ms", "Salesforce ms/request"),
            ("added", "added wall time (median of rounds)"),
            ("added_cpu", "added handler CPU (median of rounds)"),
            ("goal_met", f"<= {GOAL:.0%}"),
        ],
    )
    data: dict[str, Any] = {}
    started = time.perf_counter()
    for name, prepare in OPERATIONS.items():
        native, salesforce = prepare(bench, per_round)
        _timed(bench, native[:3])  # warm both functions (imports, validators, client)
        _timed(bench, salesforce[:3])
        ratios, cpu_ratios, native_times, salesforce_times = [], [], [], []
        for _ in range(rounds):
            native_s, native_cpu = _timed(bench, native)
            salesforce_s, salesforce_cpu = _timed(bench, salesforce)
            native_times.append(native_s / per_round)
            salesforce_times.append(salesforce_s / per_round)
            ratios.append(salesforce_s / native_s)
            cpu_ratios.append(salesforce_cpu / native_cpu)
        added, added_cpu = median(ratios) - 1, median(cpu_ratios) - 1
        section.rows.append(
            {
                "operation": name,
                "native_ms": round(median(native_times) * 1000, 2),
                "salesforce_ms": round(median(salesforce_times) * 1000, 2),
                "added": f"{added:+.1%}",
                "added_cpu": f"{added_cpu:+.1%}",
                "goal_met": added <= GOAL,
            }
        )
        data[name] = {
            "ratios": [round(r, 4) for r in ratios],
            "cpu_ratios": [round(r, 4) for r in cpu_ratios],
            "requests_per_round": per_round,
        }
    section.data = data
    section.seconds = time.perf_counter() - started
    section.notes.append(
        "Same change, same DynamoDB calls on both sides; the difference is the translation of the "
        "body and the envelope (and, for an action, the results array)."
    )
    return section
