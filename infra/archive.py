"""Prove the change archive complete and in order against the table: ``python -m infra.archive verify``.

The archive (template.yaml ``ArchiveBucket``) holds every committed change as Kinesis Data Streams
for DynamoDB delivers it, through Firehose: gzip objects under ``changes/YYYY/MM/DD/HH/``, one JSON
record a line (objects written before the line delimiter hold the records back to back; both are
read). This reads every object in key order, groups the records by item key (``pk``, ``sk``) and
checks, per item:

- a versioned item (a document, a record, a payment, a claim, a series) goes up by exactly 1 a
  change, from its creation (``INSERT``) on: no gap, no version repeated by another change, none
  out of order; a record delivered twice (the same ``eventID``) is counted once, since Firehose
  delivers at least once;
- ``ApproximateCreationDateTime`` never goes backwards;

and, complete: every item in the table now (a scan; idempotency records and outbox items expire
by design and are skipped) is the newest archived image of its key, and no item the archive holds
alive is gone from the table without its removal archived. Prints a summary as one JSON line
(``objects``, ``records``, ``duplicates``, ``items``, ``tableItems``, ``problems``, the first
problems) and exits 1 on any problem.

The archive: ``--bucket`` (default: the stack's ``ArchiveBucketName`` output) or ``--archive-dir``
(a local folder of the same objects); the table: ``infra/operator_target.py``.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from infra import operator_target
from infra.progress import Progress

BUCKET_OUTPUT = "ArchiveBucketName"
CHANGES_PREFIX = "changes/"
# Items whose ``version`` counts their changes one by one (a line chunk keeps its document's).
VERSIONED_SORT_KEYS = frozenset({"INVOICE", "MEMO", "APPLICATION", "PAYMENT", "PAYREF", "SERIES"})
# Items that expire by design (TTL): the table need not hold what the archive last saw of them.
EXPIRING_PREFIXES = ("IDEMPOTENCY#", "OUTBOX#")
# How many problems the summary lists (all are counted).
LISTED_PROBLEMS = 20
GZIP_MAGIC = b"\x1f\x8b"

ItemKey = tuple[str, str]


def records_of(body: bytes) -> Iterator[dict[str, Any]]:
    """The records of one archive object: gzip or not, JSON lines or JSON values back to back."""
    if body[:2] == GZIP_MAGIC:
        body = gzip.decompress(body)
    text = body.decode("utf-8")
    decoder = json.JSONDecoder()
    position = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position == len(text):
            return
        record, position = decoder.raw_decode(text, position)
        yield record


def local_objects(folder: Path) -> Iterator[tuple[str, bytes]]:
    """The files under ``folder`` by path, as (key, body)."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        yield path.relative_to(folder).as_posix(), path.read_bytes()


def bucket_keys(s3: Any, bucket: str, prefix: str = CHANGES_PREFIX) -> list[str]:
    """The archive's object keys in key order (Firehose names them by delivery time)."""
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [o["Key"] for o in page.get("Contents", [])]
    return sorted(keys)


