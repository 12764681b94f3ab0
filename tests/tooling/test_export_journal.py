"""``python -m infra.export_journal``: a period's journal as one CSV file per currency and a SHA-256
checksum file, with progress, from the journal the service wrote (in-memory repository)."""

from __future__ import annotations

import csv
import hashlib
import io
from decimal import Decimal
from pathlib import Path

from credit_memos.commands import books, invoices, payments
from credit_memos.domain.inputs import InvoiceLineInput

from infra.export_journal import export
from infra.progress import Progress
from tests.builders import memory_service
from tests.fakes.memory_repository import MemoryRepository


def test_a_period_exports_one_file_per_currency_with_checksums(tmp_path: Path) -> None:
    repository = MemoryRepository()
    service = memory_service(repository)
    for currency, day in (
        ("USD", "2026-11-03"),
        ("EUR", "2026-11-04"),
        ("USD", "2026-11-05"),
        ("USD", "2026-12-01"),
    ):
        line = (InvoiceLineInput(Decimal("10.00"), Decimal("1.00")),)
        invoice = service.execute(invoices.CreateInvoice("acct-1", currency, line, invoice_date=day)).body
    service.execute(
        payments.RecordInvoicePayment(invoice["id"], Decimal("2.00"), "r", effective_date="2026-12-02")
    )
    service.execute(books.CloseAccountingPeriod("2026-11"))
    shown = io.StringIO()
    result = export(
        repository,
        "2026-11",
        tmp_path,
        progress=Progress("journal 2026-11", unit="entries", stream=shown, interval=0),
    )
    assert result["closed"] is True
    assert [(f["currency"], f["entries"], f["rows"]) for f in result["files"]] == [
        ("EUR", 1, 3),
        ("USD", 2, 6),
    ]
    usd = (tmp_path / "journal-2026-11-USD.csv").read_bytes()
    rows = list(csv.reader(io.StringIO(usd.decode())))
    assert rows[0][:4] == ["entryId", "entryDate", "billingAccountId", "currency"]
    assert [row[1] for row in rows[1:]] == ["2026-11-03"] * 3 + ["2026-11-05"] * 3
    debits = sum(Decimal(row[6]) for row in rows[1:])
    assert debits == sum(Decimal(row[7]) for row in rows[1:]) == Decimal("22.00")
    sums = (tmp_path / "journal-2026-11.SHA256SUMS").read_text().splitlines()
    assert f"{hashlib.sha256(usd).hexdigest()}  journal-2026-11-USD.csv" in sums
    assert "journal 2026-11: 3 entries" in shown.getvalue()  # progress, on stderr in the command
