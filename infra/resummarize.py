"""Re-apply a billing account's documents to its summary: ``python -m infra.resummarize ACCOUNT...``.

The account summary is kept from the table's stream (docs/design.md "Account summary"); a stream
batch the consumer gave up on (SummarizeAccountsFailureQueue) leaves the documents it named at an
older contribution until their next change. This lists the account's invoices and memos (the list
index), reads each one from the table (consistent, for its version) and applies its current state
exactly as the consumer would: a document already applied at that version is skipped, so it is safe
to run at any time, and again, while the consumer runs. ``TABLE_NAME`` and ``DYNAMODB_ENDPOINT_URL``
(or AWS) as for ``infra.replay``. Prints ``{"billingAccountId", "documents", "applied", "skipped"}``
per account.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from typing import Any

from credit_memos.adapters.dynamodb.client import create_client
from credit_memos.adapters.dynamodb.repository import DynamoDbRepository
from credit_memos.adapters.dynamodb.summary_store import MAX_GROUP, SummaryStore, document_state
from credit_memos.domain.summary import DocumentState, account_groups
from credit_memos.limits import MAX_PAGE_SIZE
from credit_memos.settings import Settings


def _states(repository: DynamoDbRepository, account: str) -> Iterator[DocumentState]:
    for kind in ("invoice", "memo"):
        token: str | None = None
        while True:
            if kind == "invoice":
                page = repository.list_invoices(account, None, MAX_PAGE_SIZE, token)
            else:
                page = repository.list_credit_memos(account, None, MAX_PAGE_SIZE, token)
            ids = [doc.id for doc in page.items]
            snapshot = repository.read(
                invoice_ids=ids if kind == "invoice" else (), memo_ids=ids if kind == "memo" else ()
            )
            yield from (document_state(invoice) for invoice in snapshot.invoices.values())
            yield from (document_state(memo) for memo in snapshot.memos.values())
            token = page.next_token
            if token is None:
                break


def resummarize(repository: DynamoDbRepository, store: SummaryStore, account: str) -> dict[str, Any]:
    states = list(_states(repository, account))
    applied = skipped = 0
    for group in account_groups(states, MAX_GROUP):
        done, stale = store.apply(group)
        applied, skipped = applied + done, skipped + stale
    return {"billingAccountId": account, "documents": len(states), "applied": applied, "skipped": skipped}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.resummarize", description=__doc__.splitlines()[0])
    parser.add_argument("accounts", nargs="+", metavar="ACCOUNT", help="billing account ids")
    parser.add_argument("--table", help="table name (default: TABLE_NAME)")
    args = parser.parse_args(argv)
    environ = dict(os.environ)
    if args.table:
        environ["TABLE_NAME"] = args.table
    settings = Settings.from_environment(environ)
    client = create_client(settings.dynamodb_endpoint_url, settings.region)
    repository = DynamoDbRepository(client, settings.table_name)
    store = SummaryStore(client, settings.table_name)
    for account in args.accounts:
        print(json.dumps(resummarize(repository, store, account)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
