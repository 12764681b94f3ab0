"""The account summary converges exactly to the sums over the documents, on DynamoDB Local, with
the table's real stream.

Random operations (create and post invoices and memos, apply, unapply, void, credit an invoice)
run through the service's handlers while SummarizeAccountsFunction's handler is fed the stream
records DynamoDB Local recorded: by a poller in stream order (as Lambda would), and at the same
time by threads that deliver random samples of the records already seen, shuffled, duplicated and
out of order (retried batches, replays, another shard's lag). Once the writes stop and the poller
is quiescent, everything is replayed once more in reverse order, and each account's summary must
equal, to the last digit, what its documents (listed through the API) add up to.
"""

from __future__ import annotations

import random
import sys
import threading
from decimal import Decimal
from typing import Any

import pytest
from credit_memos.adapters.dynamodb.summary_store import SummaryStore
from credit_memos.money import format_amount

from infra.local.dynamodb_local import dynamodb_client
from infra.local.streams import StreamPoller, StreamReader, stream_mappings, streams_client
from tests.harness import Api, handler_for, template
from tests.integration.support import all_pages, service_environment

pytestmark = pytest.mark.integration

ACCOUNTS = ("acct-sum-a", "acct-sum-b")
CURRENCIES = ("USD", "EUR")
OPERATIONS = 160
CHAOS_THREADS = 3


class Documents:
    """What the random operations created, to pick the next operation's targets from."""

    def __init__(self) -> None:
        self.invoices: list[dict[str, Any]] = []
        self.memos: list[dict[str, Any]] = []
        self.applications: list[str] = []
        self.payments: list[str] = []


def _amount(rng: random.Random) -> str:
    return f"{rng.randint(1, 20000) / 100:.2f}"


def random_operation(api: Api, rng: random.Random, docs: Documents) -> int:
    """One operation on random documents; its status (a refusal is fine, never a 500)."""
    account, currency = rng.choice(ACCOUNTS), rng.choice(CURRENCIES)
    kind = rng.choices(
        ["invoice", "memo", "post", "apply", "unapply", "void", "credit", "pay", "reverse"],
        weights=[5, 5, 2, 6, 3, 2, 2, 3, 1],
    )[0]
    if kind == "invoice" or not docs.invoices:
        lines = [{"chargeAmount": _amount(rng)} for _ in range(rng.randint(1, 3))]
        status = rng.choice(["Posted", "Posted", "Draft"])
        r = api.post(
            "/invoices", {"billingAccountId": account, "currency": currency, "status": status, "lines": lines}
        )
        if r.status == 201:
            docs.invoices.append(r.body)
        return r.status
    if kind == "memo" or not docs.memos:
        body = {
            "billingAccountId": account,
            "currency": currency,
            "type": rng.choice(["Posted", "Posted", "Draft"]),
            "charges": [{"chargeAmount": _amount(rng), "productName": "p"}],
        }
        r = api.post("/credit-memos", body)
        if r.status == 201:
            docs.memos.append(r.body)
        return r.status
    if kind == "post":
        if rng.random() < 0.5:
            return api.post(f"/invoices/{rng.choice(docs.invoices)['id']}/actions/post", {}).status
        return api.post(f"/credit-memos/{rng.choice(docs.memos)['id']}/actions/post", {}).status
    if kind == "apply":
        memo = rng.choice(docs.memos)
        same = [
            i
            for i in docs.invoices
            if (i["billingAccountId"], i["currency"]) == (memo["billingAccountId"], memo["currency"])
        ]
        if not same:
            return 0
        invoice = rng.choice(same)
        amount = f"{rng.randint(1, 5000) / 100:.2f}"
        r = api.post(
            f"/credit-memos/{memo['id']}/actions/apply",
            {"applications": [{"invoiceId": invoice["id"], "amount": amount}]},
        )
        if r.status == 200:
            docs.applications += [a["id"] for a in r.body["applications"]]
        return r.status
    if kind == "unapply":
        if not docs.applications:
            return 0
        application = docs.applications.pop(rng.randrange(len(docs.applications)))
        return api.post(f"/credit-memo-applications/{application}/actions/unapply", {}).status
    if kind == "pay":  # a payment takes from the invoice balance, so from openReceivable
        invoice = rng.choice(docs.invoices)
        r = api.post(
            f"/invoices/{invoice['id']}/actions/record-payment",
            {"amount": f"{rng.randint(1, 5000) / 100:.2f}", "paymentReference": f"ref-{rng.getrandbits(40)}"},
        )
        if r.status == 201:
            docs.payments.append(r.body["id"])
        return r.status
    if kind == "reverse":
        if not docs.payments:
            return 0
        payment = docs.payments.pop(rng.randrange(len(docs.payments)))
        return api.post(f"/invoice-payments/{payment}/actions/reverse", {}).status
    if kind == "void":
        return api.post(f"/credit-memos/{rng.choice(docs.memos)['id']}/actions/void", {}).status
    invoice = rng.choice(docs.invoices)
    full = api.get(f"/invoices/{invoice['id']}").body
    line = rng.choice(full["lines"])
    r = api.post(
        f"/invoices/{invoice['id']}/actions/credit",
        {
            "taxStrategy": "CopyFromInvoiceLine",
            "invoiceLines": [
                {"invoiceLineId": line["id"], "amountToCredit": f"{rng.randint(1, 500) / 100:.2f}"}
            ],
        },
    )
    if r.status == 201:  # a Posted memo, applied to the invoice at once
        docs.memos.append(r.body["creditMemo"])
        docs.applications += [a["id"] for a in r.body["applications"]]
    return r.status


