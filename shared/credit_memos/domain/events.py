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

from credit_memos.domain.documents import ApplicationEntry, CreditMemo, Invoice, InvoicePayment
from credit_memos.domain.refunds import CreditMemoRefund
from credit_memos.money import format_amount
from credit_memos.views import CreditMemoRefundView, CreditMemoView, InvoicePaymentView, InvoiceView
from credit_memos.views.events import (
    EVENT_VERSION,
    AccountingPeriodClosed,
    AccountingPeriodReopened,
    ApplicationSummary,
    CreditApplied,
    CreditMemoCreated,
    CreditMemoPosted,
    CreditMemoRefunded,
    CreditMemoVoided,
    CreditUnapplied,
    EventDetail,
    InvoiceCreated,
    InvoicePosted,
    NegativeInvoiceLinesConverted,
    PaymentRecorded,
    PaymentReversed,
    RefundReversed,
)

__all__ = ["EVENT_VERSION", "SOURCE", "DomainEvent", "EventLog"]

SOURCE = "credit-memos"


@dataclass
class DomainEvent:
    """An event a change emits (written to the outbox in the same transaction)."""

    event_id: str
    detail_type: str
    detail: dict[str, Any]


class EventLog:
    """The events of one change, in the order they happened, each with an id of the request's.

    Each detail is built by its model (credit_memos.views.events), whose name is the detail type.
    Each document's list view is built once per change, however many events carry it (an apply
    to several invoices carries its memo in each).
    """

    def __init__(self, new_id: Callable[[str], str]) -> None:
        self._new_id = new_id
        self._memos: dict[str, CreditMemoView] = {}
        self._invoices: dict[str, InvoiceView] = {}
        self.staged: list[DomainEvent] = []

    def invoice_created(self, invoice: Invoice) -> None:
        self._add(InvoiceCreated, [invoice], invoice=self._invoice(invoice))

    def invoice_posted(self, invoice: Invoice) -> None:
        self._add(InvoicePosted, [invoice], invoice=self._invoice(invoice))

    def memo_created(self, memo: CreditMemo) -> None:
        self._add(CreditMemoCreated, [memo], credit_memo=self._memo(memo))

    def memo_posted(self, memo: CreditMemo) -> None:
        self._add(CreditMemoPosted, [memo], credit_memo=self._memo(memo))

    def memo_voided(self, memo: CreditMemo) -> None:
        self._add(CreditMemoVoided, [memo], credit_memo=self._memo(memo))

    def credit_moved(self, memo: CreditMemo, invoice: Invoice, entry: ApplicationEntry) -> None:
        """CreditApplied or CreditUnapplied, by the entry's record type."""
        kind = CreditApplied if entry.records[0].type == "Applied" else CreditUnapplied
        total = sum((r.amount for r in entry.records), start=memo.balance * 0)
        self._add(
            kind,
            [memo, invoice],
            credit_memo=self._memo(memo),
            invoice=self._invoice(invoice),
            level=entry.level,
            amount=format_amount(total, memo.currency),
            # The full records are one GET .../applications away.
            applications=[ApplicationSummary.of(r, memo.currency) for r in entry.records],
        )

    def lines_converted(self, invoice: Invoice, memo: CreditMemo) -> None:
        self._add(
            NegativeInvoiceLinesConverted,
            [invoice, memo],
            invoice=self._invoice(invoice),
            credit_memo=self._memo(memo),
            invoice_line_ids=[line.reference_invoice_line_id for line in memo.lines],
            converted_amount=format_amount(memo.total_amount_with_tax, memo.currency),
        )

    def payment_moved(self, invoice: Invoice, record: InvoicePayment) -> None:
        """PaymentRecorded or PaymentReversed, by the record's type: the invoice and the record."""
        kind = PaymentRecorded if record.type == "Payment" else PaymentReversed
        self._add(kind, [invoice], invoice=self._invoice(invoice), payment=InvoicePaymentView.of(record))

    def period_changed(self, period: str, closed_through: str | None, reason_code: str | None = None) -> None:
        """AccountingPeriodClosed, or AccountingPeriodReopened when it has a reason."""
        kind = AccountingPeriodReopened if reason_code is not None else AccountingPeriodClosed
        fields = {"reason_code": reason_code} if reason_code is not None else {}
        self._add(kind, [], period=period, closed_through=closed_through, **fields)

    def refund_moved(self, memo: CreditMemo, record: CreditMemoRefund) -> None:
        """CreditMemoRefunded or RefundReversed, by the record's type: the memo and the record."""
        kind = CreditMemoRefunded if record.type == "Refund" else RefundReversed
        self._add(kind, [memo], credit_memo=self._memo(memo), refund=CreditMemoRefundView.of(record))

    def _add(self, kind: type[EventDetail], docs: list[Invoice | CreditMemo], **fields: Any) -> None:
        event_id = self._new_id("evt")
        sequences = {}
        for doc in docs:
            doc.sequence += 1
            sequences[doc.id] = doc.sequence
        # createdBy in its place, null until the unit of work sets it at commit (it knows who then).
        detail = kind(
            event_id=event_id, event_version=EVENT_VERSION, sequences=sequences, created_by=None, **fields
        )
        self.staged.append(DomainEvent(event_id=event_id, detail_type=kind.__name__, detail=detail.body()))

    # A document without its lines: the response model, not a second shape.
    def _memo(self, memo: CreditMemo) -> CreditMemoView:
        view = self._memos.get(memo.id)
        if view is None:
            view = self._memos[memo.id] = CreditMemoView.of(memo, with_lines=False, with_approval=True)
        return view

    def _invoice(self, invoice: Invoice) -> InvoiceView:
        view = self._invoices.get(invoice.id)
        if view is None:
            view = self._invoices[invoice.id] = InvoiceView.of(invoice, with_lines=False)
        return view
