"""Check docs/api.md section 2's invariants on the documents changed since the checker's last run:
``python -m infra.check_invariants``.

The same as the scheduled CheckInvariantsFunction (``credit_memos.adapters.invariant_check``): the
change archive's objects after the checkpoint name the changed documents; each is read consistently
with its application history and checked; the checkpoint then moves on. Prints the report as one
JSON line (``objects``, ``documents``, ``violations``, ``checkpoint``, ``complete``) and exits 1 if
a document breaks an invariant. ``--dry-run`` checks and leaves the checkpoint where it was. The
archive bucket: ``--bucket`` (default: the stack's ``ArchiveBucketName`` output); the table:
``infra/operator_target.py``.
"""

from __future__ import annotations

import argparse
import json
import sys

from credit_memos.adapters.dynamodb.repository import DynamoDbRepository
from credit_memos.adapters.invariant_check import MAX_OBJECTS_PER_RUN, ArchiveChanges, Checkpoints, run_check

from infra import operator_target
from infra.archive import BUCKET_OUTPUT


class _ReadOnlyCheckpoints(Checkpoints):
    """A dry run's checkpoint: read, never moved."""

    def write(self, after: str) -> None:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infra.check_invariants",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--bucket", help=f"the archive bucket (default: the stack's {BUCKET_OUTPUT} output)")
    parser.add_argument(
        "--max-objects", type=int, default=MAX_OBJECTS_PER_RUN, help="archive objects to read"
    )
    parser.add_argument("--dry-run", action="store_true", help="check, but leave the checkpoint where it is")
    operator_target.add_arguments(parser)
    args = parser.parse_args(argv)
    target = operator_target.resolve_or_exit(parser, args)
    assert target.table is not None
    bucket = args.bucket or target.stack_output(BUCKET_OUTPUT)
    if not bucket:
        parser.error(f"no archive bucket: pass --bucket or a --stack-name with the {BUCKET_OUTPUT} output")
    client = target.client("dynamodb")
    checkpoints = (_ReadOnlyCheckpoints if args.dry_run else Checkpoints)(client, target.table)
    report = run_check(
        DynamoDbRepository(client, target.table),
        ArchiveChanges(target.client("s3"), bucket),
        checkpoints,
        max_objects=args.max_objects,
    )
    print(json.dumps(report.as_dict()))
    return 1 if report.violations else 0


if __name__ == "__main__":
    sys.exit(main())
