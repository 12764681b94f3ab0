"""Use cases of memos made from an invoice: credit from its lines, convert its negative lines."""

from __future__ import annotations

from credit_memos.commands import conversion as commands
from credit_memos.domain.conversion import convert_negative_lines
from credit_memos.domain.documents import set_created_by
from credit_memos.domain.invoice_credit import apply_invoice_credit, credit_invoice
from credit_memos.domain.memos import hold_for_approval
from credit_memos.usecases.service import use_case
from credit_memos.usecases.unit_of_work import Result, UnitOfWork
from credit_memos.views import ApplicationsResult


@use_case(commands.CreditInvoice)
def credit(uow: UnitOfWork, command: commands.CreditInvoice) -> Result:
    """A memo from invoice lines, applied to them at once; a Draft (asked for, or over the
    approval threshold) is applied when it is posted."""
    invoice = uow.read(invoice_ids=[command.invoice_id], number_series=True).invoice(command.invoice_id)
    effective_date = command.effective_date or uow.today
    memo = credit_invoice(
        invoice,
        command.invoice_lines,
        tax_strategy=command.tax_strategy,
        memo_id=uow.new_id("cm"),
        memo_line_ids=[uow.new_id("cml") for _ in command.invoice_lines],
        now=uow.now,
        effective_date=effective_date,
        description=command.description,
    )
    entry_id = uow.new_id("app")
    if command.status == "Draft":
        memo.status, memo.posted_at = "Draft", None
    hold_for_approval(memo, command.caller)
    if memo.status == "Draft":
        set_created_by([memo], command.actor, command.reason_code)
        uow.create(memo)
        uow.events.memo_created(memo)
        return Result(201, ApplicationsResult.of(memo, []))
    entry = apply_invoice_credit(memo, invoice, entry_id=entry_id, now=uow.now, effective_date=effective_date)
    set_created_by([memo, entry], command.actor, command.reason_code)
    uow.number(memo)
    uow.create(memo, entry)
    uow.update(invoice)
    uow.events.memo_created(memo)
    uow.events.credit_moved(memo, invoice, entry)
    return Result(201, ApplicationsResult.of(memo, entry.records))


@use_case(commands.ConvertNegativeInvoiceLines)
def convert(uow: UnitOfWork, command: commands.ConvertNegativeInvoiceLines) -> Result:
    invoice = uow.read(invoice_ids=[command.invoice_id], number_series=True).invoice(command.invoice_id)
    memo, entry = convert_negative_lines(
        invoice,
        command.invoice_line_ids,
        apply_to_invoice=command.apply_to_invoice,
        memo_id=uow.new_id("cm"),
        memo_line_ids=[uow.new_id("cml") for _ in invoice.lines],
        entry_id=uow.new_id("app"),
        now=uow.now,
        effective_date=command.effective_date or uow.today,
        description=command.description,
    )
    entries = [entry] if entry is not None else []
    set_created_by([memo, *entries], command.actor, command.reason_code)
    uow.number(memo)
    uow.create(memo, *entries)
    uow.update(invoice)
    uow.events.memo_created(memo)
    uow.events.lines_converted(invoice, memo)
    for applied in entries:
        uow.events.credit_moved(memo, invoice, applied)
    return Result(201, ApplicationsResult.of(memo, [r for e in entries for r in e.records]))
