"""Republish every domain event the table holds as not yet delivered: ``python -m infra.replay``.

Reads the table's pending outbox index (``TABLE_NAME``, ``DYNAMODB_ENDPOINT_URL`` or AWS) and puts
each pending write's events on the bus (``EVENT_BUS_NAME``, ``EVENTBRIDGE_ENDPOINT_URL`` or AWS),
in per-document sequence order, confirming each write once EventBridge has accepted it. Safe to
run at any time and again: a second run delivers nothing new. ``--dry-run`` only counts.
Exit status 0 when every pending write went out, 1 when EventBridge refused one (run it again).
In AWS, ReplayEventsFunction does the same (docs/orchestration-and-events.md "Replaying events").
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from credit_memos.adapters.dynamodb.client import create_client
from credit_memos.adapters.outbox_replay import replay_with
from credit_memos.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.replay", description=__doc__.splitlines()[0])
    parser.add_argument("--table", help="table name (default: TABLE_NAME)")
    parser.add_argument("--bus", help="event bus name (default: EVENT_BUS_NAME)")
    parser.add_argument("--dry-run", action="store_true", help="count the pending writes, publish nothing")
    args = parser.parse_args(argv)
    environ = dict(os.environ)
    if args.table:
        environ["TABLE_NAME"] = args.table
    if args.bus:
        environ["EVENT_BUS_NAME"] = args.bus
    settings = Settings.from_environment(environ)
    client = create_client(settings.dynamodb_endpoint_url, settings.region)
    report = replay_with(settings, dynamodb_client=client, dry_run=args.dry_run)
    print(json.dumps(report.as_dict()))
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
