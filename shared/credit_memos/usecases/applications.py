"""Use cases of moving credit: apply (both levels), unapply, application history."""

from __future__ import annotations

from collections.abc import Callable

from credit_memos.commands import applications as commands
from credit_memos.domain import events
from credit_memos.domain.applying import apply_credit_memo, apply_credit_memo_line, unapply_application
from credit_memos.domain.documents import ApplicationEntry, CreditMemo, entry_id_of, stamp
from credit_memos.errors import NotFound, ValidationError
from credit_memos.ids import IdFactory
from credit_memos.limits import MAX_APPLY_TARGETS, MAX_LINE_APPLY_TARGETS
from credit_memos.ports import Snapshot, UnitOfWork
from credit_memos.usecases.engine import Attempt, Engine, Outcome
from credit_memos.usecases.paging import page_size
from credit_memos.usecases.service import use_case
from credit_memos.views import ApplicationPage, ApplicationsResult, ApplicationView

# What an apply's rule makes of the read documents: its entries, given the memo, ids, now and today.
EntriesOf = Callable[[Snapshot, CreditMemo, IdFactory, str, str], list[ApplicationEntry]]


def _apply(
    engine: Engine,
    command: commands.ApplyCreditMemo | commands.ApplyCreditMemoLine,
    key: str | None,
    max_targets: int,
    entries_of: EntriesOf,
) -> Outcome:
    """Both applies: one memo, its target invoices, one entry per (memo, invoice), one event each."""
    memo_id, targets = command.credit_memo_id, command.applications
    invoice_ids = list(dict.fromkeys(t.invoice_id for t in targets))

    def attempt(snapshot: Snapshot, ids: IdFactory) -> Attempt:
        if not 1 <= len(targets) <= max_targets:
            raise ValidationError(f"must have between 1 and {max_targets} entries", field=("applications",))
        memo = engine.require(snapshot.memos.get(memo_id), "credit memo", memo_id)
        now, today = engine.timestamps()
        entries = entries_of(snapshot, memo, ids, now, today)
        for ordinal, entry in enumerate(entries):
            entry.ordinal = ordinal  # the history lists them in the request's order
        stamp(entries, command.actor)
        invoices = [snapshot.invoices[i] for i in invoice_ids]
        unit = UnitOfWork(creates=list(entries), updates=[memo, *invoices])
        unit.events = [
            events.credit_moved(ids("evt"), memo, snapshot.invoices[e.invoice_id], e) for e in entries
        ]
        return Attempt(unit, 200, ApplicationsResult.of(memo, [r for e in entries for r in e.records]))

    return engine.mutate(command, key, engine.reader(memo_ids=[memo_id], invoice_ids=invoice_ids), attempt)


@use_case(commands.ApplyCreditMemo)
def apply(engine: Engine, command: commands.ApplyCreditMemo, key: str | None) -> Outcome:
    def entries_of(
        snapshot: Snapshot, memo: CreditMemo, ids: IdFactory, now: str, today: str
    ) -> list[ApplicationEntry]:
        return [
            apply_credit_memo(
                memo,
                engine.require(snapshot.invoices.get(target.invoice_id), "invoice", target.invoice_id),
                amount=target.amount,
                entry_id=ids("app"),
                now=now,
                effective_date=target.effective_date or today,
                description=target.description,
                field=("applications", index, "amount"),
            )
            for index, target in enumerate(command.applications)
        ]

    return _apply(engine, command, key, MAX_APPLY_TARGETS, entries_of)


@use_case(commands.ApplyCreditMemoLine)
def apply_line(engine: Engine, command: commands.ApplyCreditMemoLine, key: str | None) -> Outcome:
    targets = command.applications

    def entries_of(
        snapshot: Snapshot, memo: CreditMemo, ids: IdFactory, now: str, today: str
    ) -> list[ApplicationEntry]:
        # One entry per invoice; records keep the request's order within it.
        return [
            apply_credit_memo_line(
                memo,
                command.credit_memo_line_id,
                engine.require(snapshot.invoices.get(invoice_id), "invoice", invoice_id),
                [(i, t) for i, t in enumerate(targets) if t.invoice_id == invoice_id],
                entry_id=ids("app"),
                now=now,
                effective_date=today,
                description=None,
            )
            for invoice_id in dict.fromkeys(t.invoice_id for t in targets)
        ]

    return _apply(engine, command, key, MAX_LINE_APPLY_TARGETS, entries_of)