def expected_summary(api: Api, account: str) -> list[dict[str, Any]]:
    """The sums over the account's documents as the API lists them (spec section 8)."""
    sums: dict[str, dict[str, Any]] = {}

    def entry(currency: str) -> dict[str, Any]:
        return sums.setdefault(
            currency, {"credit": Decimal(0), "receivable": Decimal(0), "memos": 0, "invoices": 0}
        )

    for memo in all_pages(api, "/credit-memos", billingAccountId=account):
        if memo["status"] == "Posted":
            e = entry(memo["currency"])
            e["credit"] += Decimal(memo["balance"])
            e["memos"] += 1
    for invoice in all_pages(api, "/invoices", billingAccountId=account):
        if invoice["status"] == "Posted":
            e = entry(invoice["currency"])
            e["receivable"] += Decimal(invoice["balance"])
            e["invoices"] += int(Decimal(invoice["balance"]) > 0)
    return [
        {
            "currency": c,
            "openCredit": format_amount(e["credit"], c),
            "openReceivable": format_amount(e["receivable"], c),
            "postedMemoCount": e["memos"],
            "openInvoiceCount": e["invoices"],
        }
        for c, e in sorted(sums.items())
        if e["credit"] or e["receivable"] or e["memos"] or e["invoices"]
    ]


@pytest.mark.parametrize("seed", [1, 2])
def test_the_summary_converges_to_the_sums_over_the_documents(
    dynamodb_local_endpoint: str, table: str, seed: int
) -> None:
    with service_environment(dynamodb_local_endpoint, table):
        api = Api()
        handler = handler_for("SummarizeAccountsFunction")
        consumer = sys.modules[handler.__module__]
        store = SummaryStore(dynamodb_client(dynamodb_local_endpoint), table)
        (mapping,) = [m for m in stream_mappings(template()) if m.function == "SummarizeAccountsFunction"]
        reader = StreamReader(
            dynamodb_client(dynamodb_local_endpoint), streams_client(dynamodb_local_endpoint), table
        )
        seen: list[dict[str, Any]] = []
        failures: list[Any] = []

        def deliver(event: dict[str, Any]) -> dict[str, Any]:
            seen.extend(event["Records"])
            response: dict[str, Any] = consumer.handle(event, store)
            return response

        def chaos(rng: random.Random, stop: threading.Event) -> None:
            # Unfiltered samples: the consumer itself must ignore what the filter would drop.
            while not stop.is_set():
                if len(seen) < 5:
                    stop.wait(0.02)
                    continue
                sample = [rng.choice(seen) for _ in range(rng.randint(1, 40))]
                rng.shuffle(sample)
                response = consumer.handle({"Records": sample}, store)
                if response["batchItemFailures"]:
                    failures.append(response)

        rng = random.Random(seed)
        poller = StreamPoller(reader, deliver, batch_size=mapping.batch_size, accepts=mapping.accepts).start()
        stop = threading.Event()
        threads = [
            threading.Thread(target=chaos, args=(random.Random(seed * 100 + n), stop))
            for n in range(CHAOS_THREADS)
        ]
        for thread in threads:
            thread.start()
        docs = Documents()
        try:
            statuses = [random_operation(api, rng, docs) for _ in range(OPERATIONS)]
            assert 500 not in statuses and 502 not in statuses
            assert poller.wait_idle(120), "the stream never went quiet"
        finally:
            stop.set()
            for thread in threads:
                thread.join()
            poller.stop()
        assert not failures, failures[:3]
        # Everything once more, newest first (the worst order), one record a batch (a batch keeps
        # only each document's newest state, which would hide the order): nothing may move.
        for record in reversed(seen):
            assert consumer.handle({"Records": [record]}, store) == {"batchItemFailures": []}

        for account in ACCOUNTS:
            summary = api.get(f"/billing-accounts/{account}/summary").body
            assert summary["currencies"] == expected_summary(api, account), account
            assert summary["asOf"] is not None
        assert statuses.count(200) + statuses.count(201) > OPERATIONS // 2
