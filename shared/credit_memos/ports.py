"""The storage port: what the use cases need from storage, and the signals storage gives back.

The DynamoDB adapter implements ``Repository``; the tests' in-memory fake does too. Domain code
never sees boto3.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

from credit_memos.domain.documents import (
    ApplicationEntry,
    CreditMemo,
    Invoice,
    InvoicePayment,
    NumberSeries,
    PaymentReferenceClaim,
)
from credit_memos.domain.events import DomainEvent
from credit_memos.domain.journal import Balances, JournalEntry
from credit_memos.domain.periods import AccountingPeriod, BooksLock
from credit_memos.domain.profiles import BillingAccountProfile, ProfileRevision
from credit_memos.domain.refunds import CreditMemoRefund, RefundReferenceClaim
from credit_memos.errors import NotFound

if TYPE_CHECKING:
    from credit_memos.domain.summary import AccountTotals

Document: TypeAlias = Invoice | CreditMemo | ApplicationEntry
# What a unit of work writes: the documents, the payment and refund records and their reference
# claims (spec sections 8 and 10), and billing account profiles with their revisions (section 12),
# each versioned like a document.
Stored: TypeAlias = (
    Document
    | InvoicePayment
    | PaymentReferenceClaim
    | CreditMemoRefund
    | RefundReferenceClaim
    | BillingAccountProfile
    | ProfileRevision
)


@dataclass
class IdempotencyRecord:
    """The committed response of one mutation, written in the mutation's own transaction."""

    operation: str
    key: str
    fingerprint: str
    status_code: int
    body: dict[str, Any]
    created_at: str
    expires_at: int  # epoch seconds; DynamoDB TTL removes it some time after
    # Set when the request was rejected for a reason a retry would meet again: the record then
    # holds that error (``body`` = {message, field}) instead of a response.
    error_code: str | None = None
    # ``body`` as the API's JSON text (``views.json_text``), when the caller has it already: the
    # adapter may store it instead of encoding the body again (not stored itself).
    body_json: str | None = field(default=None, compare=False, repr=False)


@dataclass
class Changes:
    """Everything one request changes; committed all-or-nothing."""

    creates: list[Stored] = field(default_factory=list)
    # Written conditional on the version they were read at; stored with version + 1.
    updates: list[Stored] = field(default_factory=list)
    idempotency: IdempotencyRecord | None = None
    events: list[DomainEvent] = field(default_factory=list)
    # The number series, when this write numbered a memo: written conditional on the version
    # read (0: created), stored with version + 1, in the same transaction.
    series: NumberSeries | None = None
    # How the updated documents were stored when read (``Snapshot.stored``), so that the
    # repository rewrites only what changed; a document without one is written whole.
    stored: dict[str, Any] = field(default_factory=dict)
    # The journal entries of the events (``domain.journal``), written with them; the write is
    # refused with PERIOD_CLOSED if the books are closed through the earliest entry's month.
    journal: list[JournalEntry] = field(default_factory=list)
    # A close or reopen: the books' lock, written conditional on the version read, and the
    # period's record, conditional on its own.
    books: BooksLock | None = None
    period: AccountingPeriod | None = None


@dataclass
class Snapshot:
    """What one read found: documents by id, entries, the idempotency record and the series."""

    invoices: dict[str, Invoice] = field(default_factory=dict)
    memos: dict[str, CreditMemo] = field(default_factory=dict)
    entries: dict[str, ApplicationEntry] = field(default_factory=dict)
    idempotency: IdempotencyRecord | None = None
    # The series read (read(series=prefix)); version 0 if it has issued no number yet.
    series: NumberSeries | None = None
    payments: dict[str, InvoicePayment] = field(default_factory=dict)
    # Payment reference claims by ``claim_id(invoice_id, reference)``; absent if never used.
    claims: dict[str, PaymentReferenceClaim] = field(default_factory=dict)
    # The books' lock (read(books=True); version 0 if never written) and the period records read.
    books: BooksLock | None = None
    periods: dict[str, AccountingPeriod] = field(default_factory=dict)
    refunds: dict[str, CreditMemoRefund] = field(default_factory=dict)
    # Refund reference claims by ``refund_claim_id(memo_id, reference)``; absent if never used.
    refund_claims: dict[str, RefundReferenceClaim] = field(default_factory=dict)
    # Billing account profiles by account id; absent if never set.
    profiles: dict[str, BillingAccountProfile] = field(default_factory=dict)
    # The repository's own record of how each document read is stored (by document id), handed
    # back with the changes (``Changes.stored``); opaque to the use cases.
    stored: dict[str, Any] = field(default_factory=dict)

    def invoice(self, invoice_id: str) -> Invoice:
        """The invoice read, or NOT_FOUND."""
        return _found(self.invoices.get(invoice_id), "invoice", invoice_id)

    def memo(self, memo_id: str) -> CreditMemo:
        """The credit memo read, or NOT_FOUND."""
        return _found(self.memos.get(memo_id), "credit memo", memo_id)

    def payment(self, payment_id: str) -> InvoicePayment:
        """The payment record read, or NOT_FOUND."""
        return _found(self.payments.get(payment_id), "invoice payment", payment_id)

    def refund(self, refund_id: str) -> CreditMemoRefund:
        """The refund record read, or NOT_FOUND."""
        return _found(self.refunds.get(refund_id), "credit memo refund", refund_id)

    def profile(self, billing_account_id: str) -> BillingAccountProfile:
        """The account's profile read, or NOT_FOUND."""
        return _found(self.profiles.get(billing_account_id), "profile of billing account", billing_account_id)


