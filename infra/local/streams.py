"""The table's stream, locally: read DynamoDB Local's stream (DescribeStream, GetShardIterator,
GetRecords) and hand its records to a stream consumer as Lambda's event source mapping would.

- :class:`StreamReader` returns the records not read before, from every shard, shaped as Lambda
  delivers them (``ApproximateCreationDateTime`` in epoch seconds, ``eventSourceARN``). A new
  reader starts at TRIM_HORIZON: on a persistent ``.local/dynamodb`` it re-reads what the stream
  still holds, which an idempotent consumer (the account summary) skips.
- :func:`matches` applies a template ``FilterCriteria`` pattern (the subset the template uses:
  nested objects whose leaves list the accepted values).
- :class:`StreamPoller` is a thread that polls a reader and passes batches to a callable (the
  local server: a container of the function; tests and ``make bench``: the handler in-process),
  redelivering the records a partial batch response reports failed.

``make run`` runs the stream consumers in ``LOCAL_STREAM_CONSUMERS``: the account summary's. The
event publisher is not run locally (there is no local EventBridge); its outbox stays pending.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config

from infra.local.template import Template

# The stream consumers `make run` runs, by logical id (see the module docstring).
LOCAL_STREAM_CONSUMERS = ("SummarizeAccountsFunction",)
# How long the poller waits when the stream had nothing new (DynamoDB Local keeps records in memory).
IDLE_POLL_S = 0.05
# Deliveries of one failed record before the poller gives up on it (Lambda: MaximumRetryAttempts).
MAX_REDELIVERIES = 10


def streams_client(endpoint_url: str, region: str = "us-east-1") -> Any:
    return boto3.client(
        "dynamodbstreams",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 3, "mode": "standard"}, read_timeout=10, connect_timeout=5),
    )


class StreamReader:
    """The records of one table's stream not yet returned, in each shard's order."""

    def __init__(self, dynamodb: Any, streams: Any, table_name: str) -> None:
        self._streams = streams
        self.stream_arn: str = dynamodb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
        self._iterators: dict[str, str | None] = {}  # shard id -> next iterator (None: closed, read)

    def read(self, limit: int = 1000) -> list[dict[str, Any]]:
        description = self._streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        for shard in description.get("Shards", []):
            shard_id = shard["ShardId"]
            if shard_id not in self._iterators:
                self._iterators[shard_id] = self._streams.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
        records: list[dict[str, Any]] = []
        for shard_id, iterator in list(self._iterators.items()):
            if iterator is None:
                continue
            response = self._streams.get_records(ShardIterator=iterator, Limit=limit)
            self._iterators[shard_id] = response.get("NextShardIterator")
            records += [self._lambda_shape(record) for record in response.get("Records", [])]
        return records

    def _lambda_shape(self, record: dict[str, Any]) -> dict[str, Any]:
        return lambda_stream_record(record, self.stream_arn)


def _as_json(attribute: dict[str, Any]) -> dict[str, Any]:
    """One DynamoDB JSON attribute value as it is sent over the wire: binary base64-encoded."""
    kind, value = next(iter(attribute.items()))
    if kind == "B":
        return {"B": base64.b64encode(value).decode()}
    if kind == "BS":
        return {"BS": [base64.b64encode(v).decode() for v in value]}
    if kind == "M":
        return {"M": {k: _as_json(v) for k, v in value.items()}}
    if kind == "L":
        return {"L": [_as_json(v) for v in value]}
    return attribute


def lambda_stream_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A record GetRecords returned (through boto3) as Lambda's event source mapping delivers it:
    JSON, so the creation time in epoch seconds and binary values base64-encoded (boto3 has
    decoded both), with the stream's ARN."""
    stream = dict(record.get("dynamodb") or {})
    created = stream.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        stream["ApproximateCreationDateTime"] = created.timestamp()
    for image in ("Keys", "NewImage", "OldImage"):
        if image in stream:
            stream[image] = {k: _as_json(v) for k, v in stream[image].items()}
    return {**record, "dynamodb": stream, "eventSourceARN": stream_arn}


def matches(pattern: Any, value: Any) -> bool:
    """Whether ``value`` matches an event-filtering ``pattern``: every key of an object pattern
    matches, a list names the accepted values."""
    if isinstance(pattern, Mapping):
        return isinstance(value, Mapping) and all(
            key in value and matches(sub, value[key]) for key, sub in pattern.items()
        )
    if isinstance(pattern, list):
        return value in pattern
    return bool(pattern == value)


