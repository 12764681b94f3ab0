"""Use cases: read, apply the domain rules, commit atomically, retry lost races.

Each mutating use case follows one pattern (``_mutate``):
1. one consistent batch read of the documents it needs and, with an idempotency
   key, that key's record;
2. a replay of the stored response if the key was used before (or a mismatch);
3. the domain rule, which validates and then changes the documents in memory;
4. one commit holding every change plus the idempotency record, conditional on the
   versions read; a conflicting writer means back to 1, a bounded number of times.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from credit_memos.domain import events, rules, settlement
from credit_memos.domain.documents import ApplicationEntry, SettlementLevel, entry_id_of
from credit_memos.domain.views import application_view, credit_memo_view, invoice_view
from credit_memos.errors import (
    ConcurrentUpdate,
    IdempotencyKeyInUse,
    IdempotencyKeyMismatch,
    NotFound,
    ValidationError,
)
from credit_memos.ids import IdFactory
from credit_memos.money import minor_units
from credit_memos.ports import (
    ConflictingWrite,
    IdempotencyRecord,
    IdempotencyRecordExists,
    Repository,
    Snapshot,
    UnitOfWork,
)
from credit_memos.settings import Settings

# Apply requests touch 1 memo + N invoices + N entries + idempotency + outbox items,
# and one DynamoDB transaction holds 100 items.
MAX_APPLY_TARGETS = 25
MAX_LINE_APPLY_TARGETS = 50
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
# Settlement planning lists an account's Posted documents page by page, up to this many of each.
MAX_SETTLEMENT_DOCUMENTS = 5000
_LIST_PAGE = 100


@dataclass(frozen=True)
class Idempotency:
    """An idempotency key and the fingerprint of the request it came with."""

    key: str
    fingerprint: str

    @staticmethod
    def for_request(key: str | None, operation: str, request: Any) -> Idempotency | None:
        if key is None:
            return None
        canonical = json.dumps([operation, request], sort_keys=True, separators=(",", ":"), default=str)
        return Idempotency(key, hashlib.sha256(canonical.encode()).hexdigest())


@dataclass
class Outcome:
    status_code: int
    body: dict[str, Any]
    replayed: bool = False


@dataclass(frozen=True)
class ApplyTarget:
    invoice_id: str
    amount: Decimal | None = None
    description: str | None = None
    effective_date: str | None = None


@dataclass(frozen=True)
class LineApplyTarget:
    invoice_id: str
    invoice_line_id: str
    amount: Decimal | None = None
    description: str | None = None
    effective_date: str | None = None


@dataclass(frozen=True)
class CreateInvoiceCommand:
    billing_account_id: str
    currency: str
    lines: Sequence[rules.InvoiceLineInput]
    status: str = "Posted"
    settlement_level: SettlementLevel | None = None
    invoice_date: str | None = None
    due_date: str | None = None


@dataclass(frozen=True)
class CreateCreditMemoCommand:
    billing_account_id: str
    currency: str
    charges: Sequence[rules.MemoChargeInput]
    status: str = "Posted"
    description: str | None = None
    effective_date: str | None = None
    external_reference: str | None = None


@dataclass
class _Attempt:
    """What one try of a mutation produced."""

    unit: UnitOfWork
    status_code: int
    body: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)


def utc_now() -> datetime:
    return datetime.now(UTC)


class CreditMemoService:
    def __init__(
        self,
        repository: Repository,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._repo = repository
        self._settings = settings
        self._clock = clock
        self._sleep = sleep

    # ------------------------------------------------------------ plumbing

    def _timestamps(self) -> tuple[str, str]:
        now = self._clock()
        return now.isoformat(timespec="milliseconds").replace("+00:00", "Z"), now.date().isoformat()

    def _mutate(
        self,
        operation: str,
        idempotency: Idempotency | None,
        read: Callable[[tuple[str, str] | None], Snapshot],
        attempt: Callable[[Snapshot, IdFactory], _Attempt],
    ) -> Outcome:
        key = (operation, idempotency.key) if idempotency else None
        for try_number in range(self._settings.max_conflict_retries + 1):
            snapshot = read(key)
            if idempotency is not None and snapshot.idempotency is not None:
                return self._replay(snapshot.idempotency, idempotency)
            ids = IdFactory(self._id_scope(operation, idempotency) if idempotency else None)
            result = attempt(snapshot, ids)
            if idempotency is not None:
                now = self._clock()
                result.unit.idempotency = IdempotencyRecord(
                    operation=operation,
                    key=idempotency.key,
                    fingerprint=idempotency.fingerprint,
                    status_code=result.status_code,
                    body=result.body,
                    created_at=now.isoformat(),
                    expires_at=int((now + timedelta(hours=self._settings.idempotency_ttl_hours)).timestamp()),
                )
            try:
                self._repo.commit(result.unit)
            except ConflictingWrite:
                self._backoff(try_number)
                continue
            except IdempotencyRecordExists:
                # Same key committed by a concurrent request: answer as a replay.
                stored = self._repo.read(idempotency=key).idempotency
                if stored is None or idempotency is None:  # pragma: no cover - expired in between
                    raise IdempotencyKeyInUse("a request with this Idempotency-Key is in progress") from None
                return self._replay(stored, idempotency)
            return Outcome(result.status_code, result.body)
        raise ConcurrentUpdate("the documents are being changed by other requests; retry later")

    def _id_scope(self, operation: str, idempotency: Idempotency) -> str:
        """Ids derive from the key, so a retry of a write targets the same items.

        A key may be used again once its record has expired, at least a TTL after its first
        use; the scope therefore also names the TTL-long window the request falls in, and a
        reuse after expiry always lands in a later window, with new ids (not the old documents').
        """
        window = int(self._clock().timestamp()) // (self._settings.idempotency_ttl_hours * 3600)
        return f"{operation}\x00{idempotency.key}\x00{window}"

    def _backoff(self, try_number: int) -> None:
        # Full jitter (AWS architecture blog): spreads racing writers apart.
        cap = min(0.5, 0.01 * (2**try_number))
        self._sleep(random.uniform(0, cap))  # noqa: S311 - jitter, not security

    @staticmethod
    def _replay(stored: IdempotencyRecord, idempotency: Idempotency) -> Outcome:
        if stored.fingerprint != idempotency.fingerprint:
            raise IdempotencyKeyMismatch(
                "this Idempotency-Key was used with a different request; use a new key for a new request"
            )
        return Outcome(stored.status_code, stored.body, replayed=True)

    def _read(self, **kwargs: Any) -> Callable[[tuple[str, str] | None], Snapshot]:
        def read(key: tuple[str, str] | None) -> Snapshot:
            return self._repo.read(idempotency=key, consistent=True, **kwargs)

        return read

    @staticmethod
    def _require(found: Any, what: str, ident: str) -> Any:
        if found is None:
            raise NotFound(f"{what} {ident} does not exist")
        return found

    # ------------------------------------------------------------ invoices

    def create_invoice(
        self, command: CreateInvoiceCommand, idempotency: Idempotency | None = None
    ) -> Outcome:
        def attempt(_: Snapshot, ids: IdFactory) -> _Attempt:
            now, today = self._timestamps()
            invoice = rules.create_invoice(
                invoice_id=ids("inv"),
                line_ids=[ids("invl") for _ in command.lines],
                billing_account_id=command.billing_account_id,
                currency=command.currency,
                status=command.status,
                settlement_level=command.settlement_level or self._settings.credit_application_level,
                invoice_date=command.invoice_date or today,
                due_date=command.due_date,
                lines=command.lines,
                now=now,
            )
            unit = UnitOfWork(creates=[invoice], events=[events.invoice_created(ids("evt"), invoice)])
            return _Attempt(unit, 201, invoice_view(invoice))

        return self._mutate("CreateInvoice", idempotency, self._read(), attempt)

    def post_invoice(self, invoice_id: str, idempotency: Idempotency | None = None) -> Outcome:
        def attempt(snapshot: Snapshot, ids: IdFactory) -> _Attempt:
            invoice = self._require(snapshot.invoices.get(invoice_id), "invoice", invoice_id)
            now, _today = self._timestamps()
            rules.post_invoice(invoice, now)
            unit = UnitOfWork(updates=[invoice], events=[events.invoice_posted(ids("evt"), invoice)])
            return _Attempt(unit, 200, invoice_view(invoice))

        return self._mutate("PostInvoice", idempotency, self._read(invoice_ids=[invoice_id]), attempt)

    def get_invoice(self, invoice_id: str) -> dict[str, Any]:
        snapshot = self._repo.read(invoice_ids=[invoice_id], consistent=True)
        return invoice_view(self._require(snapshot.invoices.get(invoice_id), "invoice", invoice_id))

    def list_invoices(
        self, billing_account_id: str, status: str | None, limit: int | None, next_token: str | None
    ) -> dict[str, Any]:
        page = self._repo.list_invoices(billing_account_id, status, _page_size(limit), next_token)
        return {
            "items": [invoice_view(i, with_lines=False) for i in page.items],
            "nextToken": page.next_token,
        }

    # ------------------------------------------------------------ credit memos

    def create_credit_memo(
        self, command: CreateCreditMemoCommand, idempotency: Idempotency | None = None
    ) -> Outcome:
        def attempt(_: Snapshot, ids: IdFactory) -> _Attempt:
            now, today = self._timestamps()
            minor_units(command.currency)  # unknown currency: 422 before any line is read
            lines = [
                rules.build_memo_line(
                    line_id=ids("cml"), currency=command.currency, charge=charge, field=f"charges[{index}]"
                )
                for index, charge in enumerate(command.charges)
            ]
            memo = rules.create_credit_memo(
                memo_id=ids("cm"),
                billing_account_id=command.billing_account_id,
                currency=command.currency,
                status=command.status,
                effective_date=command.effective_date or today,
                description=command.description,
                external_reference=command.external_reference,
                lines=lines,
                now=now,
            )
            unit = UnitOfWork(creates=[memo], events=[events.memo_created(ids("evt"), memo)])
            return _Attempt(unit, 201, credit_memo_view(memo))

        return self._mutate("CreateCreditMemo", idempotency, self._read(), attempt)

    def post_credit_memo(self, memo_id: str, idempotency: Idempotency | None = None) -> Outcome:
        def attempt(snapshot: Snapshot, ids: IdFactory) -> _Attempt:
            memo = self._require(snapshot.memos.get(memo_id), "credit memo", memo_id)
            now, _today = self._timestamps()
            rules.post_credit_memo(memo, now)
            unit = UnitOfWork(updates=[memo], events=[events.memo_posted(ids("evt"), memo)])
            return _Attempt(unit, 200, credit_memo_view(memo))

        return self._mutate("PostCreditMemo", idempotency, self._read(memo_ids=[memo_id]), attempt)

    def void_credit_memo(self, memo_id: str, idempotency: Idempotency | None = None) -> Outcome:
        memo_read = self._read(memo_ids=[memo_id])

        def read(key: tuple[str, str] | None) -> Snapshot:
            # A memo credited from invoice lines gives their credit back when voided, so its
            # invoice is read too (second, still consistent; its version guards the write).
            snapshot = memo_read(key)
            memo = snapshot.memos.get(memo_id)
            if memo is not None and memo.source_action == "Invoice" and snapshot.idempotency is None:
                assert memo.reference_invoice_id is not None
                snapshot.invoices = self._repo.read(invoice_ids=[memo.reference_invoice_id]).invoices
            return snapshot

        def attempt(snapshot: Snapshot, ids: IdFactory) -> _Attempt:
            memo = self._require(snapshot.memos.get(memo_id), "credit memo", memo_id)
            source = snapshot.invoices.get(memo.reference_invoice_id or "")
            now, _today = self._timestamps()
            rules.void_credit_memo(memo, now, source_invoice=source)
            unit = UnitOfWork(updates=[memo, *([source] if source else [])])
            unit.events = [events.memo_voided(ids("evt"), memo)]
            return _Attempt(unit, 200, credit_memo_view(memo))

        return self._mutate("VoidCreditMemo", idempotency, read, attempt)

    def get_credit_memo(self, memo_id: str) -> dict[str, Any]:
        snapshot = self._repo.read(memo_ids=[memo_id], consistent=True)
        return credit_memo_view(self._require(snapshot.memos.get(memo_id), "credit memo", memo_id))

    def list_credit_memos(
        self, billing_account_id: str, status: str | None, limit: int | None, next_token: str | None
    ) -> dict[str, Any]:
        page = self._repo.list_credit_memos(billing_account_id, status, _page_size(limit), next_token)
        return {
            "items": [credit_memo_view(m, with_lines=False) for m in page.items],
            "nextToken": page.next_token,
        }

    # ------------------------------------------------------------ applying credit

    def apply_credit_memo(
        self, memo_id: str, targets: Sequence[ApplyTarget], idempotency: Idempotency | None = None
    ) -> Outcome:
        _check_target_count(len(targets), MAX_APPLY_TARGETS)
        invoice_ids = list(dict.fromkeys(t.invoice_id for t in targets))

        def attempt(snapshot: Snapshot, ids: IdFactory) -> _Attempt:
            memo = self._require(snapshot.memos.get(memo_id), "credit memo", memo_id)
            now, today = self._timestamps()
            entries: list[ApplicationEntry] = []
            for index, target in enumerate(targets):
                invoice = self._require(
                    snapshot.invoices.get(target.invoice_id), "invoice", target.invoice_id
                )
                entries.append(
                    rules.apply_credit_memo(
                        memo,
                        invoice,
                        amount=target.amount,
                        entry_id=ids("app"),
                        now=now,
                        effective_date=target.effective_date or today,
                        description=target.description,
                        field=f"applications[{index}].amount",
                    )
                )
            invoices = [snapshot.invoices[i] for i in invoice_ids]
            for ordinal, entry in enumerate(entries):
                entry.ordinal = ordinal  # the history lists them in the request's order
            unit = UnitOfWork(creates=list(entries), updates=[memo, *invoices])
            unit.events = [
                events.credit_moved(ids("evt"), memo, snapshot.invoices[e.invoice_id], e) for e in entries
            ]
            return _Attempt(unit, 200, _applications_body(memo, entries))

        return self._mutate(
            "ApplyCreditMemo", idempotency, self._read(memo_ids=[memo_id], invoice_ids=invoice_ids), attempt
        )

    def apply_credit_memo_line(
        self,
        memo_id: str,
        memo_line_id: str,
        targets: Sequence[LineApplyTarget],
        idempotency: Idempotency | None = None,
    ) -> Outcome:
        _check_target_count(len(targets), MAX_LINE_APPLY_TARGETS)
        invoice_ids = list(dict.fromkeys(t.invoice_id for t in targets))

        def attempt(snapshot: Snapshot, ids: IdFactory) -> _Attempt:
            memo = self._require(snapshot.memos.get(memo_id), "credit memo", memo_id)
            now, today = self._timestamps()
            entries: list[ApplicationEntry] = []
            # One entry per invoice; records keep the request's order within it.
            for invoice_id in invoice_ids:
                invoice = self._require(snapshot.invoices.get(invoice_id), "invoice", invoice_id)
                chosen = [
                    (
                        i,
                        rules.LineApplicationInput(
                            t.invoice_line_id, t.amount, t.description, t.effective_date
                        ),
                    )
                    for i, t in enumerate(targets)
                    if t.invoice_id == invoice_id
                ]
                entries.append(
                    rules.apply_credit_memo_line(
                        memo,
                        memo_line_id,
                        invoice,
                        chosen,
                        entry_id=ids("app"),
                        now=now,
                        effective_date=today,
                        description=None,
                    )
                )
            invoices = [snapshot.invoices[i] for i in invoice_ids]
            for ordinal, entry in enumerate(entries):
                entry.ordinal = ordinal  # the history lists them in the request's order
            unit = UnitOfWork(creates=list(entries), updates=[memo, *invoices])
            unit.events = [
                events.credit_moved(ids("evt"), memo, snapshot.invoices[e.invoice_id], e) for e in entries
            ]
            return _Attempt(unit, 200, _applications_body(memo, entries))

        return self._mutate(
            "ApplyCreditMemoLine",
            idempotency,
            self._read(memo_ids=[memo_id], invoice_ids=invoice_ids),
            attempt,
        )

    def unapply_application(
        self,
        application_id: str,
        level: SettlementLevel,
        *,
        description: str | None = None,
        effective_date: str | None = None,
        idempotency: Idempotency | None = None,
    ) -> Outcome:
        what = (
            "credit memo application" if level == "Invoice" else "credit memo line invoice line application"
        )
        entry_id = entry_id_of(application_id)
        if entry_id is None:
            raise NotFound(f"{what} {application_id} does not exist")
        operation = (
            "UnapplyCreditMemoApplication" if level == "Invoice" else "UnapplyCreditMemoLineApplication"
        )
        key_read = self._read(entry_ids=[entry_id])

        def read(key: tuple[str, str] | None) -> Snapshot:
            # The entry names the documents, so they are read second (still consistent).
            snapshot = key_read(key)
            entry = snapshot.entries.get(entry_id)
            if entry is not None and snapshot.idempotency is None:
                docs = self._repo.read(memo_ids=[entry.credit_memo_id], invoice_ids=[entry.invoice_id])
                snapshot.memos, snapshot.invoices = docs.memos, docs.invoices
            return snapshot

        def attempt(snapshot: Snapshot, ids: IdFactory) -> _Attempt:
            entry = self._require(snapshot.entries.get(entry_id), what, application_id)
            memo = snapshot.memos[entry.credit_memo_id]
            invoice = snapshot.invoices[entry.invoice_id]
            now, today = self._timestamps()
            new_entry = rules.unapply_application(
                entry,
                application_id,
                memo,
                invoice,
                level=level,
                new_entry_id=ids("app"),
                now=now,
                effective_date=effective_date or today,
                description=description,
            )
            unit = UnitOfWork(creates=[new_entry], updates=[memo, invoice, entry])
            unit.events = [events.credit_moved(ids("evt"), memo, invoice, new_entry)]
            return _Attempt(unit, 200, application_view(new_entry.records[0], memo.currency))

        return self._mutate(operation, idempotency, read, attempt)

    def list_applications(
        self,
        *,
        credit_memo_id: str | None = None,
        invoice_id: str | None = None,
        limit: int | None = None,
        next_token: str | None = None,
    ) -> dict[str, Any]:
        snapshot = self._repo.read(
            memo_ids=[credit_memo_id] if credit_memo_id else [],
            invoice_ids=[invoice_id] if invoice_id else [],
            consistent=False,
        )
        if credit_memo_id is not None:
            self._require(snapshot.memos.get(credit_memo_id), "credit memo", credit_memo_id)
        if invoice_id is not None:
            self._require(snapshot.invoices.get(invoice_id), "invoice", invoice_id)
        page = self._repo.list_application_entries(
            credit_memo_id=credit_memo_id,
            invoice_id=invoice_id,
            limit=_page_size(limit),
            next_token=next_token,
        )
        items = [application_view(r, e.currency) for e in page.items for r in e.records]
        return {"items": items, "nextToken": page.next_token}

    # ------------------------------------------------------------ invoice-sourced memos

    def credit_invoice(
        self,
        invoice_id: str,
        credits: Sequence[rules.CreditLineInput],
        *,
        tax_strategy: str,
        description: str | None = None,
        effective_date: str | None = None,
        idempotency: Idempotency | None = None,
    ) -> Outcome:
        def attempt(snapshot: Snapshot, ids: IdFactory) -> _Attempt:
            invoice = self._require(snapshot.invoices.get(invoice_id), "invoice", invoice_id)
            now, today = self._timestamps()
            memo, entry = rules.credit_invoice(
                invoice,
                credits,
                tax_strategy=tax_strategy,
                memo_id=ids("cm"),
                memo_line_ids=[ids("cml") for _ in credits],
                entry_id=ids("app"),
                now=now,
                effective_date=effective_date or today,
                description=description,
            )
            unit = UnitOfWork(creates=[memo, entry], updates=[invoice])
            unit.events = [
                events.memo_created(ids("evt"), memo),
                events.credit_moved(ids("evt"), memo, invoice, entry),
            ]
            return _Attempt(unit, 201, _applications_body(memo, [entry]))

        return self._mutate("CreditInvoice", idempotency, self._read(invoice_ids=[invoice_id]), attempt)

    def convert_negative_invoice_lines(
        self,
        invoice_id: str,
        line_ids: Sequence[str] | None,
        *,
        apply_to_invoice: bool = True,
        description: str | None = None,
        effective_date: str | None = None,
        idempotency: Idempotency | None = None,
    ) -> Outcome:
        def attempt(snapshot: Snapshot, ids: IdFactory) -> _Attempt:
            invoice = self._require(snapshot.invoices.get(invoice_id), "invoice", invoice_id)
            now, today = self._timestamps()
            memo, entry = rules.convert_negative_lines(
                invoice,
                line_ids,
                apply_to_invoice=apply_to_invoice,
                memo_id=ids("cm"),
                memo_line_ids=[ids("cml") for _ in invoice.lines],
                entry_id=ids("app"),
                now=now,
                effective_date=effective_date or today,
                description=description,
            )
            entries = [entry] if entry is not None else []
            unit = UnitOfWork(creates=[memo, *entries], updates=[invoice])
            unit.events = [
                events.memo_created(ids("evt"), memo),
                events.lines_converted(ids("evt"), invoice, memo),
            ]
            unit.events += [events.credit_moved(ids("evt"), memo, invoice, e) for e in entries]
            return _Attempt(unit, 201, _applications_body(memo, entries))

        return self._mutate(
            "ConvertNegativeInvoiceLines", idempotency, self._read(invoice_ids=[invoice_id]), attempt
        )

    # ------------------------------------------------------------ settlement (Step Functions)

    def plan_account_settlement(
        self,
        billing_account_id: str,
        *,
        execution_id: str,
        currency: str | None = None,
        credit_memo_ids: Sequence[str] | None = None,
        exclude_invoice_ids: Sequence[str] = (),
        max_items: int = settlement.MAX_PLAN_ITEMS,
    ) -> dict[str, Any]:
        """Which of the account's memos pays which of its invoices (read-only).

        Candidates come from the account's status index; their balances are then
        read consistently, so the plan starts from the committed state. With
        ``credit_memo_ids`` only those memos are drawn from.
        """
        if currency is not None:
            minor_units(currency)  # an unknown currency is a ValidationError
        if credit_memo_ids is not None:
            memo_ids = list(dict.fromkeys(credit_memo_ids))
            found = self._repo.read(memo_ids=memo_ids, consistent=True).memos
            for memo_id in memo_ids:
                self._require(found.get(memo_id), "credit memo", memo_id)
            memos = list(found.values())
        else:
            listed = self._list_all(self._repo.list_credit_memos, billing_account_id)
            memos = self._fresh(
                [m.id for m in listed if m.balance > 0 and (currency is None or m.currency == currency)],
                memos=True,
            )
        excluded = set(exclude_invoice_ids)
        listed_invoices = self._list_all(self._repo.list_invoices, billing_account_id)
        invoices = self._fresh(
            [
                i.id
                for i in listed_invoices
                if i.balance > 0 and i.id not in excluded and (currency is None or i.currency == currency)
            ],
            memos=False,
        )
        plan = settlement.plan_settlement(
            memos,
            invoices,
            billing_account_id=billing_account_id,
            execution_id=execution_id,
            currency=currency,
            exclude_invoice_ids=excluded,
            max_items=max_items,
        )
        # The execution's name (the ARN's last part) marks the records this settlement writes.
        return settlement.plan_view(
            plan, description=f"Account settlement {execution_id.split(':')[-1]}"[:255]
        )

    def _list_all(self, list_page: Callable[..., Any], billing_account_id: str) -> list[Any]:
        found: list[Any] = []
        token: str | None = None
        while len(found) < MAX_SETTLEMENT_DOCUMENTS:
            page = list_page(billing_account_id, "Posted", _LIST_PAGE, token)
            found += page.items
            token = page.next_token
            if token is None:
                break
        return found[:MAX_SETTLEMENT_DOCUMENTS]

    def _fresh(self, ids: list[str], *, memos: bool) -> list[Any]:
        """The documents' committed state (the status index may lag behind a write)."""
        if not ids:
            return []
        if memos:
            return list(self._repo.read(memo_ids=ids, consistent=True).memos.values())
        return list(self._repo.read(invoice_ids=ids, consistent=True).invoices.values())

    @staticmethod
    def summarize_account_settlement(
        plan: dict[str, Any], results: Sequence[dict[str, Any]]
    ) -> dict[str, Any]:
        return settlement.summarize_settlement(plan, results)


def _applications_body(memo: Any, entries: Sequence[ApplicationEntry]) -> dict[str, Any]:
    return {
        "creditMemo": credit_memo_view(memo),
        "applications": [application_view(r, memo.currency) for e in entries for r in e.records],
    }


def _page_size(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_PAGE_SIZE
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationError(f"limit must be between 1 and {MAX_PAGE_SIZE}", details=[{"field": "limit"}])
    return limit


def _check_target_count(count: int, maximum: int) -> None:
    if not 1 <= count <= maximum:
        raise ValidationError(
            f"applications must have between 1 and {maximum} entries", details=[{"field": "applications"}]
        )