def _found[T](found: T | None, what: str, ident: str) -> T:
    if found is None:
        raise NotFound(f"{what} {ident} does not exist")
    return found


@dataclass
class Page:
    """One page of a list and the token of the next, if any."""

    items: list[Any]
    next_token: str | None


class ConflictingWrite(Exception):
    """Another writer changed a document since it was read: re-read and try again."""


class IdempotencyRecordExists(Exception):
    """A concurrent or earlier request with the same key committed first."""


class Repository(Protocol):
    def read(
        self,
        *,
        invoice_ids: Sequence[str] = (),
        memo_ids: Sequence[str] = (),
        entry_ids: Sequence[str] = (),
        idempotency: tuple[str, str] | None = None,
        consistent: bool = True,
        series: str | None = None,
        payment_ids: Sequence[str] = (),
        payment_references: Sequence[tuple[str, str]] = (),
        books: bool = False,
        periods: Sequence[str] = (),
        refund_ids: Sequence[str] = (),
        refund_references: Sequence[tuple[str, str]] = (),
        profile_ids: Sequence[str] = (),
    ) -> Snapshot:
        """The named items that exist; ``payment_references`` are (invoice id, reference) pairs,
        ``refund_references`` (memo id, reference) pairs, ``profile_ids`` billing account ids."""
        ...

    def commit(self, changes: Changes) -> None: ...

    def list_invoices(
        self, billing_account_id: str, status: str | None, limit: int, next_token: str | None
    ) -> Page: ...

    def list_credit_memos(
        self,
        billing_account_id: str,
        status: str | None,
        limit: int,
        next_token: str | None,
        reason_code: str | None = None,
    ) -> Page: ...

    def find_credit_memo_id(self, document_number: str) -> str | None:
        """The id of the memo with this number (the sparse index; eventually consistent)."""
        ...

    def list_application_entries(
        self, *, credit_memo_id: str | None, invoice_id: str | None, limit: int, next_token: str | None
    ) -> Page: ...

    def read_account_summary(self, billing_account_id: str) -> AccountTotals | None:
        """The account's summary as the stream consumer keeps it (one eventually consistent
        read), or None if no change of the account's documents has been applied yet."""

    def list_invoice_payments(self, invoice_id: str, limit: int, next_token: str | None) -> Page:
        """An invoice's Payment and Reversal records, oldest first (an index; eventually consistent)."""
        ...

    def list_journal(
        self,
        *,
        first_day: str,
        last_day: str,
        billing_account_id: str | None,
        limit: int,
        next_token: str | None,
    ) -> Page:
        """Journal entries by entryDate (inclusive), oldest first: all accounts (the date shards,
        merged) or one account (its index partition)."""
        ...

    def read_period_balances(
        self, period: str, version: int, currency: str, billing_account_id: str | None
    ) -> Balances | None:
        """The balances frozen at the end of ``period`` while its record had ``version`` (all
        accounts or one), or None if they were not frozen then."""
        ...

    def read_all_period_balances(
        self, period: str, version: int
    ) -> dict[tuple[str, str | None], Balances] | None:
        """Every balance frozen at the end of ``period`` at ``version``, or None."""
        ...

    def write_period_balances(
        self, period: str, version: int, balances: dict[tuple[str, str | None], Balances]
    ) -> None:
        """Freeze the balances at the end of ``period`` (its record at ``version``), by (currency,
        billing account or None for all)."""

    def list_memo_refunds(self, credit_memo_id: str, limit: int, next_token: str | None) -> Page:
        """A memo's Refund and Reversal records, oldest first (an index; eventually consistent)."""
        ...

    def list_profile_revisions(self, billing_account_id: str, limit: int, next_token: str | None) -> Page:
        """Every revision of the account's profile, oldest first (consistent)."""
        ...


class DocumentArchive(Protocol):
    """Where issued credit note documents are kept unchanged (spec section 12): an object, once
    stored under a key, is never replaced."""

    def get(self, key: str) -> bytes | None:
        """The bytes stored under ``key``, or None."""
        ...

    def put_new(self, key: str, content: bytes, content_type: str) -> bytes:
        """Store ``content`` under ``key`` unless something is stored there already, and return
        what is stored there now: of two racing first writes, both get the one that won."""
        ...
