"""Republish every domain event the table holds as not yet delivered: ``python -m infra.replay``.

Reads the table's pending outbox index and puts each pending write's events on the bus, in
per-document sequence order, confirming each write once EventBridge has accepted it. The table and
the bus: ``--stack-name`` (its outputs), or ``--table`` / ``--event-bus`` (or ``TABLE_NAME``,
``EVENT_BUS_NAME``; ``DYNAMODB_ENDPOINT_URL``, ``EVENTBRIDGE_ENDPOINT_URL`` for local endpoints):
``infra/operator_target.py``. Safe to run at any time and again, and resumable by running it again: a
confirmed write is never published again, so a second run delivers only what the first did not.
It reads the pending writes a window at a time (memory stays flat at any backlog). A write
EventBridge refuses for good is quarantined and its documents' later writes held
(``python -m infra.outbox_quarantine`` lists, releases or discards it).
``--dry-run`` lists the pending writes (one JSON line each) and publishes nothing. Prints the
report as a JSON line; exit status 0 when the run went through, 1 when EventBridge refused a write
for now (run it again). In AWS, ReplayEventsFunction does the same
(docs/orchestration-and-events.md "Replaying events").
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from credit_memos.adapters.dynamodb.outbox_store import OutboxStore, PendingWrite
from credit_memos.adapters.eventbridge import EventBridgePublisher
from credit_memos.adapters.outbox_replay import replay

from infra import operator_target
from infra.progress import Progress


def _listing(write: PendingWrite) -> dict[str, Any]:
    return {
        "outbox": write.key["pk"],
        "committedAt": write.committed_at.isoformat() if write.committed_at else None,
        "events": [{"detailType": e.detail_type, "eventId": e.event_id} for e in write.events],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.replay", description=__doc__.splitlines()[0])
    operator_target.add_arguments(parser, event_bus=True)
    parser.add_argument(
        "--dry-run", action="store_true", help="list the pending writes and their events, publish nothing"
    )
    args = parser.parse_args(argv)
    target = operator_target.resolve_or_exit(parser, args, event_bus=True)
    assert target.table is not None and target.event_bus is not None
    progress = Progress("replay", unit="writes")

    def observe(write: PendingWrite, outcome: str) -> None:
        if outcome == "listed":
            print(json.dumps(_listing(write)))
        progress.advance()

    store = OutboxStore(target.client("dynamodb"), target.table)
    publisher = EventBridgePublisher(target.client("events"), target.event_bus)
    report = replay(store, publisher, dry_run=args.dry_run, observe=observe)
    progress.finish()
    print(json.dumps(report.as_dict()))
    return 0 if report.complete else 1


if __name__ == "__main__":
    sys.exit(main())
