"""Export an accounting period's journal to CSV files, one per currency, with a SHA-256 checksum
file: ``python -m infra.export_journal 2026-11 --out DIR`` (``make export-journal``).

Each ``journal-{period}-{currency}.csv`` has the header and rows of ``GET /journal-entries`` with
``Accept: text/csv`` (one row per journal line, oldest entry first); ``SHA256SUMS`` lists each
file's digest in ``sha256sum`` format (``sha256sum -c SHA256SUMS`` checks them). The period's
entries are read through the journal's date shards, page by page; progress goes to stderr and the
result, ``{"period", "closed", "files": [{"file", "currency", "entries", "rows", "sha256"}]}``, to
stdout. An open period's journal may still grow: the result says ``closed`` false, and the export
of a closed period never changes. The table: ``infra/operator_target.py``.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from credit_memos.adapters.dynamodb.repository import DynamoDbRepository
from credit_memos.domain.periods import BooksLock, checked_period
from credit_memos.errors import ValidationError
from credit_memos.limits import MAX_PAGE_SIZE
from credit_memos.ports import Repository
from credit_memos.views import JournalEntryView
from credit_memos.views.books import CSV_HEADER

from infra import operator_target
from infra.progress import Progress


def export(
    repository: Repository, period: str, out: Path, *, progress: Progress | None = None
) -> dict[str, Any]:
    """Write the period's files under ``out``; what was written."""
    checked_period(period)
    year, month = int(period[:4]), int(period[5:7])
    first, last = f"{period}-01", f"{period}-{calendar.monthrange(year, month)[1]:02d}"
    lock = repository.read(books=True).books or BooksLock()
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, tuple[Any, Any, Path]] = {}
    counts: dict[str, list[int]] = {}
    try:
        token = None
        while True:
            page = repository.list_journal(
                first_day=first, last_day=last, billing_account_id=None, limit=MAX_PAGE_SIZE, next_token=token
            )
            for entry in page.items:
                if entry.currency not in files:
                    path = out / f"journal-{period}-{entry.currency}.csv"
                    handle = path.open("w", encoding="utf-8", newline="")
                    handle.write(CSV_HEADER + "\r\n")
                    files[entry.currency] = (handle, csv.writer(handle, lineterminator="\r\n"), path)
                    counts[entry.currency] = [0, 0]
                rows = JournalEntryView.of(entry).csv_rows()
                files[entry.currency][1].writerows(rows)
                counts[entry.currency][0] += 1
                counts[entry.currency][1] += len(rows)
            if progress is not None:
                progress.advance(
                    len(page.items), checkpoint=page.items[-1].entry_date if page.items else None
                )
            token = page.next_token
            if token is None:
                break
    finally:
        for handle, _, _ in files.values():
            handle.close()
    written = []
    for currency in sorted(files):
        path = files[currency][2]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        entries, rows = counts[currency]
        written.append(
            {"file": path.name, "currency": currency, "entries": entries, "rows": rows, "sha256": digest}
        )
    sums = "".join(f"{f['sha256']}  {f['file']}\n" for f in written)
    (out / f"journal-{period}.SHA256SUMS").write_text(sums, encoding="utf-8")
    return {"period": period, "closed": lock.is_closed(period), "files": written}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infra.export_journal",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("period", metavar="YYYY-MM", help="the accounting period")
    parser.add_argument("--out", default=".", type=Path, help="the directory of the files (default: here)")
    operator_target.add_arguments(parser)
    args = parser.parse_args(argv)
    target = operator_target.resolve_or_exit(parser, args)
    repository = DynamoDbRepository(target.client("dynamodb"), target.table or "")
    try:
        with Progress(f"journal {args.period}", unit="entries") as progress:
            result = export(repository, args.period, args.out, progress=progress)
    except ValidationError as error:
        parser.error(error.message)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
