"""Invoices, credit memos and application records."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from credit_memos.errors import FieldPath, ValidationError
from credit_memos.limits import MAX_LINES
from credit_memos.money import ZERO

SettlementLevel = Literal["Invoice", "InvoiceLine"]
InvoiceStatus = Literal["Draft", "Posted"]
MemoStatus = Literal["Draft", "Posted", "Voided"]
ApprovalStatus = Literal["NotRequired", "Required", "Approved"]
SourceAction = Literal["Standalone", "Invoice", "NegativeInvoiceLineConversion", "WriteOffPostedInvoice"]
RecordType = Literal["Applied", "Unapplied"]
PaymentRecordType = Literal["Payment", "Reversal"]
YesNo = Literal["Yes", "No", "NA"]
TaxStrategy = Literal["Ignore", "ManualOverride", "CopyFromInvoiceLine"]
# Why a memo was issued, voided or a credit unapplied (spec section 7): the fixed list.
ReasonCode = Literal[
    "BillingError",
    "Goodwill",
    "Duplicate",
    "ProductReturn",
    "ServiceIssue",
    "PriceChange",
    "Cancellation",
    "Other",
]
# A write-off's reason (spec section 10), shown by the memos and records it writes.
WriteOffReasonCode = Literal[ReasonCode, "BadDebt"]
# The digits of a document number's sequence part, at least (CM-00000001).
DOCUMENT_NUMBER_DIGITS = 8


@dataclass
class InvoiceLine:
    """One line of an invoice, with its open balance and the credits applied to it."""

    id: str
    charge_amount: Decimal
    tax_amount: Decimal
    amount_with_tax: Decimal
    balance: Decimal
    net_credits_applied: Decimal = ZERO
    converted_neg_amount: Decimal = ZERO
    # Unreversed payments allocated to this line (level InvoiceLine; spec section 8). None until a
    # payment first touches the line, so the lines of an invoice never paid at line level (and
    # items written before payments) store nothing for it: 300 lines would carry ~7 KB of zeros.
    net_payments_applied: Decimal | None = None
    # What credit memos created from this line have credited so far: bounds later
    # credits, and makes prorated tax add up to exactly the line's tax.
    credited_charge_amount: Decimal = ZERO
    credited_tax_amount: Decimal = ZERO
    # The part of those credited with taxStrategy CopyFromInvoiceLine (invoice_credit.prorated_tax).
    copy_credited_charge_amount: Decimal = ZERO
    copy_credited_tax_amount: Decimal = ZERO
    product_id: str | None = None
    product_name: str | None = None
    description: str | None = None

    @property
    def is_negative(self) -> bool:
        return self.amount_with_tax < 0

    @property
    def payments_applied(self) -> Decimal:
        return self.net_payments_applied if self.net_payments_applied is not None else ZERO

    @property
    def is_converted(self) -> bool:
        return self.converted_neg_amount != 0

    @property
    def credited_amount(self) -> Decimal:
        """The charge credited from the line by unvoided memos of actions/credit and by its
        conversion (a negative line's: negative, like its charge)."""
        return self.credited_charge_amount + self.converted_neg_amount

    @property
    def left_to_credit(self) -> Decimal:
        """What actions/credit may still take from the line's charge (negative for a negative line)."""
        return self.charge_amount - self.credited_charge_amount


@dataclass
class Invoice:
    """An invoice as stored: its lines, totals, balance, status and version."""

    id: str
    billing_account_id: str
    currency: str
    status: InvoiceStatus
    settlement_level: SettlementLevel
    invoice_date: str
    due_date: str | None
    lines: list[InvoiceLine]
    total_charge_amount: Decimal
    total_tax_amount: Decimal
    total_amount_with_tax: Decimal
    balance: Decimal
    net_credits_applied: Decimal = ZERO
    total_converted_neg_amount: Decimal = ZERO
    # Unreversed payments recorded against it (spec section 8); 0 on invoices stored before.
    net_payments_applied: Decimal = ZERO
    created_at: str = ""
    updated_at: str = ""
    # Optimistic concurrency: every write is conditional on the version it read.
    version: int = 0
    # Per-document event sequence number (domain events carry it).
    sequence: int = 0
    # Who created it (spec section 7); None on documents written before it was recorded.
    created_by: str | None = None
    # Set on a document read from a list, whose lines are not read: how many it has.
    listed_line_count: int | None = None

    @property
    def line_count(self) -> int:
        return len(self.lines) if self.listed_line_count is None else self.listed_line_count

    @property
    def settlement_status(self) -> str:
        if self.balance == 0:
            return "Settled"
        settled_some = self.net_credits_applied > 0 or self.net_payments_applied > 0
        return "PartiallySettled" if settled_some else "NotSettled"

    def line(self, line_id: str) -> InvoiceLine | None:
        return next((line for line in self.lines if line.id == line_id), None)

    def distinct_lines(self, line_ids: Sequence[str], field: FieldPath) -> list[InvoiceLine]:
        """The named lines, each named once; an unknown or repeated id is a ValidationError."""
        seen: set[str] = set()
        lines: list[InvoiceLine] = []
        for index, line_id in enumerate(line_ids):
            line = self.line(line_id)
            if line is None:
                raise ValidationError(f"invoice {self.id} has no line {line_id}", field=(*field, index))
            if line_id in seen:
                raise ValidationError(f"line {line_id} is named twice", field=(*field, index))
            seen.add(line_id)
            lines.append(line)
        return lines


@dataclass
class TaxDetail:
    """One tax of a credit memo line."""

    tax_amount: Decimal
    tax_code: str | None = None
    tax_name: str | None = None
    tax_rate: Decimal | None = None


@dataclass
class CreditMemoLine:
    """One line of a credit memo, with its unapplied balance."""

    id: str
    type: Literal["Charge", "Adjustment"]
    charge_amount: Decimal
    tax_amount: Decimal
    amount_with_tax: Decimal
    balance: Decimal
    net_credits_applied: Decimal = ZERO
    net_refunds: Decimal = ZERO  # unreversed refunds drawn from this line
    reference_invoice_line_id: str | None = None
    product_id: str | None = None
    product_name: str | None = None
    description: str | None = None
    taxes: list[TaxDetail] = field(default_factory=list)


@dataclass
class CreditMemo:
    """A credit memo as stored: its lines, totals, balance, status, number and version."""

    id: str
    billing_account_id: str
    currency: str
    status: MemoStatus
    source_action: SourceAction
    effective_date: str
    lines: list[CreditMemoLine]
    total_charge_amount: Decimal
    total_tax_amount: Decimal
    total_amount_with_tax: Decimal
    balance: Decimal
    net_credits_applied: Decimal = ZERO
    net_refunds: Decimal = ZERO  # unreversed refunds; 0 on memos stored before
    reference_invoice_id: str | None = None
    description: str | None = None
    external_reference: str | None = None
    # The taxStrategy of a memo made by actions/credit (None otherwise, and on older items).
    tax_strategy: TaxStrategy | None = None
    created_at: str = ""
    updated_at: str = ""
    version: int = 0
    sequence: int = 0
    # Spec section 7: the number it got when it became Posted (None for a Draft, and for memos
    # posted before numbering existed), why it was issued and voided, and by whom.
    document_number: str | None = None
    reason_code: WriteOffReasonCode | None = None
    void_reason_code: ReasonCode | None = None
    created_by: str | None = None
    voided_by: str | None = None
    listed_line_count: int | None = None  # as on Invoice
    # Spec section 9: whether posting it needs a second person's approval, who gave it, and who
    # posted it when (None on memos posted before these were recorded).
    approval_status: ApprovalStatus = "NotRequired"
    approved_by: str | None = None
    posted_by: str | None = None
    posted_at: str | None = None

    @property
    def line_count(self) -> int:
        return len(self.lines) if self.listed_line_count is None else self.listed_line_count

    def line(self, line_id: str) -> CreditMemoLine | None:
        return next((line for line in self.lines if line.id == line_id), None)


@dataclass
class ApplicationRecord:
    """One Applied or Unapplied record, at invoice level or invoice-line level."""

    id: str
    level: SettlementLevel
    type: RecordType
    amount: Decimal
    credit_memo_id: str
    invoice_id: str
    effective_date: str
    recorded_at: str  # appliedDate or unappliedDate, by type
    has_been_unapplied: YesNo
    credit_memo_balance: Decimal
    invoice_balance: Decimal
    credit_memo_line_id: str | None = None
    invoice_line_id: str | None = None
    credit_memo_line_balance: Decimal | None = None
    invoice_line_balance: Decimal | None = None
    associated_application_id: str | None = None
    description: str | None = None
    # An Applied record once unapplied: when; an Unapplied record: its Applied record's recorded_at.
    unapplied_at: str | None = None
    applied_at: str | None = None
    reason_code: WriteOffReasonCode | None = None
    created_by: str | None = None

    @property
    def applied_date(self) -> str | None:
        return self.recorded_at if self.type == "Applied" else self.applied_at

    @property
    def unapplied_date(self) -> str | None:
        return self.recorded_at if self.type == "Unapplied" else self.unapplied_at


@dataclass
class ApplicationEntry:
    """All records one write made for one (memo, invoice) pair; one item in storage.

    Grouping keeps a 300-line application inside one transaction (100 items at most).
    A record's id is ``{entry.id}.{index}``.
    """

    id: str
    credit_memo_id: str
    invoice_id: str
    level: SettlementLevel
    currency: str
    created_at: str
    records: list[ApplicationRecord]
    version: int = 0
    # Position among the entries one request wrote (same created_at): orders the history.
    ordinal: int = 0

    def record(self, record_id: str) -> ApplicationRecord | None:
        return next((r for r in self.records if r.id == record_id), None)


@dataclass
class PaymentAllocation:
    """The part of a payment (or of its reversal) on one invoice line (level InvoiceLine)."""

    invoice_line_id: str
    amount: Decimal


@dataclass
class InvoicePayment:
    """One Payment or Reversal record of an invoice (spec section 8); one item in storage.

    Append-only like application records: a reversal never edits the payment's amount, it
    writes a Reversal record and flips ``has_been_reversed`` to Yes.
    """

    id: str
    type: PaymentRecordType
    invoice_id: str
    currency: str
    level: SettlementLevel  # the invoice's: line allocations only at InvoiceLine
    amount: Decimal
    payment_reference: str
    effective_date: str
    created_at: str
    has_been_reversed: YesNo  # Yes|No on a Payment, NA on a Reversal
    invoice_balance: Decimal  # the invoice's balance right after this record
    line_allocations: list[PaymentAllocation] = field(default_factory=list)
    associated_payment_id: str | None = None  # on a Reversal: the payment it reverses
    description: str | None = None
    reason_code: ReasonCode | None = None
    created_by: str | None = None
    # A Payment once reversed: when; a Reversal: its own created_at.
    reversed_at: str | None = None
    # The invoice's event sequence number of the write that made it: an invoice's records list
    # in commit order, even two written in the same millisecond (a payment and its reversal).
    sequence: int = 0
    version: int = 0


@dataclass
class PaymentReferenceClaim:
    """An invoice's payment reference, held by its unreversed payment (``payment_id``).

    Created (or taken over, if freed) in the payment's own transaction and freed
    (``payment_id`` None) by its reversal's, conditional on the version read like a document:
    two racing payments with one reference cannot both commit.
    """

    invoice_id: str
    reference: str
    payment_id: str | None
    version: int = 0

    @property
    def id(self) -> str:
        return claim_id(self.invoice_id, self.reference)


def claim_id(invoice_id: str, reference: str) -> str:
    return f"{invoice_id}#{reference}"


@dataclass
class NumberSeries:
    """The deployment's series of credit memo numbers: the last number issued under ``prefix``.

    One item, written in the transaction of every posting, conditional on the version read
    (version 0: the series does not exist yet), so two postings can never take the same number
    and a posting that does not commit takes none.
    """

    prefix: str
    last: int = 0
    version: int = 0

    def next_number(self) -> str:
        self.last += 1
        return f"{self.prefix}{self.last:0{DOCUMENT_NUMBER_DIGITS}d}"


def set_created_by(
    created: Sequence[Invoice | CreditMemo | ApplicationEntry],
    actor: str | None,
    reason_code: WriteOffReasonCode | None = None,
) -> None:
    """Who created these documents and records, and why (records and memos take the reason); a
    memo posted as it was created was posted by its creator."""
    for doc in created:
        if isinstance(doc, ApplicationEntry):
            for record in doc.records:
                record.created_by = record.created_by or actor
                record.reason_code = record.reason_code or reason_code
            continue
        doc.created_by = doc.created_by or actor
        if isinstance(doc, CreditMemo):
            doc.reason_code = doc.reason_code or reason_code
            if doc.posted_at is not None:
                doc.posted_by = doc.posted_by or actor


def check_line_count(count: int, field: FieldPath) -> None:
    if not 1 <= count <= MAX_LINES:
        raise ValidationError(f"must have between 1 and {MAX_LINES} entries", field=field)


def record_id(entry_id: str, index: int) -> str:
    return f"{entry_id}.{index}"


def entry_id_of(record_id_: str) -> str | None:
    entry_id, sep, index = record_id_.rpartition(".")
    return entry_id if sep and entry_id and index.isdigit() else None