@dataclass(frozen=True)
class StreamMapping:
    """One DynamoDB event source of the template: the consumer, its batch size and its filters."""

    function: str
    table: str  # logical id of the table whose stream it reads
    batch_size: int
    patterns: tuple[Any, ...]  # parsed FilterCriteria patterns; empty: every record

    def accepts(self, record: Mapping[str, Any]) -> bool:
        return not self.patterns or any(matches(p, record) for p in self.patterns)


def stream_mappings(template: Template) -> list[StreamMapping]:
    """Every ``Type: DynamoDB`` event of the template's functions."""
    found = []
    for logical_id, resource in template.resources.items():
        for event in ((resource.get("Properties") or {}).get("Events") or {}).values():
            if event.get("Type") != "DynamoDB":
                continue
            props = event.get("Properties") or {}
            stream = props.get("Stream") or {}
            table = (stream.get("Fn::GetAtt") or [""])[0] if isinstance(stream, dict) else ""
            filters = (props.get("FilterCriteria") or {}).get("Filters") or []
            found.append(
                StreamMapping(
                    function=logical_id,
                    table=str(table),
                    batch_size=int(props.get("BatchSize", 100)),
                    patterns=tuple(json.loads(f["Pattern"]) for f in filters),
                )
            )
    return found


Deliver = Callable[[dict[str, Any]], Any]


class StreamPoller:
    """Polls ``reader`` in a thread and delivers each batch of accepted records to ``deliver``
    (``{"Records": [...]}``); the records a ``batchItemFailures`` names are delivered again."""

    def __init__(
        self,
        reader: StreamReader,
        deliver: Deliver,
        *,
        batch_size: int = 100,
        accepts: Callable[[Mapping[str, Any]], bool] = lambda _: True,
        log: Callable[[str], None] = print,
        idle_s: float = IDLE_POLL_S,
    ) -> None:
        self._reader = reader
        self._deliver = deliver
        self._batch_size = batch_size
        self._accepts = accepts
        self._log = log
        self._idle_s = idle_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stream-poller", daemon=True)
        self._pending: list[tuple[dict[str, Any], int]] = []  # (record, deliveries so far)
        self.delivered = 0  # records delivered (each delivery counted)
        self.idle = threading.Event()  # set when a poll found nothing new and nothing is pending

    def start(self) -> StreamPoller:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def poll_once(self) -> int:
        """Read and deliver once; the number of records delivered."""
        fresh = [(r, 0) for r in self._reader.read() if self._accepts(r)]
        work, self._pending = self._pending + fresh, []
        for start in range(0, len(work), self._batch_size):
            self._deliver_batch(work[start : start + self._batch_size])
        return len(work)

    def _deliver_batch(self, batch: Sequence[tuple[dict[str, Any], int]]) -> None:
        try:
            response = self._deliver({"Records": [record for record, _ in batch]}) or {}
            failed = {f.get("itemIdentifier") for f in response.get("batchItemFailures", [])}
        except Exception as error:  # the whole batch failed (a crash, a timeout)
            self._log(f"WARNING stream batch failed, delivering it again: {error}")
            failed = {record["dynamodb"].get("SequenceNumber") for record, _ in batch}
        self.delivered += len(batch)
        for record, count in batch:
            if record["dynamodb"].get("SequenceNumber") in failed:
                if count + 1 >= MAX_REDELIVERIES:
                    self._log(
                        f"ERROR stream record {record.get('eventID')} dropped after {count + 1} deliveries"
                    )
                else:
                    self._pending.append((record, count + 1))

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                count = self.poll_once()
            except Exception as error:
                self._log(f"WARNING reading the table's stream failed: {error}")
                count = 0
            if count == 0 and not self._pending:
                self.idle.set()
                self._stop.wait(self._idle_s)
            else:
                self.idle.clear()
                if self._pending:
                    self._stop.wait(min(1.0, self._idle_s * 10))

    def wait_idle(self, timeout_s: float = 60.0) -> bool:
        """Until a poll that began after this call found nothing new and nothing is left to
        redeliver (quiescence), or ``timeout_s``; whether it did. Two idle signals in a row: the
        first may come from a poll that was already under way."""
        deadline = time.monotonic() + timeout_s
        for _ in range(2):
            self.idle.clear()
            if not self.idle.wait(max(0.0, deadline - time.monotonic())):
                return False
        return True