def bucket_objects(s3: Any, bucket: str, keys: Iterable[str]) -> Iterator[tuple[str, bytes]]:
    for key in keys:
        yield key, s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def canonical(value: Any) -> Any:
    """A DynamoDB JSON value compared by content: binary as base64 (as the stream sends it), sets
    sorted."""
    if isinstance(value, dict):
        if len(value) == 1:
            kind, inner = next(iter(value.items()))
            if kind == "B" and isinstance(inner, (bytes, bytearray)):
                return {"B": base64.b64encode(inner).decode()}
            if kind in ("SS", "NS", "BS"):
                return {kind: sorted(canonical({kind[0]: v})[kind[0]] for v in inner)}
        return {k: canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def _key(image: dict[str, Any]) -> ItemKey:
    return image["pk"]["S"], image["sk"]["S"]


def _version(image: dict[str, Any] | None) -> int | None:
    if image is None or "version" not in image:
        return None
    return int(image["version"]["N"])


@dataclass
class History:
    """What the archive has shown of one item so far."""

    image: dict[str, Any] | None = None  # the newest image; None before creation and after removal
    version: int | None = None
    created: float | None = None  # the newest ApproximateCreationDateTime


@dataclass
class Verifier:
    """Checks records one at a time, in archive order, then the table against what they built."""

    histories: dict[ItemKey, History] = field(default_factory=dict)
    event_ids: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    records: int = 0
    duplicates: int = 0

    def add(self, record: dict[str, Any], where: str) -> None:
        event_id = record.get("eventID")
        if event_id in self.event_ids:
            self.duplicates += 1
            return
        if event_id:
            self.event_ids.add(event_id)
        self.records += 1
        change = record.get("dynamodb") or {}
        keys = change.get("Keys") or change.get("NewImage") or change.get("OldImage")
        if not keys or "pk" not in keys or "sk" not in keys:
            self.problems.append(f"{where}: record {event_id} names no item key")
            return
        key = _key(keys)
        history = self.histories.setdefault(key, History())
        name = f"{where}: {key[0]}/{key[1]} record {event_id}"
        self._check_time(history, change.get("ApproximateCreationDateTime"), name)
        event = record.get("eventName")
        new, old = change.get("NewImage"), change.get("OldImage")
        if event == "INSERT":
            if history.image is not None:
                self.problems.append(f"{name}: created again while alive (its removal is missing)")
        elif event in ("MODIFY", "REMOVE"):
            if history.image is None:
                self.problems.append(f"{name}: {event} of an item the archive never saw created")
        else:
            self.problems.append(f"{name}: unknown eventName {event!r}")
            return
        if key[1] in VERSIONED_SORT_KEYS:
            self._check_version(history, event, _version(new), _version(old), name)
        history.image = canonical(new) if event != "REMOVE" else None
        history.version = _version(new) if event != "REMOVE" else None

    def _check_time(self, history: History, created: Any, name: str) -> None:
        if created is None:
            return
        moment = float(created)
        if history.created is not None and moment < history.created:
            self.problems.append(f"{name}: ApproximateCreationDateTime goes backwards")
        history.created = moment if history.created is None else max(history.created, moment)

    def _check_version(
        self, history: History, event: str, new: int | None, old: int | None, name: str
    ) -> None:
        if event == "REMOVE":
            if history.version is not None and old != history.version:
                self.problems.append(f"{name}: removed at version {old}, archive last saw {history.version}")
            return
        if new is None:
            self.problems.append(f"{name}: image without a version")
        elif history.version is not None and new != history.version + 1:
            kind = "gap" if new > history.version + 1 else "out of order or repeated"
            self.problems.append(f"{name}: version {new} after {history.version} ({kind})")

    def check_table(self, items: Iterable[dict[str, Any]], progress: Progress | None = None) -> int:
        """Every live item of the table is its key's newest archived image; the count of items."""
        seen: set[ItemKey] = set()
        for item in items:
            if progress is not None:
                progress.advance()
            key = _key(item)
            if key[0].startswith(EXPIRING_PREFIXES):
                continue
            seen.add(key)
            history = self.histories.get(key)
            if history is None or history.image is None:
                self.problems.append(f"{key[0]}/{key[1]}: in the table, not in the archive")
            elif history.image != canonical(item):
                version = _version(item)
                at = f" (table at version {version}, archive at {history.version})" if version else ""
                self.problems.append(f"{key[0]}/{key[1]}: newest archived image is not the table's{at}")
        for key, history in self.histories.items():
            if history.image is not None and key not in seen and not key[0].startswith(EXPIRING_PREFIXES):
                self.problems.append(f"{key[0]}/{key[1]}: gone from the table, its removal not archived")
        return len(seen)


def table_items(dynamodb: Any, table: str) -> Iterator[dict[str, Any]]:
    """Every item of the table (consistent reads)."""
    for page in dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        yield from page.get("Items", [])


def verify(
    objects: Iterable[tuple[str, bytes]],
    items: Iterable[dict[str, Any]],
    *,
    total: int | None = None,
    table_size: int | None = None,
) -> dict[str, Any]:
    """The summary of checking the archive's ``objects`` (in order) against the table's ``items``."""
    verifier = Verifier()
    count = 0
    with Progress("read the archive", total, unit="objects") as progress:
        for key, body in objects:
            count += 1
            try:
                for line, record in enumerate(records_of(body), 1):
                    verifier.add(record, f"{key}#{line}")
            except (OSError, ValueError) as error:
                verifier.problems.append(f"{key}: not readable: {error}")
            progress.advance(checkpoint=key)
    with Progress("scan the table", table_size, unit="items") as progress:
        table_count = verifier.check_table(items, progress)
    return {
        "objects": count,
        "records": verifier.records,
        "duplicates": verifier.duplicates,
        "items": len(verifier.histories),
        "tableItems": table_count,
        "problems": len(verifier.problems),
        "firstProblems": verifier.problems[:LISTED_PROBLEMS],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infra.archive",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["verify"], help="verify: check the archive against the table")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--bucket", help=f"the archive bucket (default: the stack's {BUCKET_OUTPUT} output)")
    source.add_argument("--archive-dir", type=Path, help="a local folder of the archive's objects instead")
    operator_target.add_arguments(parser)
    args = parser.parse_args(argv)
    target = operator_target.resolve_or_exit(parser, args)
    assert target.table is not None
    dynamodb = target.client("dynamodb")
    try:
        table_size = int(dynamodb.describe_table(TableName=target.table)["Table"].get("ItemCount", 0)) or None
        if args.archive_dir is not None:
            if not args.archive_dir.is_dir():
                parser.error(f"--archive-dir {args.archive_dir}: not a folder")
            files = sorted(p for p in args.archive_dir.rglob("*") if p.is_file())
            objects: Iterable[tuple[str, bytes]] = local_objects(args.archive_dir)
            total = len(files)
        else:
            bucket = args.bucket or target.stack_output(BUCKET_OUTPUT)
            if not bucket:
                parser.error("no archive: pass --bucket NAME, --archive-dir DIR or --stack-name STACK")
            print(f"{parser.prog}: bucket {bucket}", file=sys.stderr)
            s3 = target.client("s3")
            keys = bucket_keys(s3, bucket)
            objects, total = bucket_objects(s3, bucket, keys), len(keys)
        summary = verify(objects, table_items(dynamodb, target.table), total=total, table_size=table_size)
    except operator_target.Unresolved as error:
        parser.error(str(error))
    except (ClientError, BotoCoreError) as error:
        print(f"{parser.prog}: {error}", file=sys.stderr)
        return 1
    print(json.dumps(summary))
    return 1 if summary["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
