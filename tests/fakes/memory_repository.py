"""An in-memory ``Repository`` that honours the conditions the DynamoDB adapter enforces.

What it honours (``tests/contract/test_repository_contract.py`` runs the same scenarios
against this fake and against ``DynamoDbRepository`` on moto):

- a create is ``attribute_not_exists``: a document that exists already is a ``ConflictingWrite``;
- an update is conditional on the version it was read at and is stored with version + 1 (the
  caller's document is bumped too, as the adapter does); a missing or changed document is a
  ``ConflictingWrite``;
- an idempotency record is written only if its key is free or its record expired; otherwise
  ``IdempotencyRecordExists``, which wins over any other failed condition of the same commit;
- a commit is all-or-nothing: when any condition fails, nothing of it is stored;
- the number series is written conditional on the version read (0: it must not exist yet), stored
  with version + 1, in the commit's all-or-nothing;
- a ``reason_code`` filter applies to the page read, as DynamoDB's FilterExpression does (a page
  may come back short, even empty, with a token);
- ``read`` treats an expired idempotency record as absent; it is always consistent;
- lists come in the indexes' order (the adapter's own sort keys), ``limit`` at a time, with
  tokens in the adapter's format; a garbled or foreign token is the adapter's ``ValidationError``.

What it does not model: how documents are laid out in items (line chunks), so neither the item
size limit nor the item count of a transaction (the adapter's own tests cover them on moto and
DynamoDB Local); eventual consistency of the indexes, DynamoDB's 1 MB page cap, throttling, and
where the outbox rides (events are kept in ``events``, in commit order).

Everything stored or returned is a deep copy, so a caller cannot change stored state by
mutating what it wrote or read. ``before_commit`` hooks run before each top-level commit (not
before commits they make themselves): a hook that writes plays the writer that wins a race.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from typing import Any

from credit_memos.adapters.dynamodb.document_items import stored_item
from credit_memos.adapters.dynamodb.keys import (
    account_partition,
    history_partition,
    payments_partition,
    profile_key,
    profile_revision_key,
    refunds_partition,
)
from credit_memos.adapters.dynamodb.summary_store import document_state
from credit_memos.adapters.dynamodb.tokens import (
    decode_token,
    encode_token,
    invalid_token,
)
from credit_memos.domain.documents import (
    ApplicationEntry,
    CreditMemo,
    Invoice,
    InvoicePayment,
    NumberSeries,
    PaymentReferenceClaim,
    claim_id,
)
from credit_memos.domain.events import DomainEvent
from credit_memos.domain.journal import Balances, JournalEntry
from credit_memos.domain.periods import AccountingPeriod, BooksLock, period_closed_message
from credit_memos.domain.profiles import BillingAccountProfile, ProfileRevision
from credit_memos.domain.refunds import CreditMemoRefund, RefundReferenceClaim, refund_claim_id
from credit_memos.domain.summary import AccountTotals, summarize
from credit_memos.errors import InternalError, PeriodClosed, ValidationError
from credit_memos.ports import (
    Changes,
    ConflictingWrite,
    IdempotencyRecord,
    IdempotencyRecordExists,
    Page,
    Snapshot,
    Stored,
)

_KINDS: dict[type, str] = {
    Invoice: "invoice",
    CreditMemo: "memo",
    ApplicationEntry: "entry",
    InvoicePayment: "payment",
    PaymentReferenceClaim: "claim",
    CreditMemoRefund: "refund",
    RefundReferenceClaim: "refund-claim",
    BillingAccountProfile: "profile",
    ProfileRevision: "profile revision",
}

CommitHook = Callable[["MemoryRepository", Changes], None]


def _kind(doc: Stored) -> str:
    return _KINDS[type(doc)]


class _Stored:
    """One document as the table holds it: the document and its item's key attributes."""

    __slots__ = ("doc", "keys")

    def __init__(self, doc: Stored) -> None:
        self.doc = copy.deepcopy(doc)
        item = stored_item(doc)
        # A claim has no index keys, a payment record only GSI4's: they are "" here (no partition).
        names = ("pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk")
        self.keys = {name: item.get(name, "") for name in names}