@use_case(commands.UnapplyCreditMemoApplication)
@use_case(commands.UnapplyCreditMemoLineApplication)
def unapply(engine: Engine, command: commands.UnapplyCreditMemoApplication, key: str | None) -> Outcome:
    level, application_id = command.level, command.application_id
    what = "credit memo application" if level == "Invoice" else "credit memo line invoice line application"
    entry_id = entry_id_of(application_id)
    if entry_id is None:
        raise NotFound(f"{what} {application_id} does not exist")
    entry_read = engine.reader(entry_ids=[entry_id])

    def read(idempotency: tuple[str, str] | None) -> Snapshot:
        # The entry names the documents, so they are read second (still consistent).
        snapshot = entry_read(idempotency)
        entry = snapshot.entries.get(entry_id)
        if entry is not None and snapshot.idempotency is None:
            docs = engine.repository.read(memo_ids=[entry.credit_memo_id], invoice_ids=[entry.invoice_id])
            snapshot.memos, snapshot.invoices = docs.memos, docs.invoices
        return snapshot

    def attempt(snapshot: Snapshot, ids: IdFactory) -> Attempt:
        entry = engine.require(snapshot.entries.get(entry_id), what, application_id)
        memo = snapshot.memos[entry.credit_memo_id]
        invoice = snapshot.invoices[entry.invoice_id]
        now, today = engine.timestamps()
        new_entry = unapply_application(
            entry,
            application_id,
            memo,
            invoice,
            level=level,
            new_entry_id=ids("app"),
            now=now,
            effective_date=command.effective_date or today,
            description=command.description,
        )
        stamp([new_entry], command.actor, command.reason_code)
        unit = UnitOfWork(creates=[new_entry], updates=[memo, invoice, entry])
        unit.events = [events.credit_moved(ids("evt"), memo, invoice, new_entry)]
        return Attempt(unit, 200, ApplicationView.of(new_entry.records[0], memo.currency))

    return engine.mutate(command, key, read, attempt)


@use_case(commands.GetApplication)
def get_record(engine: Engine, command: commands.GetApplication, _: str | None) -> Outcome:
    """One record; a record of the other level is not found at this level's path."""
    entry_id = entry_id_of(command.application_id)
    snapshot = engine.repository.read(entry_ids=[entry_id] if entry_id else [], consistent=True)
    entry = snapshot.entries.get(entry_id or "")
    record = entry.record(command.application_id) if entry is not None else None
    if entry is None or record is None or record.level != command.level:
        what = "credit memo application" if command.level == "Invoice" else "credit memo line application"
        raise NotFound(f"{what} {command.application_id} does not exist")
    return Outcome(200, ApplicationView.of(record, entry.currency).body())


@use_case(commands.ListApplications)
def history(engine: Engine, command: commands.ListApplications, _: str | None) -> Outcome:
    memo_id, invoice_id = command.credit_memo_id, command.invoice_id
    snapshot = engine.repository.read(
        memo_ids=[memo_id] if memo_id else [],
        invoice_ids=[invoice_id] if invoice_id else [],
        consistent=False,
    )
    if memo_id is not None:
        engine.require(snapshot.memos.get(memo_id), "credit memo", memo_id)
    if invoice_id is not None:
        engine.require(snapshot.invoices.get(invoice_id), "invoice", invoice_id)
    page = engine.repository.list_application_entries(
        credit_memo_id=memo_id,
        invoice_id=invoice_id,
        limit=page_size(command.limit),
        next_token=command.next_token,
    )
    view = ApplicationPage.model_construct(
        items=[ApplicationView.of(r, e.currency) for e in page.items for r in e.records],
        nextToken=page.next_token,
    )
    return Outcome(200, view.body())
