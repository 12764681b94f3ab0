"""Reconciling account summaries: recompute a sample of accounts' totals from their documents and
compare them with what the summary consumer keeps.

The sample is the accounts of the documents in the change archive's newest objects (the accounts
that just changed, where drift would come from), a few at random. A difference is read again after
a pause before it counts: the consumer is a few seconds behind the writes.
"""

from __future__ import annotations

import gzip
import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from credit_memos.adapters.dynamodb.summary_store import SummaryStore, document_state
from credit_memos.domain.summary import SUMMARIZED_ENTITIES, AccountTotals, DocumentState, summarize
from credit_memos.limits import MAX_PAGE_SIZE
from credit_memos.ports import Repository

# Accounts one run recomputes, and the newest archive objects it samples them from.
SAMPLE_ACCOUNTS = 20
SAMPLED_OBJECTS = 10
CONFIRM_AFTER_SECONDS = 10.0

# Checks of an account beyond its summary, each returning what differs. The trial balance's check
# (docs/api.md section 11) joins here once the journal exists; until then there is none.
ACCOUNT_CHECKS: tuple[Callable[[Repository, str], list[str]], ...] = ()


def account_states(repository: Repository, account: str) -> Iterator[DocumentState]:
    """The current state of each of the account's invoices and memos (listed, then read consistently)."""
    for kind in ("invoice", "memo"):
        token: str | None = None
        while True:
            if kind == "invoice":
                page = repository.list_invoices(account, None, MAX_PAGE_SIZE, token)
            else:
                page = repository.list_credit_memos(account, None, MAX_PAGE_SIZE, token)
            ids = [doc.id for doc in page.items]
            snapshot = repository.read(
                invoice_ids=ids if kind == "invoice" else (),
                memo_ids=ids if kind == "memo" else (),
                consistent=True,
            )
            yield from (document_state(invoice) for invoice in snapshot.invoices.values())
            yield from (document_state(memo) for memo in snapshot.memos.values())
            token = page.next_token
            if token is None:
                break


def differences(expected: AccountTotals, stored: AccountTotals | None) -> list[str]:
    """What the kept summary gets wrong, per currency (nothing: an empty list)."""
    kept = dict(stored.listed) if stored is not None else {}
    want = dict(expected.listed)
    return [
        f"{code}: kept {kept.get(code)}, documents say {want.get(code)}"
        for code in sorted(set(kept) | set(want))
        if kept.get(code) != want.get(code)
    ]


@dataclass
class ReconcileReport:
    """The accounts one run recomputed, and what differed for each that still did on a second read."""

    accounts: list[str] = field(default_factory=list)
    differences: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"accounts": self.accounts, "differences": self.differences}


def _check(repository: Repository, store: SummaryStore, account: str) -> list[str]:
    expected = summarize(account_states(repository, account), account)
    found = differences(expected, store.read(account, consistent=True))
    for extra in ACCOUNT_CHECKS:
        found += extra(repository, account)
    return found


def reconcile(
    repository: Repository,
    store: SummaryStore,
    accounts: list[str],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> ReconcileReport:
    """Recompute each account and report the differences that are still there after a pause."""
    report = ReconcileReport(accounts=sorted(accounts))
    suspects = [a for a in report.accounts if _check(repository, store, a)]
    if suspects:
        sleep(CONFIRM_AFTER_SECONDS)
    for account in suspects:
        if found := _check(repository, store, account):
            report.differences[account] = found
    return report


def sample_accounts(
    s3: Any, bucket: str, *, count: int = SAMPLE_ACCOUNTS, now: datetime | None = None, rng: Any = random
) -> list[str]:
    """A few accounts whose documents are in the archive's newest objects (today's and yesterday's)."""
    now = now or datetime.now(UTC)
    keys: list[str] = []
    for day in (now - timedelta(days=1), now):
        # Plain calls, not a paginator: the layer keeps only the operations' models.
        request: dict[str, Any] = {"Bucket": bucket, "Prefix": f"changes/{day:%Y/%m/%d}/"}
        while True:
            page = s3.list_objects_v2(**request)
            keys += [o["Key"] for o in page.get("Contents", [])]
            if not page.get("IsTruncated"):
                break
            request["ContinuationToken"] = page["NextContinuationToken"]
    accounts: set[str] = set()
    for key in sorted(keys)[-SAMPLED_OBJECTS:]:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        text = (gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body).decode()
        decoder, position = json.JSONDecoder(), 0
        while position < len(text):
            if text[position].isspace():
                position += 1
                continue
            record, position = decoder.raw_decode(text, position)
            image = (record.get("dynamodb") or {}).get("NewImage") or {}
            if image.get("entity", {}).get("S") in SUMMARIZED_ENTITIES and "billing_account_id" in image:
                accounts.add(image["billing_account_id"]["S"])
    ordered = sorted(accounts)
    return sorted(rng.sample(ordered, min(count, len(ordered))))
