"""Reconcile a sample of account summaries with their documents (scheduled, read-only).

The accounts of the documents in the change archive's newest objects, a few at random, are
recomputed from their documents and compared with the summary the stream consumer keeps
(``credit_memos.adapters.summary_reconcile``). Every difference still there after a pause is logged
at ERROR and counted in the metric ``SummaryDifferences`` (alarm: template.yaml
``SummaryDifferencesAlarm``); ``python -m infra.resummarize ACCOUNT`` repairs it. ``{"accounts":
[...]}`` as the event reconciles those accounts instead of a sample.
"""

from __future__ import annotations

from typing import Any

import credit_memos
from aws_lambda_powertools.metrics import MetricUnit
from credit_memos.adapters.aws import S3, create_client
from credit_memos.adapters.dynamodb.repository import DynamoDbRepository
from credit_memos.adapters.dynamodb.summary_store import SummaryStore
from credit_memos.adapters.summary_reconcile import reconcile, sample_accounts
from credit_memos.api import runtime
from credit_memos.api.observability import logger, metrics, tracer
from credit_memos.settings import get_settings


def run(event: dict[str, Any], s3: Any = None, dynamodb: Any = None) -> dict[str, Any]:
    settings = get_settings()
    client = dynamodb if dynamodb is not None else runtime.get_dynamodb_client()
    accounts = [str(a) for a in (event or {}).get("accounts") or []]
    if not accounts:
        if not settings.archive_bucket_name:
            raise RuntimeError("ARCHIVE_BUCKET_NAME is not set: no archive to sample accounts from")
        if s3 is None:
            from botocore.config import Config

            config = Config(retries={"mode": "standard"})
            s3 = create_client(S3, region=settings.region, endpoint_url=None, config=config)
        accounts = sample_accounts(s3, settings.archive_bucket_name)
    report = reconcile(
        DynamoDbRepository(client, settings.table_name), SummaryStore(client, settings.table_name), accounts
    )
    for account, found in report.differences.items():
        logger.error(
            "summary differs from its documents", extra={"billing_account_id": account, "differences": found}
        )
    metrics.add_metric(name="SummaryDifferences", unit=MetricUnit.Count, value=len(report.differences))
    metrics.add_metric(name="SummariesReconciled", unit=MetricUnit.Count, value=len(report.accounts))
    return report.as_dict()


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run(event)


credit_memos.end_of_init()  # the collector as it was before init (credit_memos/__init__.py)
