"""Bursts of concurrent clients against the local server (``make run``): none is reset or gets a 5xx.

The server runs the real ``template.yaml`` functions on an in-memory DynamoDB Local, each container in
its own worker process; 64 clients released together apply credit to one invoice, each over its own
new connection. Needs Java (DynamoDB Local); skipped without it.
"""

from __future__ import annotations

import os
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from infra.bench.contention import check_invariants
from infra.bench.context import invoice_body, memo_body, new_account, new_key
from infra.bench.local_server import Request, burst, running_server, summarize
from infra.local.create_tables import create_tables
from infra.local.dynamodb_local import DynamoDBLocal, java_executable
from infra.local.template import Template

CLIENTS = 64
LOST_RACE = {"INSUFFICIENT_BALANCE", "CONCURRENT_UPDATE"}
FIXTURES = Path(__file__).parent / "fixtures"

pytestmark = pytest.mark.integration


def test_64_clients_apply_credit_to_one_invoice_through_the_local_server() -> None:
    if java_executable() is None:
        pytest.skip("java is not installed")
    template = Template.load()
    with DynamoDBLocal(in_memory=True) as ddb:
        create_tables(ddb.endpoint_url, template, log=lambda _: None)
        with running_server(template, ddb.endpoint_url) as (server, http):
            account = new_account("burst")
            invoice = http.ok("POST", "/invoices", invoice_body(account, ["400.00"]))
            memos = [http.ok("POST", "/credit-memos", memo_body(account, ["10.00"])) for _ in range(CLIENTS)]
            body = {"applications": [{"invoiceId": invoice["id"], "amount": "10.00"}]}
            per_client = [
                [Request("POST", f"/credit-memos/{memo['id']}/actions/apply", body, new_key())]
                for memo in memos
            ]

            by_client, _ = burst(http, per_client)

            outcomes = [o for client in by_client for o in client]
            counts = summarize(outcomes)
            assert (counts["client_errors"], counts["server_errors"]) == (0, 0), Counter(
                o.code for o in outcomes
            )
            assert all(o.code == "ok" or (o.status == 409 and o.code in LOST_RACE) for o in outcomes)
            applied = counts["ok"]
            assert 0 < applied <= 40  # 64 x 10.00 asked of 400.00: never overdrawn
            assert check_invariants(http, invoice, memos, applied) == []
            after = http.ok("GET", f"/invoices/{invoice['id']}")
            assert Decimal(after["balance"]) == Decimal("400.00") - Decimal("10.00") * applied
            applying = server.api.pools["ApplyCreditMemoFunction"].pids()
            assert 1 < len(applying) <= server.api.max_concurrency  # in parallel, within the limit
            pids = server.api.container_pids()
    for pid in pids:  # the containers stopped with the server
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
