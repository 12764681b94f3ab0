"""Keep the account summary: the table's stream in, the summary's items out (docs/design.md
"Account summary").

Triggered by the table's stream (NEW_IMAGE), filtered by the event source mapping to the header
items of invoices and credit memos (``entity`` Invoice or CreditMemo). Of each document the batch
holds, only its newest state is applied (``domain.summary.newest_states``): one consistent read of
what the document contributes now, then one transaction that replaces that contribution and adds
the difference to its account's totals (``SummaryStore.apply``). An older or repeated state is
skipped, so retries, replays and out-of-order records never count twice.

A document whose change cannot be applied (throttled, conflicting, after ``MAX_APPLY_ATTEMPTS``)
has its records reported in ``batchItemFailures``: Lambda retries the batch from the first of them,
and the changes already applied are skipped then. Order between documents does not matter.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from credit_memos.adapters.dynamodb.summary_store import SummaryStore, state_from_image
from credit_memos.api import runtime
from credit_memos.api.observability import logger, metrics, tracer
from credit_memos.domain.summary import DocumentState, newest_states
from credit_memos.settings import get_settings


@lru_cache(maxsize=1)
def get_store() -> SummaryStore:
    return SummaryStore(runtime.get_dynamodb_client(), get_settings().table_name)


def handle(event: dict[str, Any], store: SummaryStore) -> dict[str, Any]:
    """Apply a stream batch; the partial batch response (records of documents not applied)."""
    states: list[DocumentState] = []
    sequences: dict[str, list[str]] = {}  # document key -> its records' sequence numbers
    for record in event.get("Records") or []:
        stream = record.get("dynamodb") or {}
        image = stream.get("NewImage")
        if record.get("eventName") == "REMOVE" or not image:
            continue
        state = state_from_image(image, stream.get("ApproximateCreationDateTime"))
        if state is None:
            continue
        states.append(state)
        sequences.setdefault(state.document_key, []).append(str(stream.get("SequenceNumber", "")))
    applied = skipped = 0
    failures: list[dict[str, str]] = []
    for state in newest_states(states):
        try:
            if store.apply(state):
                applied += 1
            else:
                skipped += 1
        except Exception as error:
            logger.warning(
                "summary change not applied",
                extra={
                    "document": state.document_key,
                    "version": state.version,
                    "error_type": type(error).__name__,
                    "reason": str(error),
                },
            )
            failures += [{"itemIdentifier": s} for s in sequences[state.document_key]]
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
