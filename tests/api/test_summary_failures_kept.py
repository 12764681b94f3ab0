"""A summary batch the consumer gave up on stays repairable after the stream let its records go
(moto): the consumer keeps each failed record's account, and ``resummarize --from-queue`` uses it."""

from __future__ import annotations

import json
import sys
from typing import Any

import boto3
import pytest
from credit_memos.adapters.dynamodb.summary_store import SummaryStore

from infra import resummarize
from tests.api import test_operator_commands as operator
from tests.api.test_operator_commands import ACCOUNT, REGION, STACK, Aws, batch_info, invoice, receivable
from tests.harness import TABLE_NAME, Api, handler_for

# The operator command tests' fixture: moto's table, stream and the stack's queues.
aws = operator.aws


class Throttled(SummaryStore):
    """The summary store, every apply refused (a throttled table)."""

    def apply(self, states: Any) -> tuple[int, int]:
        raise RuntimeError("ProvisionedThroughputExceededException")


def test_a_failed_batch_is_repaired_from_the_kept_accounts_once_its_records_are_gone(
    aws: Aws, api: Api, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(resummarize, "RECEIVE_WAIT_SECONDS", 0)
    invoice(api, "10.00")
    headers = [r for r in aws.stream_records() if r["dynamodb"]["NewImage"]["entity"]["S"] == "Invoice"]
    handler_for("SummarizeAccountsFunction")
    consumer = sys.modules["_test_lambda_summarize_accounts"]
    client = boto3.client("dynamodb", region_name=REGION)

    response = consumer.handle({"Records": headers}, Throttled(client, TABLE_NAME, sleep=lambda _: None))

    assert len(response["batchItemFailures"]) == len(headers)
    assert receivable(ACCOUNT) is None
    # Lambda gives up; the queue gets the batch's position, on a stream that no longer has it.
    gone = batch_info(headers, stream_arn=headers[0]["eventSourceARN"].replace(TABLE_NAME, "expired"))
    aws.sqs.send_message(QueueUrl=aws.failure_queue, MessageBody=json.dumps(gone))

    assert resummarize.main(["--from-queue", "--stack-name", STACK]) == 0

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["billingAccountIds"] for line in lines if line.get("deleted")] == [[ACCOUNT]]
    assert receivable(ACCOUNT) == "10.00"
    assert aws.queued(aws.failure_queue) == 0


def test_the_reconciler_finds_a_summary_that_differs_from_its_documents(
    aws: Aws, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gzip
    from datetime import UTC, datetime

    from credit_memos.adapters import summary_reconcile

    monkeypatch.setattr(summary_reconcile, "CONFIRM_AFTER_SECONDS", 0)
    invoice(api, "10.00")
    records = aws.stream_records()
    headers = [r for r in records if r["dynamodb"]["NewImage"]["entity"]["S"] == "Invoice"]
    handler_for("SummarizeAccountsFunction")
    consumer = sys.modules["_test_lambda_summarize_accounts"]
    client = boto3.client("dynamodb", region_name=REGION)
    assert consumer.handle({"Records": headers}, SummaryStore(client, TABLE_NAME)) == {
        "batchItemFailures": []
    }
    # The archive's newest object names the account: the reconciler's sample.
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="archive")
    key = f"changes/{datetime.now(UTC):%Y/%m/%d/%H}/archive-1.gz"
    s3.put_object(
        Bucket="archive",
        Key=key,
        Body=gzip.compress("\n".join(json.dumps(r, default=str) for r in records).encode()),
    )
    monkeypatch.setenv("ARCHIVE_BUCKET_NAME", "archive")
    from credit_memos.settings import get_settings

    get_settings.cache_clear()
    handler_for("ReconcileSummariesFunction")
    reconciler = sys.modules["_test_lambda_reconcile_summaries"]

    assert reconciler.run({}, s3=s3, dynamodb=client) == {"accounts": [ACCOUNT], "differences": {}}

    # Drift: the kept totals no longer match the documents.
    client.update_item(
        TableName=TABLE_NAME,
        Key={"pk": {"S": f"ACCOUNT#{ACCOUNT}"}, "sk": {"S": "SUMMARY"}},
        UpdateExpression="SET currencies = :none",
        ExpressionAttributeValues={":none": {"L": []}},
    )
    report = reconciler.run({"accounts": [ACCOUNT]}, dynamodb=client)

    get_settings.cache_clear()  # the bucket set here is this test's only

    assert list(report["differences"]) == [ACCOUNT]
    assert "USD" in report["differences"][ACCOUNT][0]
