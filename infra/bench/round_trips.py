"""Section 1: DynamoDB requests per operation, next to the floor each operation needs.

Every operation runs once through its real handler with a ``Recorder`` on the service's client:
without an Idempotency-Key, with a fresh key (the difference is the idempotency bookkeeping), and
the same keyed request again (a replay). Capacity units are DynamoDB Local's own accounting
(``ReturnConsumedCapacity=TOTAL``, added by the hook).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from infra.bench.context import Bench, new_account, new_key
from infra.bench.hooks import Recorder, describe_calls
from infra.bench.report import Section

Request = tuple[str, str, Any, dict[str, Any] | None]  # method, path, body, query


@dataclass(frozen=True)
class Scenario:
    name: str
    setup: Callable[[Bench], Request]
    floor: int
    floor_text: str
    mutation: bool = True


def _invoice(bench: Bench, amounts: list[str] | None = None, **kwargs: Any) -> dict[str, Any]:
    return bench.fixtures.invoice(new_account(), amounts or ["100.00", "20.00"], **kwargs)


def _pair(bench: Bench, level: str = "Invoice") -> tuple[dict[str, Any], dict[str, Any]]:
    account = new_account()
    invoice = bench.fixtures.invoice(account, ["100.00", "20.00"], level=level)
    memo = bench.fixtures.memo(account, ["30.00", "10.00"])
    return memo, invoice


def _create_invoice(bench: Bench) -> Request:
    from infra.bench.context import invoice_body

    return "POST", "/invoices", invoice_body(new_account(), ["100.00", "20.00"]), None


def _post_invoice(bench: Bench) -> Request:
    invoice = _invoice(bench, status="Draft")
    return "POST", f"/invoices/{invoice['id']}/actions/post", None, None


def _get_invoice(bench: Bench) -> Request:
    return "GET", f"/invoices/{_invoice(bench)['id']}", None, None


def _large(bench: Bench) -> int:
    return 3 if bench.smoke else 300


def _get_large_invoice(bench: Bench) -> Request:
    return "GET", f"/invoices/{_invoice(bench, ['10.00'] * _large(bench))['id']}", None, None


def _apply_between_large(bench: Bench) -> Request:
    account, lines = new_account(), _large(bench)
    invoice = bench.fixtures.invoice(account, ["10.00"] * lines, level="InvoiceLine")
    memo = bench.fixtures.memo(account, ["10.00"] * lines)
    body = {"applications": [{"invoiceId": invoice["id"], "amount": "10.00"}]}
    return "POST", f"/credit-memos/{memo['id']}/actions/apply", body, None


def _list_invoices(bench: Bench) -> Request:
    invoice = _invoice(bench)
    return "GET", "/invoices", None, {"billingAccountId": invoice["billingAccountId"], "limit": 25}


def _invoice_applications(bench: Bench) -> Request:
    memo, invoice = _pair(bench)
    bench.fixtures.apply(memo["id"], invoice["id"], "5.00")
    return "GET", f"/invoices/{invoice['id']}/applications", None, None


def _create_memo(bench: Bench) -> Request:
    from infra.bench.context import memo_body

    return "POST", "/credit-memos", memo_body(new_account(), ["30.00", "10.00"]), None


def _post_memo(bench: Bench) -> Request:
    memo = bench.fixtures.memo(new_account(), ["30.00"], status="Draft")
    return "POST", f"/credit-memos/{memo['id']}/actions/post", None, None


def _void_memo(bench: Bench) -> Request:
    memo = bench.fixtures.memo(new_account(), ["30.00"])
    return "POST", f"/credit-memos/{memo['id']}/actions/void", None, None


def _get_memo(bench: Bench) -> Request:
    memo = bench.fixtures.memo(new_account(), ["30.00"])
    return "GET", f"/credit-memos/{memo['id']}", None, None


def _list_memos(bench: Bench) -> Request:
    memo = bench.fixtures.memo(new_account(), ["30.00"])
    return "GET", "/credit-memos", None, {"billingAccountId": memo["billingAccountId"], "limit": 25}


def _apply(bench: Bench) -> Request:
    memo, invoice = _pair(bench)
    body = {"applications": [{"invoiceId": invoice["id"], "amount": "25.00"}]}
    return "POST", f"/credit-memos/{memo['id']}/actions/apply", body, None


def _apply_line(bench: Bench) -> Request:
    memo, invoice = _pair(bench, level="InvoiceLine")
    line = memo["lines"][0]["id"]
    body = {
        "applications": [
            {"invoiceId": invoice["id"], "invoiceLineId": invoice["lines"][0]["id"], "amount": "10.00"}
        ]
    }
    return "POST", f"/credit-memos/{memo['id']}/lines/{line}/actions/apply", body, None


def _unapply(bench: Bench) -> Request:
    memo, invoice = _pair(bench)
    applied = bench.fixtures.apply(memo["id"], invoice["id"], "5.00")
    record = applied["applications"][0]["id"]
    return "POST", f"/credit-memo-applications/{record}/actions/unapply", {}, None


def _unapply_line(bench: Bench) -> Request:
    memo, invoice = _pair(bench, level="InvoiceLine")
    applied = bench.fixtures.apply(memo["id"], invoice["id"], "5.00")
    record = applied["applications"][0]["id"]
    return "POST", f"/credit-memo-line-applications/{record}/actions/unapply", {}, None


def _credit_invoice(bench: Bench) -> Request:
    invoice = _invoice(bench)
    body = {
        "taxStrategy": "Ignore",
        "invoiceLines": [{"invoiceLineId": invoice["lines"][0]["id"], "amountToCredit": "10.00"}],
    }
    return "POST", f"/invoices/{invoice['id']}/actions/credit", body, None


def _convert(bench: Bench) -> Request:
    invoice = _invoice(bench, ["100.00", "-20.00"])
    return "POST", f"/invoices/{invoice['id']}/actions/convert-to-credit", {}, None


def _record_payment(bench: Bench) -> Request:
    invoice = _invoice(bench)
    body = {"amount": "25.00", "paymentReference": f"wire-{new_key()}"}
    return "POST", f"/invoices/{invoice['id']}/actions/record-payment", body, None


def _reverse_payment(bench: Bench) -> Request:
    invoice = _invoice(bench)
    payment = bench.fixtures.payment(invoice["id"], "25.00", f"wire-{new_key()}")
    return "POST", f"/invoice-payments/{payment['id']}/actions/reverse", {}, None


def _invoice_payments(bench: Bench) -> Request:
    invoice = _invoice(bench)
    bench.fixtures.payment(invoice["id"], "5.00", "wire-1")
    return "GET", f"/invoices/{invoice['id']}/payments", None, None


def _refund(bench: Bench) -> Request:
    memo = bench.fixtures.memo(new_account(), ["30.00"])
    body = {"amount": "25.00", "refundReference": f"ach-{new_key()}"}
    return "POST", f"/credit-memos/{memo['id']}/actions/refund", body, None


def _reverse_refund(bench: Bench) -> Request:
    memo = bench.fixtures.memo(new_account(), ["30.00"])
    refund = bench.fixtures.refund(memo["id"], "25.00", f"ach-{new_key()}")
    return "POST", f"/credit-memo-refunds/{refund['id']}/actions/reverse", {}, None


def _memo_refunds(bench: Bench) -> Request:
    memo = bench.fixtures.memo(new_account(), ["30.00"])
    bench.fixtures.refund(memo["id"], "5.00", "ach-1")
    return "GET", f"/credit-memos/{memo['id']}/refunds", None, None


SCENARIOS = [
    Scenario("create invoice", _create_invoice, 1, "1 conditional put"),
    Scenario("post invoice", _post_invoice, 2, "1 consistent read + 1 conditional put"),
    Scenario("get invoice", _get_invoice, 1, "1 consistent read", mutation=False),
    Scenario(
        "get invoice (300 lines)",
        _get_large_invoice,
        2,
        "1 consistent read of the header and first line chunk, 1 of the chunks the header names",
        mutation=False,
    ),
    Scenario("list invoices (1 page)", _list_invoices, 1, "1 query", mutation=False),
    Scenario(
        "invoice application history",
        _invoice_applications,
        2,
        "1 read (404 vs empty history) + 1 query",
        mutation=False,
    ),
    Scenario("create credit memo", _create_memo, 1, "1 conditional put"),
    Scenario("post credit memo", _post_memo, 2, "1 consistent read + 1 conditional put"),
    Scenario("void credit memo", _void_memo, 2, "1 consistent read + 1 conditional put"),
    Scenario("get credit memo", _get_memo, 1, "1 consistent read", mutation=False),
    Scenario("list credit memos (1 page)", _list_memos, 1, "1 query", mutation=False),
    Scenario("apply (invoice level)", _apply, 2, "1 consistent read of memo+invoice + 1 transaction"),
    Scenario("apply line (line level)", _apply_line, 2, "1 consistent read of memo+invoice + 1 transaction"),
    Scenario(
        "apply 10.00 between two 300-line documents",
        _apply_between_large,
        3,
        "1 consistent read of both headers and first chunks, 1 of their other chunks, 1 transaction",
    ),
    Scenario(
        "unapply (invoice level)",
        _unapply,
        3,
        "read the entry, then its memo+invoice, + 1 transaction",
    ),
    Scenario(
        "unapply line (line level)",
        _unapply_line,
        3,
        "read the entry, then its memo+invoice, + 1 transaction",
    ),
    Scenario("credit invoice (create + apply)", _credit_invoice, 2, "1 consistent read + 1 transaction"),
    Scenario("convert negative lines", _convert, 2, "1 consistent read + 1 transaction"),
    Scenario(
        "record payment",
        _record_payment,
        2,
        "1 consistent read of invoice+reference claim + 1 transaction",
    ),
    Scenario(
        "reverse payment",
        _reverse_payment,
        3,
        "read the payment, then its invoice+claim, + 1 transaction",
    ),
    Scenario(
        "invoice payment records",
        _invoice_payments,
        2,
        "1 read (404 vs empty list) + 1 query",
        mutation=False,
    ),
    Scenario("refund credit memo", _refund, 2, "1 consistent read of memo+reference claim + 1 transaction"),
    Scenario("reverse refund", _reverse_refund, 3, "read the refund, then its memo+claim, + 1 transaction"),
    Scenario(
        "credit memo refund records",
        _memo_refunds,
        2,
        "1 read (404 vs empty list) + 1 query",
        mutation=False,
    ),
]


def _measure(bench: Bench, recorder: Recorder, request: Request, key: str | None) -> dict[str, Any]:
    method, path, body, query = request
    prepared = bench.api.prepare(method, path, body, key=key, query=query)
    recorder.reset()
    result = bench.api.send(prepared)
    if not 200 <= result.status < 300:
        raise RuntimeError(f"{method} {path} answered {result.status}: {result.body}")
    summary = recorder.summary()
    summary["calls"] = describe_calls(recorder.calls)
    summary["status"] = result.status
    summary["replayed"] = result.headers.get("Idempotent-Replayed") == "true"
    return summary


def run(bench: Bench) -> Section:
    started = time.perf_counter()
    section = Section(
        "round_trips",
        "1. DynamoDB requests per operation (botocore hooks) vs the floor",
        [
            ("operation", "operation"),
            ("calls", "requests made [items]"),
            ("requests", "requests"),
            ("floor", "floor"),
            ("at_floor", "at floor"),
            ("key_extra_requests", "+key: requests"),
            ("key_extra_items", "+key: items r/w"),
            ("replay", "replay requests"),
            ("rcu", "RCU"),
            ("wcu", "WCU"),
        ],
    )
    client = bench.service_client()
    with Recorder(client, capacity=True) as recorder:
        for scenario in SCENARIOS:
            plain = _measure(bench, recorder, scenario.setup(bench), None)
            row: dict[str, Any] = {
                "operation": scenario.name,
                "calls": plain["calls"],
                "requests": plain["requests"],
                "floor": scenario.floor,
                "floor_text": scenario.floor_text,
                "at_floor": plain["requests"] <= scenario.floor,
                "rcu": plain["read_units"],
                "wcu": plain["write_units"],
                "without_key": plain,
            }
            if scenario.mutation:
                request = scenario.setup(bench)
                key = new_key()
                keyed = _measure(bench, recorder, request, key)
                replay = _measure(bench, recorder, request, key)
                if not replay["replayed"]:
                    raise RuntimeError(f"{scenario.name}: the repeated request was not a replay")
                row.update(
                    key_extra_requests=f"{keyed['requests'] - plain['requests']:+d}",
                    key_extra_items=(
                        f"{keyed['items_read'] - plain['items_read']:+d}/"
                        f"{keyed['items_written'] - plain['items_written']:+d}"
                    ),
                    key_calls=keyed["calls"],
                    replay=f"{replay['requests']} ({replay['calls']})",
                    with_key=keyed,
                    replay_detail=replay,
                )
            section.rows.append(row)
    missed = [r["operation"] for r in section.rows if not r["at_floor"]]
    section.notes += [
        "requests: API calls the handler made, each with the items it asked for or wrote; "
        "floor: the fewest the operation needs (its floor_text is in the JSON).",
        "+key: what an Idempotency-Key adds (requests, items read/written): the key is read in the "
        "same BatchGetItem as the documents and its record written in the same transaction, so a "
        "mutation that reads documents pays no extra request; a create reads only the key.",
        "replay: the same request and key again: one read returns the stored response.",
        "RCU/WCU: DynamoDB Local's accounting without a key (ReturnConsumedCapacity=TOTAL); "
        "transactions cost 2x.",
    ]
    if missed:
        section.notes.append("above the floor: " + ", ".join(missed))
    section.seconds = time.perf_counter() - started
    return section
