"""The operator commands (infra.replay, infra.resummarize, infra.migrate) on moto: what they act on
comes from a stack or the command line and never from a default, a dry run writes nothing, a
stopped run resumes from its checkpoint, and resummarize repairs what the failure queue names.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from credit_memos.adapters.dynamodb.summary_store import SummaryStore

from infra import migrate, operator_target, replay, resummarize
from infra.progress import Progress
from infra.summary_failures import NotReadable, accounts_of
from tests.harness import TABLE_NAME, Api

REGION = "us-east-1"
STACK = "credit-memos-ops"
BUS = "credit-memos-ops-bus"
ACCOUNT, OTHER = "acct-ops-1", "acct-ops-2"


class Aws:
    """The stack's resources on moto: its outputs name the table the tests use, a bus whose
    deliveries a queue observes, and the summary consumer's failure queues."""

    def __init__(self) -> None:
        self.dynamodb = boto3.client("dynamodb", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        events = boto3.client("events", region_name=REGION)
        events.create_event_bus(Name=BUS)
        self.observed = self.sqs.create_queue(QueueName="observed")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.observed, AttributeNames=["QueueArn"])
        events.put_rule(Name="all", EventBusName=BUS, EventPattern=json.dumps({"source": ["credit-memos"]}))
        events.put_targets(
            Rule="all", EventBusName=BUS, Targets=[{"Id": "q", "Arn": arn["Attributes"]["QueueArn"]}]
        )
        stack = {
            "Resources": {
                "SummarizeAccountsFailureQueue": {"Type": "AWS::SQS::Queue"},
                "SummarizeAccountsFailureDeadLetterQueue": {"Type": "AWS::SQS::Queue"},
            },
            "Outputs": {
                "TableName": {"Value": TABLE_NAME},
                "EventBusName": {"Value": BUS},
                "SummarizeAccountsFailureQueueUrl": {"Value": {"Ref": "SummarizeAccountsFailureQueue"}},
            },
        }
        cloudformation = boto3.client("cloudformation", region_name=REGION)
        cloudformation.create_stack(StackName=STACK, TemplateBody=json.dumps(stack))
        outputs = cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]["Outputs"]
        self.failure_queue = next(
            o["OutputValue"] for o in outputs if o["OutputKey"] == "SummarizeAccountsFailureQueueUrl"
        )
        self.dead_letter_queue = cloudformation.describe_stack_resource(
            StackName=STACK, LogicalResourceId="SummarizeAccountsFailureDeadLetterQueue"
        )["StackResourceDetail"]["PhysicalResourceId"]

    def delivered(self) -> int:
        count = 0
        while messages := self.sqs.receive_message(QueueUrl=self.observed, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            count += len(messages)
            for m in messages:
                self.sqs.delete_message(QueueUrl=self.observed, ReceiptHandle=m["ReceiptHandle"])
        return count

    def queued(self, queue_url: str) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )

    def items(self) -> list[dict[str, Any]]:
        return self.dynamodb.scan(TableName=TABLE_NAME)["Items"]

    def stream_records(self) -> list[dict[str, Any]]:
        arn = self.dynamodb.describe_table(TableName=TABLE_NAME)["Table"]["LatestStreamArn"]
        streams = boto3.client("dynamodbstreams", region_name=REGION)
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records = streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]
        for record in records:
            record["eventSourceARN"], record["shardId"] = arn, shard["ShardId"]
        return records