class MemoryRepository:
    """``credit_memos.ports.Repository`` in memory. ``now`` gives epoch seconds (default: wall clock)."""

    def __init__(self, *, now: Callable[[], float] = time.time) -> None:
        self._now = now
        self._documents: dict[tuple[str, str], _Stored] = {}
        self._idempotency: dict[tuple[str, str], IdempotencyRecord] = {}
        self._series: dict[str, NumberSeries] = {}
        self.events: list[DomainEvent] = []
        self.journal: list[JournalEntry] = []
        self._lock = BooksLock()
        self._periods: dict[str, AccountingPeriod] = {}
        self._balances: dict[str, tuple[int, dict[tuple[str, str | None], Balances]]] = {}
        self.before_commit: list[CommitHook] = []
        self.commits = 0  # successful commits
        self._in_hook = False

    # ------------------------------------------------------------ reads

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
        snapshot = Snapshot()
        if books:
            snapshot.books = copy.deepcopy(self._lock)
        snapshot.periods = {p: copy.deepcopy(self._periods[p]) for p in periods if p in self._periods}
        if series is not None:
            snapshot.series = copy.deepcopy(self._series.get(series, NumberSeries(series)))
        for kind, ids, into in (
            ("invoice", invoice_ids, snapshot.invoices),
            ("memo", memo_ids, snapshot.memos),
            ("entry", entry_ids, snapshot.entries),
            ("payment", payment_ids, snapshot.payments),
            ("claim", [claim_id(*ref) for ref in payment_references], snapshot.claims),
            ("refund", refund_ids, snapshot.refunds),
            ("refund-claim", [refund_claim_id(*ref) for ref in refund_references], snapshot.refund_claims),
            ("profile", profile_ids, snapshot.profiles),
        ):
            for ident in dict.fromkeys(ids):
                stored = self._documents.get((kind, ident))
                if stored is not None:
                    into[ident] = copy.deepcopy(stored.doc)  # type: ignore[assignment]
        if idempotency is not None:
            record = self._idempotency.get(idempotency)
            if record is not None and not self._expired(record):
                snapshot.idempotency = copy.deepcopy(record)
        return snapshot

    def _expired(self, record: IdempotencyRecord) -> bool:
        # The adapter's condition: a record with expiresAt < now no longer holds its key.
        return record.expires_at < int(self._now())

    # ------------------------------------------------------------ writes

    def commit(self, unit: Changes) -> None:
        if self.before_commit and not self._in_hook:
            self._in_hook = True
            try:
                for hook in list(self.before_commit):
                    hook(self, unit)
            finally:
                self._in_hook = False
        self._check_shape(unit)
        failed = [self._fails_create(doc) for doc in unit.creates]
        failed += [self._fails_update(doc) for doc in unit.updates]
        if unit.series is not None:
            held_series = self._series.get(unit.series.prefix)
            failed.append((held_series.version if held_series else 0) != unit.series.version)
        record = unit.idempotency
        if record is not None:
            held = self._idempotency.get((record.operation, record.key))
            if held is not None and not self._expired(held):
                raise IdempotencyRecordExists
        if unit.books is not None:
            failed.append(unit.books.version != self._lock.version)
        if unit.period is not None:
            held_period = self._periods.get(unit.period.period)
            failed.append((held_period.version if held_period else 0) != unit.period.version)
        if unit.journal:
            earliest = min(entry.period for entry in unit.journal)
            if self._lock.is_closed(earliest):
                raise PeriodClosed(period_closed_message(earliest))
        if any(failed):
            raise ConflictingWrite
        # Every condition held: store it all.
        for doc in unit.creates:
            self._documents[(_kind(doc), doc.id)] = _Stored(doc)
        for doc in unit.updates:
            stored = _Stored(doc)
            stored.doc.version = doc.version + 1
            self._documents[(_kind(doc), doc.id)] = stored
        if record is not None:
            self._idempotency[(record.operation, record.key)] = copy.deepcopy(record)
        if unit.series is not None:
            stored_series = copy.deepcopy(unit.series)
            stored_series.version += 1
            self._series[unit.series.prefix] = stored_series
            unit.series.version += 1
        self.events += copy.deepcopy(unit.events)
        self.journal += copy.deepcopy(unit.journal)
        if unit.books is not None:
            self._lock = copy.deepcopy(unit.books)
            self._lock.version += 1
        if unit.period is not None:
            stored_period = copy.deepcopy(unit.period)
            stored_period.version += 1
            self._periods[unit.period.period] = stored_period
        self.commits += 1
        for doc in unit.updates:
            doc.version += 1

    def _check_shape(self, unit: Changes) -> None:
        keys = [(_kind(doc), doc.id) for doc in [*unit.creates, *unit.updates]]
        if len(set(keys)) != len(keys):
            raise InternalError("internal error")  # DynamoDB refuses it outright

    def _fails_create(self, doc: Stored) -> bool:
        return (_kind(doc), doc.id) in self._documents

    def _fails_update(self, doc: Stored) -> bool:
        stored = self._documents.get((_kind(doc), doc.id))
        return stored is None or stored.doc.version != doc.version

    # ------------------------------------------------------------ queries

    def _query(
        self, index: str, partition: str, limit: int, next_token: str | None, reason_code: str | None = None
    ) -> Page:
        pk_name, sk_name = ("gsi1pk", "gsi1sk") if index == "GSI1" else ("gsi2pk", "gsi2sk")

        def position(keys: dict[str, str]) -> tuple[str, str, str]:
            return keys[sk_name], keys["pk"], keys["sk"]

        matching = sorted(
            (s for s in self._documents.values() if s.keys[pk_name] == partition),
            key=lambda s: position(s.keys),
        )
        if next_token is not None:
            start = decode_token(next_token, partition)
            if set(start) != {"pk", "sk", pk_name, sk_name} or start[pk_name]["S"] != partition:
                raise invalid_token()
            after = position({name: value["S"] for name, value in start.items()})
            matching = [s for s in matching if position(s.keys) > after]
        page = matching[:limit]
        token = None
        if len(page) == limit:
            # DynamoDB hands back a start key whenever it stopped at the limit, even if
            # nothing follows (the next page is then empty).
            last = {name: {"S": page[-1].keys[name]} for name in ("pk", "sk", pk_name, sk_name)}
            token = encode_token(last, partition)
        docs = [s.doc for s in page]
        if reason_code is not None:
            docs = [d for d in docs if getattr(d, "reason_code", None) == reason_code]
        return Page([copy.deepcopy(d) for d in docs], token)

    def list_invoices(
        self, billing_account_id: str, status: str | None, limit: int, next_token: str | None
    ) -> Page:
        index = "GSI1" if status is None else "GSI2"
        return self._query(index, account_partition("INVOICE", billing_account_id, status), limit, next_token)

    def list_credit_memos(
        self,
        billing_account_id: str,
        status: str | None,
        limit: int,
        next_token: str | None,
        reason_code: str | None = None,
    ) -> Page:
        index = "GSI1" if status is None else "GSI2"
        partition = account_partition("MEMO", billing_account_id, status)
        return self._query(index, partition, limit, next_token, reason_code)

    def find_credit_memo_id(self, document_number: str) -> str | None:
        return next(
            (
                s.doc.id
                for s in self._documents.values()
                if isinstance(s.doc, CreditMemo) and s.doc.document_number == document_number
            ),
            None,
        )

    def list_application_entries(
        self, *, credit_memo_id: str | None, invoice_id: str | None, limit: int, next_token: str | None
    ) -> Page:
        if credit_memo_id is not None:
            return self._query("GSI1", history_partition("MEMO", credit_memo_id), limit, next_token)
        return self._query("GSI2", history_partition("INVOICE", invoice_id or ""), limit, next_token)

    def read_account_summary(self, billing_account_id: str) -> AccountTotals | None:
        """The summary the stream consumer converges to: the exact sums over the stored documents
        (the fake has no stream, so it is never behind); None for an account with no document."""
        states = [
            document_state(s.doc)
            for s in self._documents.values()
            if isinstance(s.doc, Invoice | CreditMemo) and s.doc.billing_account_id == billing_account_id
        ]
        return summarize(states, billing_account_id) if states else None

    def list_invoice_payments(self, invoice_id: str, limit: int, next_token: str | None) -> Page:
        return self._query("GSI2", payments_partition(invoice_id), limit, next_token)

    def list_journal(
        self,
        *,
        first_day: str,
        last_day: str,
        billing_account_id: str | None,
        limit: int,
        next_token: str | None,
    ) -> Page:
        """The adapter's order (entryDate, recordedAt, id); the token is the last position given."""
        query = f"{first_day}|{last_day}|{billing_account_id or ''}"

        def position(entry: JournalEntry) -> str:
            return f"{entry.entry_date}#{entry.recorded_at}#{entry.id}"

        matching = sorted(
            (
                e
                for e in self.journal
                if first_day <= e.entry_date <= last_day
                and (billing_account_id is None or e.billing_account_id == billing_account_id)
            ),
            key=position,
        )
        if next_token is not None:
            held_query, _, after = next_token.partition("@")
            if held_query != query:
                raise ValidationError("is not valid for this query", field=("next_token",))
            matching = [e for e in matching if position(e) > after]
        page = matching[:limit]
        token = f"{query}@{position(page[-1])}" if len(matching) > limit else None
        return Page(copy.deepcopy(page), token)

    def read_period_balances(
        self, period: str, version: int, currency: str, billing_account_id: str | None
    ) -> Balances | None:
        frozen = self.read_all_period_balances(period, version)
        return None if frozen is None else frozen.get((currency, billing_account_id), {})

    def read_all_period_balances(
        self, period: str, version: int
    ) -> dict[tuple[str, str | None], Balances] | None:
        held = self._balances.get(period)
        return copy.deepcopy(held[1]) if held is not None and held[0] == version else None

    def write_period_balances(
        self, period: str, version: int, balances: dict[tuple[str, str | None], Balances]
    ) -> None:
        self._balances[period] = (version, copy.deepcopy(balances))

    def list_memo_refunds(self, credit_memo_id: str, limit: int, next_token: str | None) -> Page:
        return self._query("GSI2", refunds_partition(credit_memo_id), limit, next_token)

    def list_profile_revisions(self, billing_account_id: str, limit: int, next_token: str | None) -> Page:
        """The adapter's consistent Query of the account's profile partition, in its token format."""
        partition = profile_key(billing_account_id)["pk"]
        revisions = sorted(
            (
                (profile_revision_key(billing_account_id, s.doc.profile.revision)["sk"], s.doc.profile)
                for s in self._documents.values()
                if isinstance(s.doc, ProfileRevision)
                and s.doc.profile.billing_account_id == billing_account_id
            ),
            key=lambda pair: pair[0],
        )
        if next_token is not None:
            start = decode_token(next_token, partition)
            if set(start) != {"pk", "sk"} or start["pk"]["S"] != partition:
                raise invalid_token()
            revisions = [pair for pair in revisions if pair[0] > start["sk"]["S"]]
        page = revisions[:limit]
        token = None
        if len(page) == limit:
            token = encode_token({"pk": {"S": partition}, "sk": {"S": page[-1][0]}}, partition)
        return Page(copy.deepcopy([profile for _, profile in page]), token)

    # ------------------------------------------------------------ for tests

    def state(self) -> dict[str, Any]:
        """Everything stored, as plain data: compare before and after to see what a call wrote."""
        return copy.deepcopy(
            {
                "documents": {key: stored.doc for key, stored in self._documents.items()},
                "idempotency": dict(self._idempotency),
                "series": dict(self._series),
                "events": list(self.events),
                "journal": list(self.journal),
                "books": (self._lock, dict(self._periods)),
            }
        )
