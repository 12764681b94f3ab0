"""Inspect, release or discard the outbox writes EventBridge refused for good:
``python -m infra.outbox_quarantine list|show|release|discard``.

A write EventBridge refuses every time (an event too large, a malformed one) is quarantined by
the publisher or the replay: it keeps its events, leaves the pending index for its quarantine
partition, and holds its documents, whose later writes stay pending behind it while every other
document's events flow (docs/orchestration-and-events.md "Quarantined writes").

- ``list``: one JSON line per quarantined write (outbox, committedAt, quarantinedAt, reason,
  documents, event types).
- ``show OUTBOX``: that write's events in full.
- ``release OUTBOX``: publish its events now (after the cause is fixed: a bus rule, a quota) and
  confirm it; then replay what was held behind it. Refused again, it stays quarantined (exit 1).
- ``discard OUTBOX``: give up on its events (kept on the item until its TTL, never published);
  then replay what was held behind it: consumers see the gap in its documents' ``sequences``.

``--dry-run`` says what release or discard would do and writes nothing. The table and the bus:
``--stack-name`` or ``--table`` / ``--event-bus`` (``infra/operator_target.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from credit_memos.adapters.dynamodb.outbox_store import OutboxStore, PendingWrite
from credit_memos.adapters.eventbridge import EventBridgePublisher, PublishFailed
from credit_memos.adapters.outbox_replay import replay

from infra import operator_target
from infra.progress import Progress


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment is not None else None


def listing(write: PendingWrite) -> dict[str, Any]:
    return {
        "outbox": write.key["pk"],
        "committedAt": _iso(write.committed_at),
        "quarantinedAt": _iso(write.quarantined_at),
        "reason": write.quarantine_reason,
        "documents": sorted(write.documents),
        "events": [{"detailType": e.detail_type, "eventId": e.event_id} for e in write.events],
    }


def _key(outbox: str) -> dict[str, str]:
    return {"pk": outbox if outbox.startswith("OUTBOX#") else f"OUTBOX#{outbox}", "sk": "OUTBOX"}


def _replay_held(store: OutboxStore, publisher: EventBridgePublisher) -> int:
    with Progress("replay of the held writes", unit="writes") as progress:
        report = replay(store, publisher, observe=lambda write, outcome: progress.advance())
    print(json.dumps({"replay": report.as_dict()}))
    return 0 if report.complete else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infra.outbox_quarantine",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("action", choices=["list", "show", "release", "discard"])
    parser.add_argument("outbox", nargs="?", metavar="OUTBOX", help="the write (OUTBOX#evt_... or evt_...)")
    parser.add_argument("--dry-run", action="store_true", help="say what release or discard would do")
    operator_target.add_arguments(parser, event_bus=True)
    args = parser.parse_args(argv)
    if (args.action == "list") != (args.outbox is None):
        parser.error("list takes no OUTBOX; show, release and discard take one")
    writes_events = args.action in ("release", "discard")
    target = operator_target.resolve_or_exit(parser, args, event_bus=writes_events)
    assert target.table is not None
    store = OutboxStore(target.client("dynamodb"), target.table)
    if args.action == "list":
        for write in store.quarantined():
            print(json.dumps(listing(write)))
        return 0
    key = _key(args.outbox)
    write = store.get(key)
    if write is None or write.quarantine_reason is None:
        print(f"{parser.prog}: {key['pk']} is not quarantined", file=sys.stderr)
        return 1
    if args.action == "show":
        events = [{"id": e.event_id, "detailType": e.detail_type, "detail": e.detail} for e in write.events]
        print(json.dumps(listing(write) | {"malformed": write.malformed, "events": events}))
        return 0
    if args.dry_run:
        print(
            json.dumps(
                {"outbox": key["pk"], "wouldBe": "published" if args.action == "release" else "discarded"}
            )
        )
        return 0
    assert target.event_bus is not None
    publisher = EventBridgePublisher(target.client("events"), target.event_bus)
    if args.action == "release":
        try:
            if write.malformed:
                raise PublishFailed(write.malformed, permanent=True)
            publisher.publish(write.events, write.committed_at)
        except PublishFailed as error:
            print(json.dumps({"outbox": key["pk"], "released": False, "reason": str(error)}))
            return 1
        store.confirm(key)
        print(json.dumps({"outbox": key["pk"], "released": True, "eventsPublished": len(write.events)}))
    else:
        discarded = store.discard(key)
        print(json.dumps({"outbox": key["pk"], "discarded": discarded}))
    return _replay_held(store, publisher)


if __name__ == "__main__":
    sys.exit(main())
