"""Check docs/api.md section 2's invariants on the documents changed since the last run (scheduled).

Read-only but for its checkpoint item: the change archive's objects after the checkpoint name the
documents changed since (``credit_memos.adapters.invariant_check``); each is read consistently with
its application history and checked (``credit_memos.domain.invariants``). Every violation is logged
at ERROR and counted in the metric ``InvariantViolations`` (alarm: template.yaml
``InvariantViolationsAlarm``). Returns the run's report. ``python -m infra.check_invariants`` does
the same from an operator's machine.
"""

from __future__ import annotations

from typing import Any

import credit_memos
from aws_lambda_powertools.metrics import MetricUnit
from credit_memos.adapters.aws import S3, create_client
from credit_memos.adapters.dynamodb.repository import DynamoDbRepository
from credit_memos.adapters.invariant_check import ArchiveChanges, Checkpoints, run_check
from credit_memos.api import runtime
from credit_memos.api.observability import logger, metrics, tracer
from credit_memos.settings import get_settings


def check(s3: Any = None, dynamodb: Any = None) -> dict[str, Any]:
    settings = get_settings()
    if not settings.archive_bucket_name:
        raise RuntimeError("ARCHIVE_BUCKET_NAME is not set: the checker has no archive to read")
    if s3 is None:
        from botocore.config import Config

        s3 = create_client(
            S3, region=settings.region, endpoint_url=None, config=Config(retries={"mode": "standard"})
        )
    client = dynamodb if dynamodb is not None else runtime.get_dynamodb_client()
    report = run_check(
        DynamoDbRepository(client, settings.table_name),
        ArchiveChanges(s3, settings.archive_bucket_name),
        Checkpoints(client, settings.table_name),
    )
    metrics.add_metric(name="InvariantViolations", unit=MetricUnit.Count, value=len(report.violations))
    metrics.add_metric(name="DocumentsChecked", unit=MetricUnit.Count, value=report.documents)
    logger.info("invariants checked", extra={k: v for k, v in report.as_dict().items() if k != "violations"})
    return report.as_dict()


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return check()


credit_memos.end_of_init()  # the collector as it was before init (credit_memos/__init__.py)
