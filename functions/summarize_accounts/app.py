"""Keep the account summary: the table's stream in, the summary's items out (docs/design.md
"Account summary").

Triggered by the table's stream (NEW_IMAGE), filtered by the event source mapping to the header
items of invoices and credit memos (``entity`` Invoice or CreditMemo). Of each document the batch
holds, only its newest state is applied, grouped by account (``domain.summary.account_groups``):
per group one consistent read of what its documents contribute now, then one transaction that
replaces those contributions and adds the differences to the account's totals
(``SummaryStore.apply``). An older or repeated state is skipped, so retries, replays and
out-of-order records never count twice.

A group that cannot be applied (throttled, conflicting, after ``MAX_APPLY_ATTEMPTS``) has its
records reported in ``batchItemFailures``: Lambda retries the batch from the first of them, and the
changes already applied are skipped then. Order between documents does not matter. Each record not
applied is also kept as a failure item (sequence number, account, document: ``SummaryStore.
record_failures``), so ``python -m infra.resummarize --from-queue`` still knows which accounts to
repair after the stream has let the batch's records go.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import credit_memos
from aws_lambda_powertools.metrics import MetricUnit
from credit_memos.adapters.dynamodb.summary_store import MAX_GROUP, SummaryStore, state_from_image
from credit_memos.api import runtime
from credit_memos.api.observability import logger, metrics, tracer
from credit_memos.domain.summary import DocumentState, account_groups
from credit_memos.settings import get_settings

# Account groups of one batch applied at the same time (each a read and a transaction).
APPLY_CONCURRENCY = 8


@lru_cache(maxsize=1)
def get_store() -> SummaryStore:
    return SummaryStore(runtime.get_dynamodb_client(), get_settings().table_name)


def _apply(store: SummaryStore, group: list[DocumentState]) -> tuple[int, int] | Exception:
    try:
        return store.apply(group)
    except Exception as error:  # reported as the group's records failed
        return error


def handle(event: dict[str, Any], store: SummaryStore) -> dict[str, Any]:
    """Apply a stream batch; the partial batch response (records of documents not applied)."""
    states: list[DocumentState] = []
    sequences: dict[str, list[str]] = {}  # document key -> its records' sequence numbers
    failures: list[dict[str, str]] = []
    for record in event.get("Records") or []:
        stream = record.get("dynamodb") or {}
        image = stream.get("NewImage")
        if record.get("eventName") == "REMOVE" or not image:
            continue
        try:
            state = state_from_image(image, stream.get("ApproximateCreationDateTime"))
        except (KeyError, TypeError, ValueError, ArithmeticError) as error:
            # A header without the summarized attributes: reported, the batch's others applied.
            logger.warning("stream record not summarized", extra={"error_type": type(error).__name__})
            failures.append({"itemIdentifier": str(stream.get("SequenceNumber", ""))})
            continue
        if state is None:
            continue
        states.append(state)
        sequences.setdefault(state.document_key, []).append(str(stream.get("SequenceNumber", "")))
    groups = account_groups(states, MAX_GROUP)
    applied = skipped = 0
    # Groups are distinct accounts' documents (distinct items): applied at once, for the batch's
    # round trips to overlap rather than add up.
    with ThreadPoolExecutor(max_workers=max(1, min(APPLY_CONCURRENCY, len(groups)))) as pool:
        outcomes = list(pool.map(lambda group: _apply(store, group), groups))
    kept: list[tuple[str, str, str]] = []  # (sequence number, account, document key) not applied
    for group, outcome in zip(groups, outcomes, strict=True):
        if isinstance(outcome, Exception):
            kept += [
                (sequence, state.billing_account_id, state.document_key)
                for state in group
                for sequence in sequences[state.document_key]
                if sequence
            ]
            logger.warning(
                "summary changes not applied",
                extra={
                    "billing_account_id": group[0].billing_account_id,
                    "documents": len(group),
                    "error_type": type(outcome).__name__,
                    "reason": str(outcome),
                },
            )
            failures += [{"itemIdentifier": s} for state in group for s in sequences[state.document_key]]
        else:
            applied, skipped = applied + outcome[0], skipped + outcome[1]
    if kept:
        try:
            store.record_failures(kept, datetime.now(UTC).isoformat(timespec="seconds"))
        except Exception as error:  # the log line above names the accounts all the same
            logger.warning("summary failures not kept", extra={"reason": str(error)})
    metrics.add_metric(name="SummaryChangesApplied", unit=MetricUnit.Count, value=applied)
    metrics.add_metric(name="SummaryChangesSkipped", unit=MetricUnit.Count, value=skipped)
    if failures:
        metrics.add_metric(name="StreamRecordsFailed", unit=MetricUnit.Count, value=len(failures))
    return {"batchItemFailures": failures}


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, get_store())


credit_memos.end_of_init()  # the collector as it was before init (credit_memos/__init__.py)
