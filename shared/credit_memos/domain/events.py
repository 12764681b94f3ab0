"""Domain events: what changed, published after commit through the table's stream.

Each event is written in the same transaction as the change it describes (the
transactional outbox), so no committed change goes unannounced and no event
describes a change that did not commit. ``eventId`` is stable, so consumers can
deduplicate redeliveries. Every document carries a sequence number that each of
its events increments; ``sequences`` maps each document id to its number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from credit_memos.domain.documents import (
    ApplicationEntry,
    ApplicationRecord,
    CreditMemo,
    Invoice,
    InvoicePayment,
)
from credit_memos.money import format_amount
from credit_memos.views import ApplicationView, CreditMemoView, InvoicePaymentView, InvoiceView

# 2: documents are carried as the API's list view (``invoice`` / ``creditMemo`` objects).
EVENT_VERSION = "2"
SOURCE = "credit-memos"


@dataclass
class DomainEvent:
    """An event a change emits (written to the outbox in the same transaction)."""

    event_id: str
    detail_type: str
    detail: dict[str, Any]


def _event(
    event_id: str, detail_type: str, docs: list[Invoice | CreditMemo], detail: dict[str, Any]
) -> DomainEvent:
    sequences = {}
    for doc in docs:
        doc.sequence += 1
        sequences[doc.id] = doc.sequence
    body = {"eventId": event_id, "eventVersion": EVENT_VERSION, "sequences": sequences, **detail}
    return DomainEvent(event_id=event_id, detail_type=detail_type, detail=body)


def _memo_summary(memo: CreditMemo) -> dict[str, Any]:
    """The memo as a list shows it (without lines): the response model, not a second shape."""
    return CreditMemoView.of(memo, with_lines=False).body()


def _invoice_summary(invoice: Invoice) -> dict[str, Any]:
    return InvoiceView.of(invoice, with_lines=False).body()


def invoice_created(event_id: str, invoice: Invoice) -> DomainEvent:
    return _event(event_id, "InvoiceCreated", [invoice], {"invoice": _invoice_summary(invoice)})


def invoice_posted(event_id: str, invoice: Invoice) -> DomainEvent:
    return _event(event_id, "InvoicePosted", [invoice], {"invoice": _invoice_summary(invoice)})


def memo_created(event_id: str, memo: CreditMemo) -> DomainEvent:
    return _event(event_id, "CreditMemoCreated", [memo], {"creditMemo": _memo_summary(memo)})


def memo_posted(event_id: str, memo: CreditMemo) -> DomainEvent:
    return _event(event_id, "CreditMemoPosted", [memo], {"creditMemo": _memo_summary(memo)})


def memo_voided(event_id: str, memo: CreditMemo) -> DomainEvent:
    return _event(event_id, "CreditMemoVoided", [memo], {"creditMemo": _memo_summary(memo)})


def credit_moved(event_id: str, memo: CreditMemo, invoice: Invoice, entry: ApplicationEntry) -> DomainEvent:
    """CreditApplied or CreditUnapplied, by the entry's record type."""
    kind = "CreditApplied" if entry.records[0].type == "Applied" else "CreditUnapplied"
    total = sum((r.amount for r in entry.records), start=memo.balance * 0)
    return _event(
        event_id,
        kind,
        [memo, invoice],
        {
            "creditMemo": _memo_summary(memo),
            "invoice": _invoice_summary(invoice),
            "level": entry.level,
            "amount": format_amount(total, memo.currency),
            # The full records are one GET .../applications away.
            "applications": [_record_summary(r, memo.currency) for r in entry.records],
        },
    )


# The fields of ApplicationView an event carries per record: compact records keep a 300-line
# application under EventBridge's 256 KB per event.
_RECORD_FIELDS = {
    "id",
    "type",
    "amount",
    "credit_memo_line_id",
    "invoice_line_id",
    "associated_application_id",
}


def _record_summary(record: ApplicationRecord, currency: str) -> dict[str, Any]:
    return ApplicationView.of(record, currency).model_dump(
        mode="json", include=_RECORD_FIELDS, exclude_none=True
    )


def lines_converted(event_id: str, invoice: Invoice, memo: CreditMemo) -> DomainEvent:
    converted = [line.reference_invoice_line_id for line in memo.lines]
    return _event(
        event_id,
        "NegativeInvoiceLinesConverted",
        [invoice, memo],
        {
            "invoice": _invoice_summary(invoice),
            "creditMemo": _memo_summary(memo),
            "invoiceLineIds": converted,
            "convertedAmount": format_amount(memo.total_amount_with_tax, memo.currency),
        },
    )


def payment_moved(event_id: str, invoice: Invoice, record: InvoicePayment) -> DomainEvent:
    """PaymentRecorded or PaymentReversed, by the record's type: the invoice and the record."""
    kind = "PaymentRecorded" if record.type == "Payment" else "PaymentReversed"
    return _event(
        event_id,
        kind,
        [invoice],
        {"invoice": _invoice_summary(invoice), "payment": InvoicePaymentView.of(record).body()},
    )
