"""Prove the change archive complete and in order against the table: ``python -m infra.archive verify``.

The archive (template.yaml ``ArchiveBucket``) holds every committed change as Kinesis Data Streams
for DynamoDB delivers it, through Firehose: gzip objects under ``changes/YYYY/MM/DD/HH/``, one JSON
record a line (objects written before the line delimiter hold the records back to back; both are
read). This reads every object in key order, groups the records by item key (``pk``, ``sk``) and
checks, per item:

- in order: in the archive's order its ``ApproximateCreationDateTime`` never goes backwards and,
  for a versioned item (a document, a record, a payment, a claim, a series), its ``version`` only
  goes up; a record delivered twice (the same ``eventID``) counts once, as Firehose delivers at
  least once;
- no gap: in time order its history starts with its creation (``INSERT``) and each change takes a
  versioned item up by exactly 1;

and, complete: every item in the table now (a scan; idempotency records and outbox items expire
by design and are skipped) is the newest archived image of its key, and no item the archive holds
alive has left the table without its removal archived. Prints a summary as one JSON line
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
from itertools import pairwise
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from infra import operator_target
from infra.progress import Progress

BUCKET_OUTPUT = "ArchiveBucketName"
CHANGES_PREFIX = "changes/"
# Items whose ``version`` counts their changes one by one (a line chunk keeps its document's).
VERSIONED_SORT_KEYS = frozenset(
    {"INVOICE", "MEMO", "APPLICATION", "PAYMENT", "PAYREF", "REFUND", "REFUNDREF", "SERIES"}
)
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


def local_files(folder: Path) -> list[Path]:
    """The archive's files in a local copy, by path: under its ``changes/`` folder if it has one
    (a copy of the whole bucket also holds Firehose's ``errors/``)."""
    root = folder / CHANGES_PREFIX if (folder / CHANGES_PREFIX).is_dir() else folder
    return sorted(p for p in root.rglob("*") if p.is_file())


def local_objects(folder: Path) -> Iterator[tuple[str, bytes]]:
    """The archive's objects in a local copy, in order, as (path, body)."""
    for path in local_files(folder):
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


@dataclass(frozen=True)
class Change:
    """One archived change of an item, without its images (an archive holds millions)."""

    position: int  # in archive order
    where: str  # object key and line
    event_id: str | None
    event: str  # INSERT, MODIFY or REMOVE
    created: float  # ApproximateCreationDateTime
    version: int | None  # the new image's
    old_version: int | None  # the old image's

    def order(self) -> tuple[float, float, int]:
        """Its place in the item's history: by time; at the same time (a coarse clock), by version
        (a removal just after the version it removes); then as archived."""
        if self.event == "REMOVE":
            step = -1.0 if self.old_version is None else self.old_version + 0.5
        else:
            step = -1.0 if self.version is None else float(self.version)
        return self.created, step, self.position


@dataclass
class History:
    """What the archive holds of one item: its changes, and its latest image by time."""

    changes: list[Change] = field(default_factory=list)
    latest: tuple[float, float, int] | None = None  # the latest change's order
    image: dict[str, Any] | None = None  # its new image (None: the latest change is a removal)


@dataclass
class Verifier:
    """Reads records in archive order, then checks each item's history and the table against it.

    Kinesis Data Streams for DynamoDB may deliver an item's changes out of sequence; their time
    orders them. The history (gaps, creation, completeness) is checked in that order and the
    archive's own order separately ("out of order"), so a reordered delivery never reads as a
    missing change."""

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
        change = record.get("dynamodb") or {}
        keys = change.get("Keys") or change.get("NewImage") or change.get("OldImage")
        event = record.get("eventName")
        if not keys or "pk" not in keys or "sk" not in keys or event not in ("INSERT", "MODIFY", "REMOVE"):
            self.problems.append(f"{where}: record {event_id} is not a change of an item")
            return
        new = change.get("NewImage")
        created = float(change.get("ApproximateCreationDateTime") or 0)
        entry = Change(
            self.records, where, event_id, event, created, _version(new), _version(change.get("OldImage"))
        )
        self.records += 1
        history = self.histories.setdefault(_key(keys), History())
        history.changes.append(entry)
        if history.latest is None or entry.order() > history.latest:
            history.latest = entry.order()
            history.image = canonical(new) if event != "REMOVE" else None

    def check_histories(self) -> None:
        for key, history in self.histories.items():
            name = f"{key[0]}/{key[1]}"
            self._check_archive_order(name, history.changes, versioned=key[1] in VERSIONED_SORT_KEYS)
            self._check_history(name, history.changes, versioned=key[1] in VERSIONED_SORT_KEYS)

    def _check_archive_order(self, name: str, changes: list[Change], *, versioned: bool) -> None:
        """In the archive's order, an item's times never go back and its versions only go up."""
        for before, after in pairwise(changes):
            at = f"{after.where}: {name} record {after.event_id}"
            if after.created < before.created:
                self.problems.append(f"{at}: ApproximateCreationDateTime goes backwards")
            old, new = before.version, after.version
            if versioned and after.event != "REMOVE" and old is not None and new is not None and new <= old:
                self.problems.append(f"{at}: version {new} archived after {old} (out of order)")

    def _check_history(self, name: str, changes: list[Change], *, versioned: bool) -> None:
        """In time order: created first, never twice while alive, versions one apart."""
        alive, version = False, None
        for change in sorted(changes, key=Change.order):
            at = f"{change.where}: {name} record {change.event_id}"
            if change.event == "INSERT" and alive:
                self.problems.append(f"{at}: created again while alive (its removal is missing)")
            if change.event != "INSERT" and not alive:
                self.problems.append(f"{at}: {change.event} of an item the archive never saw created (gap)")
            if versioned and version is not None:
                current = change.old_version if change.event == "REMOVE" else change.version
                expected = version if change.event == "REMOVE" else version + 1
                if current != expected:
                    kind = "repeated" if current == version else "gap"
                    self.problems.append(f"{at}: version {current} follows {version} ({kind})")
            alive = change.event != "REMOVE"
            version = change.version if alive else None

    def check_table(self, items: Iterable[dict[str, Any]], progress: Progress | None = None) -> int:
        """Every live item of the table is its key's latest archived image; the count of items."""
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
                archived = _version(history.image)
                version = _version(item)
                at = f" (table at version {version}, archive at {archived})" if version else ""
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
            except (OSError, EOFError, ValueError) as error:  # not gzip, cut short, not JSON
                verifier.problems.append(f"{key}: not readable: {error}")
            progress.advance(checkpoint=key)
    verifier.check_histories()
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
    source.add_argument(
        "--archive-dir",
        type=Path,
        help="a local copy of the archive (the bucket's or its changes/ folder) instead",
    )
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
            objects: Iterable[tuple[str, bytes]] = local_objects(args.archive_dir)
            total = len(local_files(args.archive_dir))
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
