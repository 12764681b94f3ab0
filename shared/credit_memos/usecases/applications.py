"""Use cases of moving credit: apply (both levels), unapply, application history."""

from __future__ import annotations

from credit_memos.commands import applications as commands
from credit_memos.domain.applying import apply_credit_memo, apply_credit_memo_line, unapply_application
from credit_memos.domain.documents import ApplicationEntry, CreditMemo, Invoice, entry_id_of, set_created_by
from credit_memos.errors import NotFound
from credit_memos.ports import Repository
from credit_memos.usecases.paging import page_size
from credit_memos.usecases.service import use_case
from credit_memos.usecases.unit_of_work import Result, UnitOfWork
from credit_memos.views import ApplicationPage, ApplicationsResult, ApplicationView


@use_case(commands.ApplyCreditMemo)
def apply(uow: UnitOfWork, command: commands.ApplyCreditMemo) -> Result:
    """One memo onto its target invoices: one entry per (memo, invoice), one event each."""
    invoice_ids = list(dict.fromkeys(t.invoice_id for t in command.applications))
    found = uow.read(memo_ids=[command.credit_memo_id], invoice_ids=invoice_ids)
    memo = found.memo(command.credit_memo_id)
    entries = [
        apply_credit_memo(
            memo,
            found.invoice(target.invoice_id),
            amount=target.amount,
            entry_id=uow.new_id("app"),
            now=uow.now,
            effective_date=target.effective_date or uow.today,
            description=target.description,
            field=("applications", index, "amount"),
        )
        for index, target in enumerate(command.applications)
    ]
    return _applied(uow, command, memo, [found.invoices[i] for i in invoice_ids], entries)


@use_case(commands.ApplyCreditMemoLine)
def apply_line(uow: UnitOfWork, command: commands.ApplyCreditMemoLine) -> Result:
    """One memo line onto invoice lines: one entry per invoice, its records in the request's order."""
    targets = command.applications
    invoice_ids = list(dict.fromkeys(t.invoice_id for t in targets))
    found = uow.read(memo_ids=[command.credit_memo_id], invoice_ids=invoice_ids)
    memo = found.memo(command.credit_memo_id)
    entries = [
        apply_credit_memo_line(
            memo,
            command.credit_memo_line_id,
            found.invoice(invoice_id),
            [(i, t) for i, t in enumerate(targets) if t.invoice_id == invoice_id],
            entry_id=uow.new_id("app"),
            now=uow.now,
            effective_date=uow.today,
            description=None,
        )
        for invoice_id in invoice_ids
    ]
    return _applied(uow, command, memo, [found.invoices[i] for i in invoice_ids], entries)


def _applied(
    uow: UnitOfWork,
    command: commands.ApplyCreditMemo | commands.ApplyCreditMemoLine,
    memo: CreditMemo,
    invoices: list[Invoice],
    entries: list[ApplicationEntry],
) -> Result:
    """Stage an apply's writes and events; its answer is the memo and the records written."""
    for ordinal, entry in enumerate(entries):
        entry.ordinal = ordinal  # the history lists them in the request's order
    set_created_by(entries, command.actor)
    uow.create(*entries)
    uow.update(memo, *invoices)
    by_id = {invoice.id: invoice for invoice in invoices}
    for entry in entries:
        uow.events.credit_moved(memo, by_id[entry.invoice_id], entry)
    return Result(200, ApplicationsResult.of(memo, [r for e in entries for r in e.records]))


@use_case(commands.UnapplyCreditMemoApplication)
@use_case(commands.UnapplyCreditMemoLineApplication)
def unapply(uow: UnitOfWork, command: commands.UnapplyCreditMemoApplication) -> Result:
    level, application_id = command.level, command.application_id
    what = "credit memo application" if level == "Invoice" else "credit memo line invoice line application"
    entry_id = entry_id_of(application_id)
    entry = uow.read(entry_ids=[entry_id] if entry_id else []).entries.get(entry_id or "")
    if entry is None:
        raise NotFound(f"{what} {application_id} does not exist")
    # The entry names the documents, so they are read second (still consistent).
    found = uow.read(memo_ids=[entry.credit_memo_id], invoice_ids=[entry.invoice_id])
    memo, invoice = found.memos[entry.credit_memo_id], found.invoices[entry.invoice_id]
    new_entry = unapply_application(
        entry,
        application_id,
        memo,
        invoice,
        level=level,
        new_entry_id=uow.new_id("app"),
        now=uow.now,
        effective_date=command.effective_date or uow.today,
        description=command.description,
    )
    set_created_by([new_entry], command.actor, command.reason_code)
    uow.create(new_entry)
    uow.update(memo, invoice, entry)
    uow.events.credit_moved(memo, invoice, new_entry)
    return Result(200, ApplicationView.of(new_entry.records[0], memo.currency))


@use_case(commands.GetApplication)
def get_record(repository: Repository, command: commands.GetApplication) -> Result:
    """One record; a record of the other level is not found at this level's path."""
    entry_id = entry_id_of(command.application_id)
    snapshot = repository.read(entry_ids=[entry_id] if entry_id else [], consistent=True)
    entry = snapshot.entries.get(entry_id or "")
    record = entry.record(command.application_id) if entry is not None else None
    if entry is None or record is None or record.level != command.level:
        what = "credit memo application" if command.level == "Invoice" else "credit memo line application"
        raise NotFound(f"{what} {command.application_id} does not exist")
    return Result(200, ApplicationView.of(record, entry.currency))


@use_case(commands.ListApplications)
def history(repository: Repository, command: commands.ListApplications) -> Result:
    memo_id, invoice_id = command.credit_memo_id, command.invoice_id
    found = repository.read(
        memo_ids=[memo_id] if memo_id else [],
        invoice_ids=[invoice_id] if invoice_id else [],
        consistent=False,
    )
    if memo_id is not None:
        found.memo(memo_id)
    if invoice_id is not None:
        found.invoice(invoice_id)
    page = repository.list_application_entries(
        credit_memo_id=memo_id,
        invoice_id=invoice_id,
        limit=page_size(command.limit),
        next_token=command.next_token,
    )
    items = [ApplicationView.of(r, e.currency) for e in page.items for r in e.records]
    return Result(200, ApplicationPage.model_construct(items=items, nextToken=page.next_token))
