"""Domain events: what changed, published after commit through the table's stream.

Each event is written in the same transaction as the change it describes (the
transactional outbox), so no committed change goes unannounced and no event
describes a change that did not commit. ``eventId`` is stable, so consumers can
deduplicate redeliveries. Every document carries a sequence number that each of
its events increments; ``sequences`` maps each document id to its number.
"""

from __future__ import annotations

from collections.abc import Callable
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


class EventLog:
    """The events of one change, in the order they happened, each with an id of the request's.

    Each document's list view is built once per change, however many events carry it (an apply
    to several invoices carries its memo in each).
    """

    def __init__(self, new_id: Callable[[str], str]) -> None:
        self._new_id = new_id
        self._views: dict[str, dict[str, Any]] = {}
        self.staged: list[DomainEvent] = []

    def invoice_created(self, invoice: Invoice) -> None:
        self._add("InvoiceCreated", [invoice], {"invoice": self._invoice(invoice)})

    def invoice_posted(self, invoice: Invoice) -> None:
        self._add("InvoicePosted", [invoice], {"invoice": self._invoice(invoice)})

    def memo_created(self, memo: CreditMemo) -> None:
        self._add("CreditMemoCreated", [memo], {"creditMemo": self._memo(memo)})

    def memo_posted(self, memo: CreditMemo) -> None:
        self._add("CreditMemoPosted", [memo], {"creditMemo": self._memo(memo)})

    def memo_voided(self, memo: CreditMemo) -> None:
        self._add("CreditMemoVoided", [memo], {"creditMemo": self._memo(memo)})

    def credit_moved(self, memo: CreditMemo, invoice: Invoice, entry: ApplicationEntry) -> None:
        """CreditApplied or CreditUnapplied, by the entry's record type."""
        kind = "CreditApplied" if entry.records[0].type == "Applied" else "CreditUnapplied"
        total = sum((r.amount for r in entry.records), start=memo.balance * 0)
        detail = {
            "creditMemo": self._memo(memo),
            "invoice": self._invoice(invoice),
            "level": entry.level,
            "amount": format_amount(total, memo.currency),
            # The full records are one GET .../applications away.
            "applications": [_record_summary(r, memo.currency) for r in entry.records],
        }
        self._add(kind, [memo, invoice], detail)

    def lines_converted(self, invoice: Invoice, memo: CreditMemo) -> None:
        detail = {
            "invoice": self._invoice(invoice),
            "creditMemo": self._memo(memo),
            "invoiceLineIds": [line.reference_invoice_line_id for line in memo.lines],
            "convertedAmount": format_amount(memo.total_amount_with_tax, memo.currency),
        }
        self._add("NegativeInvoiceLinesConverted", [invoice, memo], detail)

    def payment_moved(self, invoice: Invoice, record: InvoicePayment) -> None:
        """PaymentRecorded or PaymentReversed, by the record's type: the invoice and the record."""
        kind = "PaymentRecorded" if record.type == "Payment" else "PaymentReversed"
        detail = {"invoice": self._invoice(invoice), "payment": InvoicePaymentView.of(record).body()}
        self._add(kind, [invoice], detail)

    def _add(self, detail_type: str, docs: list[Invoice | CreditMemo], detail: dict[str, Any]) -> None:
        event_id = self._new_id("evt")
        sequences = {}
        for doc in docs:
            doc.sequence += 1
            sequences[doc.id] = doc.sequence
        body = {"eventId": event_id, "eventVersion": EVENT_VERSION, "sequences": sequences, **detail}
        self.staged.append(DomainEvent(event_id=event_id, detail_type=detail_type, detail=body))

    # A document as a list shows it (without lines): the response model, not a second shape.
    def _memo(self, memo: CreditMemo) -> dict[str, Any]:
        view = self._views.get(memo.id)
        if view is None:
            view = self._views[memo.id] = CreditMemoView.of(memo, with_lines=False, with_approval=True).body()
        return view

    def _invoice(self, invoice: Invoice) -> dict[str, Any]:
        view = self._views.get(invoice.id)
        if view is None:
            view = self._views[invoice.id] = InvoiceView.of(invoice, with_lines=False).body()
        return view


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