@pytest.fixture
def aws(moto_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    # Recent botocore sends stream calls to account-based hosts, which moto does not route.
    monkeypatch.setenv(
        "AWS_ENDPOINT_URL_DYNAMODB_STREAMS", f"https://streams.dynamodb.{REGION}.amazonaws.com"
    )
    monkeypatch.delenv("EVENT_BUS_NAME", raising=False)
    yield Aws()


def invoice(api: Api, amount: str, account: str = ACCOUNT) -> dict[str, Any]:
    body = {
        "billingAccountId": account,
        "currency": "USD",
        "status": "Posted",
        "lines": [{"chargeAmount": amount}],
    }
    r = api.post("/invoices", body)
    assert r.status == 201, r
    return r.body  # type: ignore[no-any-return]


def receivable(account: str) -> str | None:
    totals = SummaryStore(boto3.client("dynamodb", region_name=REGION), TABLE_NAME).read(account)
    return None if totals is None else str(totals.currencies["USD"].open_receivable)


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


# ---------------------------------------------------------------- what a command acts on


def resolved(argv: list[str], **needs: bool) -> operator_target.Target:
    import argparse

    parser = argparse.ArgumentParser()
    operator_target.add_arguments(parser, event_bus=needs.get("event_bus", False))
    return operator_target.resolve(parser.parse_args(argv), **needs)


def test_a_stack_names_the_table_the_bus_and_both_failure_queues(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TABLE_NAME", "a-table-left-in-the-shell")
    target = resolved(["--stack-name", STACK], event_bus=True)
    assert (target.table, target.event_bus, target.region) == (TABLE_NAME, BUS, REGION)
    assert target.summary_failure_queues() == [aws.failure_queue, aws.dead_letter_queue]
    # What the command line names wins over the stack.
    assert resolved(["--stack-name", STACK, "--table", "other"]).table == "other"


def test_the_named_profile_s_region_wins_over_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config"
    config.write_text("[profile ops]\nregion = eu-west-1\n[default]\nregion = ap-south-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_REGION", "us-east-2")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    assert resolved(["--profile", "ops", "--table", "t"]).region == "eu-west-1"
    assert resolved(["--table", "t"]).region == "us-east-2"
    assert resolved(["--profile", "ops", "--region", "sa-east-1", "--table", "t"]).region == "sa-east-1"
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    assert resolved(["--table", "t"]).region == "ap-south-1"


@pytest.mark.parametrize(
    ("command", "argv", "says"),
    [
        (replay.main, [], "--stack-name STACK (its TableName output) or --table NAME"),
        (replay.main, ["--table", TABLE_NAME], "--stack-name STACK (its EventBusName output) or --event-bus"),
        (resummarize.main, [ACCOUNT], "--stack-name STACK (its TableName output) or --table NAME"),
        (migrate.main, ["convert"], "--stack-name STACK (its TableName output) or --table NAME"),
        (migrate.main, ["convert", "--stack-name", "no-such-stack"], "stack 'no-such-stack' not found"),
    ],
)
def test_a_command_with_nothing_resolved_refuses_and_says_what_to_pass(
    aws: Aws,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: Any,
    argv: list[str],
    says: str,
) -> None:
    monkeypatch.delenv("TABLE_NAME")
    items = aws.items()
    with pytest.raises(SystemExit) as exit_:
        command(argv)
    assert exit_.value.code == 2
    assert says in capsys.readouterr().err
    assert aws.items() == items


def test_no_region_anywhere_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    with pytest.raises(operator_target.Unresolved, match="--region REGION"):
        resolved(["--table", "t"])


# ---------------------------------------------------------------- dry runs write nothing


def test_replay_dry_run_lists_the_pending_writes_and_publishes_nothing(
    aws: Aws, api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = invoice(api, "1.00"), invoice(api, "2.00")
    items = aws.items()

    assert replay.main(["--stack-name", STACK, "--dry-run"]) == 0
    lines = json_lines(capsys.readouterr().out)
    assert [line["events"][0]["detailType"] for line in lines[:-1]] == ["InvoiceCreated"] * 2
    assert lines[-1]["pending"] == 2 and lines[-1]["eventsPublished"] == 0
    assert aws.delivered() == 0 and aws.items() == items

    assert replay.main(["--stack-name", STACK]) == 0
    assert json_lines(capsys.readouterr().out)[-1]["writesPublished"] == 2
    assert aws.delivered() == 2
    assert first["id"] != second["id"]


def test_resummarize_dry_run_counts_and_writes_nothing(
    aws: Aws, api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    invoice(api, "5.00")
    items = aws.items()
    assert resummarize.main([ACCOUNT, "--stack-name", STACK, "--dry-run"]) == 0
    (line,) = json_lines(capsys.readouterr().out)
    assert line == {"billingAccountId": ACCOUNT, "documents": 1, "wouldApply": 1, "skipped": 0}
    assert aws.items() == items and receivable(ACCOUNT) is None


def test_migrate_dry_run_counts_a_whole_document_and_writes_nothing(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = {"pk": {"S": "INVOICE#inv_whole"}, "sk": {"S": "INVOICE"}, "entity": {"S": "Invoice"}}
    aws.dynamodb.put_item(TableName=TABLE_NAME, Item=whole | {"lines": {"L": []}, "version": {"N": "1"}})
    items = aws.items()
    assert migrate.main(["convert", "--stack-name", STACK, "--dry-run"]) == 0
    assert "would convert 1 documents, 0 entries" in capsys.readouterr().out
    assert aws.items() == items


# ---------------------------------------------------------------- resuming


class PagedScan:
    """A table scanned in pages of one item (what a large table's scan looks like), stopped
    (Ctrl-C) when it reaches ``stop_at``."""

    def __init__(self, count: int, stop_at: int | None = None) -> None:
        self.keys = [{"pk": {"S": f"ENTRY#e{i}"}, "sk": {"S": "ENTRY"}} for i in range(count)]
        self.stop_at = stop_at
        self.starts: list[Any] = []

    def scan(self, **request: Any) -> dict[str, Any]:
        start = request.get("ExclusiveStartKey")
        self.starts.append(start)
        index = 0 if start is None else self.keys.index(start) + 1
        if index == self.stop_at:
            raise KeyboardInterrupt
        small = {"L": [{"M": {"amount": {"S": "1.00"}}}]}  # an entry already in its current form
        item = self.keys[index] | {
            "entity": {"S": "ApplicationEntry"},
            "records": small,
            "version": {"N": "1"},
        }
        response: dict[str, Any] = {"Items": [item], "ScannedCount": 1}
        if index + 1 < len(self.keys):
            response["LastEvaluatedKey"] = self.keys[index]
        return response


def test_migrate_prints_a_checkpoint_and_resumes_after_it() -> None:
    client = PagedScan(4, stop_at=3)
    log = io.StringIO()
    with pytest.raises(KeyboardInterrupt), Progress("convert", 4, stream=log, interval=0) as progress:
        migrate.convert(client, TABLE_NAME, progress=progress)
    token = progress.checkpoint
    assert (
        token is not None
        and f"convert stopped (KeyboardInterrupt); resume with --start-after {token}" in (log.getvalue())
    )
    assert migrate.checkpoint_key(token) == client.keys[2]  # the last page done

    client.starts.clear()
    client.stop_at = None
    migrate.convert(client, TABLE_NAME, start_after=migrate.checkpoint_key(token))
    assert client.starts == [client.keys[2]]  # only the rest was scanned
    with pytest.raises(ValueError, match="checkpoint"):
        migrate.checkpoint_key("not-a-token")


def test_resummarize_resumes_after_the_last_account_done(
    aws: Aws, api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    invoice(api, "3.00", account=OTHER)
    assert resummarize.main(["acct-done", OTHER, "--stack-name", STACK, "--start-after", "acct-done"]) == 0
    assert [line["billingAccountId"] for line in json_lines(capsys.readouterr().out)] == [OTHER]
    assert receivable(OTHER) == "3.00"
    with pytest.raises(SystemExit):
        resummarize.main([OTHER, "--stack-name", STACK, "--start-after", "acct-unknown"])


def test_progress_is_plain_lines_with_the_checkpoint_off_a_terminal() -> None:
    log = io.StringIO()
    clock = iter([0.0, 5.0, 11.0, 11.5])
    progress = Progress("convert", 200, unit="items", stream=log, clock=lambda: next(clock))
    progress.advance(50, checkpoint="t1")  # 5 s: no line yet
    progress.advance(50, checkpoint="t2")  # 11 s: a line
    progress.advance(50)
    assert log.getvalue() == "convert: 100 of 200 items (50%); checkpoint t2\n"
    progress.finish()
    assert log.getvalue().splitlines()[-1] == "convert: 150 of 200 items (75%)"


def test_progress_is_a_bar_redrawn_in_place_on_a_terminal() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    with Progress("resummarize", 4, unit="accounts", stream=screen, interval=0) as progress:
        progress.advance(checkpoint="acct-1")
        progress.note("account acct-2 not repaired: throttled")
        progress.advance(3)
    assert screen.getvalue().split("\r") == [
        "",
        "resummarize: [#######.......................] 1/4 accounts 25%\033[K",
        "\033[Kaccount acct-2 not repaired: throttled\n",
        "resummarize: [##############################] 4/4 accounts 100%\033[K",
        "resummarize: [##############################] 4/4 accounts 100%\033[K\n",
    ]


# ---------------------------------------------------------------- from the failure queue


def batch_info(records: list[dict[str, Any]], stream_arn: str | None = None) -> dict[str, Any]:
    """A failure-queue message as Lambda writes it for a DynamoDB stream batch."""
    first, last = records[0], records[-1]
    return {
        "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": 11},
        "version": "1.0",
        "DDBStreamBatchInfo": {
            "shardId": first["shardId"],
            "startSequenceNumber": first["dynamodb"]["SequenceNumber"],
            "endSequenceNumber": last["dynamodb"]["SequenceNumber"],
            "approximateArrivalOfFirstRecord": "2026-12-06T10:00:00Z",
            "approximateArrivalOfLastRecord": "2026-12-06T10:00:01Z",
            "batchSize": len(records),
            "streamArn": stream_arn or first["eventSourceARN"],
        },
    }


def test_resummarize_from_the_queue_repairs_the_accounts_named_and_deletes_only_their_messages(
    aws: Aws, api: Api, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(resummarize, "RECEIVE_WAIT_SECONDS", 0)  # moto's queue answers at once
    invoice(api, "10.00")
    invoice(api, "4.00", account=OTHER)
    headers = [r for r in aws.stream_records() if r["dynamodb"]["NewImage"]["entity"]["S"] == "Invoice"]
    mine = [r for r in headers if r["dynamodb"]["NewImage"]["billing_account_id"]["S"] == ACCOUNT]
    aws.sqs.send_message(QueueUrl=aws.failure_queue, MessageBody=json.dumps(batch_info(mine)))
    gone = batch_info(mine, stream_arn=mine[0]["eventSourceARN"].replace(TABLE_NAME, "expired"))
    aws.sqs.send_message(QueueUrl=aws.failure_queue, MessageBody=json.dumps(gone))
    aws.sqs.send_message(
        QueueUrl=aws.dead_letter_queue, MessageBody=json.dumps({"billingAccountIds": [OTHER]})
    )

    # A dry run repairs nothing and leaves every message, visible for the next run.
    assert resummarize.main(["--from-queue", "--stack-name", STACK, "--dry-run"]) == 1
    out = capsys.readouterr()
    assert "stream records are gone" in out.err
    assert receivable(ACCOUNT) is None and receivable(OTHER) is None
    assert (aws.queued(aws.failure_queue), aws.queued(aws.dead_letter_queue)) == (2, 1)

    assert resummarize.main(["--from-queue", "--stack-name", STACK]) == 1  # one message is left
    lines = json_lines(capsys.readouterr().out)
    assert (receivable(ACCOUNT), receivable(OTHER)) == ("10.00", "4.00")
    deleted = [line["billingAccountIds"] for line in lines if line.get("deleted")]
    assert sorted(deleted) == [[ACCOUNT], [OTHER]]
    (left,) = [line for line in lines if "left" in line]
    assert "ResourceNotFoundException" in left["left"] and "ACCOUNT..." in left["left"]
    assert (aws.queued(aws.failure_queue), aws.queued(aws.dead_letter_queue)) == (1, 0)


def test_a_message_names_accounts_by_records_or_document_keys(aws: Aws, api: Api) -> None:
    from credit_memos.adapters.dynamodb.repository import DynamoDbRepository

    created = invoice(api, "2.00", account=OTHER)
    repository = DynamoDbRepository(aws.dynamodb, TABLE_NAME)
    records = [r for r in aws.stream_records() if r["dynamodb"]["NewImage"]["entity"]["S"] == "Invoice"]
    assert accounts_of({"Records": records}, streams=None, repository=repository) == {OTHER}
    keys = {"documentKeys": [f"INVOICE#{created['id']}"]}
    assert accounts_of(keys, streams=None, repository=repository) == {OTHER}
    with pytest.raises(NotReadable, match="not found"):
        accounts_of({"documentKeys": ["INVOICE#inv_none"]}, streams=None, repository=repository)
    with pytest.raises(NotReadable, match="DDBStreamBatchInfo"):
        accounts_of({"something": "else"}, streams=None, repository=repository)


def test_records_trimmed_from_the_stream_are_said_to_be_gone() -> None:
    from botocore.stub import Stubber

    streams = boto3.client("dynamodbstreams", region_name=REGION)
    stubber = Stubber(streams)
    stubber.add_client_error("get_shard_iterator", "TrimmedDataAccessException")
    info = {
        "shardId": "shardId-00000001573689847184-864758bb",
        "startSequenceNumber": "800000000003126276362",
        "endSequenceNumber": "800000000003126276370",
        "streamArn": "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026-12-01T00:00:00.000",
    }
    with stubber, pytest.raises(NotReadable, match="gone \\(TrimmedDataAccessException"):
        accounts_of({"DDBStreamBatchInfo": info}, streams=streams, repository=None)  # type: ignore[arg-type]
