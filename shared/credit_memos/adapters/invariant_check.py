"""The read-only invariant checker: the documents changed since its last run, read and checked.

Which documents changed comes from the change archive (template.yaml ``ArchiveBucket``): Firehose
names its objects by delivery time, so the objects after the checkpoint's key hold every change
since the last run, and reading them costs S3 GETs, not table reads (a scan would read the whole
table each run; an index on ``updatedAt`` would cost every write one more index copy). Each changed
invoice or memo header is then read consistently with its application history and checked against
``domain.invariants``. The checkpoint (the last archive object read) is one item,
``CHECK#INVARIANTS``, written after the documents of a run are checked: a run that stops early
checks those objects again next time.
"""

from __future__ import annotations

import gzip
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from credit_memos.adapters.dynamodb.attribute_codec import serialize
from credit_memos.adapters.dynamodb.errors import translate
from credit_memos.domain.invariants import Violation, check
from credit_memos.limits import MAX_PAGE_SIZE
from credit_memos.ports import Repository

logger = logging.getLogger(__name__)

CHANGES_PREFIX = "changes/"
CHECKPOINT_KEY = {"pk": "CHECK#INVARIANTS", "sk": "CHECKPOINT"}
# Archive objects one run reads at most (each up to Firehose's buffer, 5 MB).
MAX_OBJECTS_PER_RUN = 200
# Headers of the kinds checked: sort key -> the read's keyword.
CHECKED_KINDS = {"INVOICE": "invoice_ids", "MEMO": "memo_ids"}
# A document's history is read from an index (eventually consistent): a violation is confirmed
# by reading the document and its history once more after this pause.
CONFIRM_AFTER_SECONDS = 2.0


@dataclass
class CheckReport:
    """What one run read and found."""

    objects: int = 0
    documents: int = 0
    violations: list[Violation] = field(default_factory=list)
    checkpoint: str | None = None
    complete: bool = True  # False: objects were left for the next run

    def as_dict(self) -> dict[str, Any]:
        return {
            "objects": self.objects,
            "documents": self.documents,
            "violations": [v.__dict__ for v in self.violations],
            "checkpoint": self.checkpoint,
            "complete": self.complete,
        }


def _records(body: bytes) -> Iterator[dict[str, Any]]:
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    text, decoder, position = body.decode(), json.JSONDecoder(), 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position == len(text):
            return
        record, position = decoder.raw_decode(text, position)
        yield record


class ArchiveChanges:
    """The document headers the archive's objects after a checkpoint name."""

    def __init__(self, s3: Any, bucket: str) -> None:
        self._s3, self._bucket = s3, bucket

    def since(self, after: str | None, max_objects: int) -> tuple[dict[str, set[str]], str | None, bool]:
        """(ids by read keyword, the last object read, whether every object was read)."""
        request: dict[str, Any] = {"Bucket": self._bucket, "Prefix": CHANGES_PREFIX, "MaxKeys": max_objects}
        if after:
            request["StartAfter"] = after
        listed = self._s3.list_objects_v2(**request)
        keys = sorted(o["Key"] for o in listed.get("Contents", []))
        changed: dict[str, set[str]] = {kind: set() for kind in CHECKED_KINDS.values()}
        for key in keys:
            body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
            for record in _records(body):
                item_keys = (record.get("dynamodb") or {}).get("Keys") or {}
                pk, sk = item_keys.get("pk", {}).get("S", ""), item_keys.get("sk", {}).get("S", "")
                if sk in CHECKED_KINDS and record.get("eventName") != "REMOVE":
                    changed[CHECKED_KINDS[sk]].add(pk.split("#", 1)[1])
        return changed, (keys[-1] if keys else after), not listed.get("IsTruncated", False)


def applied_total(repository: Repository, document: Any, kind: str) -> Decimal:
    """The sum of the document's active Applied records (its history, page by page)."""
    total, token = Decimal(0), None
    while True:
        page = repository.list_application_entries(
            credit_memo_id=document.id if kind == "memo_ids" else None,
            invoice_id=document.id if kind == "invoice_ids" else None,
            limit=MAX_PAGE_SIZE,
            next_token=token,
        )
        for entry in page.items:
            for record in entry.records:
                if record.type == "Applied" and record.has_been_unapplied == "No":
                    total += record.amount
        token = page.next_token
        if token is None:
            return total


class Checkpoints:
    """The checker's one item: the last archive object it has checked."""

    def __init__(self, client: Any, table: str) -> None:
        self._client, self._table = client, table

    def read(self) -> str | None:
        try:
            item = self._client.get_item(
                TableName=self._table, Key=serialize(CHECKPOINT_KEY), ConsistentRead=True
            )
        except (ClientError, BotoCoreError) as error:
            raise translate(error) from error
        return item.get("Item", {}).get("after", {}).get("S")

    def write(self, after: str) -> None:
        try:
            self._client.put_item(TableName=self._table, Item=serialize(CHECKPOINT_KEY | {"after": after}))
        except (ClientError, BotoCoreError) as error:
            raise translate(error) from error


def _read(repository: Repository, kind: str, ids: list[str]) -> list[Any]:
    if kind == "invoice_ids":
        return list(repository.read(invoice_ids=ids, consistent=True).invoices.values())
    return list(repository.read(memo_ids=ids, consistent=True).memos.values())


def check_documents(
    repository: Repository, ids: dict[str, set[str]], *, sleep: Callable[[float], None] = time.sleep
) -> tuple[int, list[Violation]]:
    """(documents checked, the violations that held on a second read)."""
    found: list[tuple[str, Any, list[Violation]]] = []
    checked = 0
    for kind, wanted in ids.items():
        ordered = sorted(wanted)
        for start in range(0, len(ordered), MAX_PAGE_SIZE):
            for document in _read(repository, kind, ordered[start : start + MAX_PAGE_SIZE]):
                checked += 1
                problems = check(document, applied_total(repository, document, kind))
                if problems:
                    found.append((kind, document.id, problems))
    if not found:
        return checked, []
    sleep(CONFIRM_AFTER_SECONDS)
    confirmed: list[Violation] = []
    for kind, document_id, _ in found:
        for document in _read(repository, kind, [document_id]):
            confirmed += check(document, applied_total(repository, document, kind))
    return checked, confirmed


def run_check(
    repository: Repository,
    changes: ArchiveChanges,
    checkpoints: Checkpoints,
    *,
    max_objects: int = MAX_OBJECTS_PER_RUN,
    sleep: Callable[[float], None] = time.sleep,
) -> CheckReport:
    """Check the documents changed since the checkpoint, then move the checkpoint on."""
    after = checkpoints.read()
    ids, last, complete = changes.since(after, max_objects)
    report = CheckReport(checkpoint=last, complete=complete)
    report.documents, report.violations = check_documents(repository, ids, sleep=sleep)
    for violation in report.violations:
        logger.error(
            "invariant violated",
            extra={
                "document_id": violation.document_id,
                "rule": violation.rule,
                "problem": violation.message,
            },
        )
    if last and last != after:
        checkpoints.write(last)
    return report
