"""Use cases of memos made from an invoice: credit from its lines, convert its negative lines."""

from __future__ import annotations

from credit_memos.commands import conversion as commands
from credit_memos.domain import events
from credit_memos.domain.conversion import convert_negative_lines
from credit_memos.domain.documents import stamp
from credit_memos.domain.invoice_credit import credit_invoice
from credit_memos.ids import IdFactory
from credit_memos.ports import Snapshot, UnitOfWork
from credit_memos.usecases.engine import Attempt, Engine, Outcome
from credit_memos.usecases.service import use_case
from credit_memos.views import ApplicationsResult


@use_case(commands.CreditInvoice)
def credit(engine: Engine, command: commands.CreditInvoice, key: str | None) -> Outcome:
    invoice_id = command.invoice_id

    def attempt(snapshot: Snapshot, ids: IdFactory) -> Attempt:
        invoice = engine.require(snapshot.invoices.get(invoice_id), "invoice", invoice_id)
        now, today = engine.timestamps()
        memo, entry = credit_invoice(
            invoice,
            command.invoice_lines,
            tax_strategy=command.tax_strategy,
            memo_id=ids("cm"),
            memo_line_ids=[ids("cml") for _ in command.invoice_lines],
            entry_id=ids("app"),
            now=now,
            effective_date=command.effective_date or today,
            description=command.description,
        )
        stamp([memo, entry], command.actor, command.reason_code)
        unit = UnitOfWork(creates=[memo, entry], updates=[invoice], series=engine.number(snapshot, memo))
        unit.events = [
            events.memo_created(ids("evt"), memo),
            events.credit_moved(ids("evt"), memo, invoice, entry),
        ]
        return Attempt(unit, 201, ApplicationsResult.of(memo, entry.records))

    return engine.mutate(command, key, engine.reader(invoice_ids=[invoice_id], numbered=True), attempt)


@use_case(commands.ConvertNegativeInvoiceLines)
def convert(engine: Engine, command: commands.ConvertNegativeInvoiceLines, key: str | None) -> Outcome:
    invoice_id = command.invoice_id

    def attempt(snapshot: Snapshot, ids: IdFactory) -> Attempt:
        invoice = engine.require(snapshot.invoices.get(invoice_id), "invoice", invoice_id)
        now, today = engine.timestamps()
        memo, entry = convert_negative_lines(
            invoice,
            command.invoice_line_ids,
            apply_to_invoice=command.apply_to_invoice,
            memo_id=ids("cm"),
            memo_line_ids=[ids("cml") for _ in invoice.lines],
            entry_id=ids("app"),
            now=now,
            effective_date=command.effective_date or today,
            description=command.description,
        )
        entries = [entry] if entry is not None else []
        stamp([memo, *entries], command.actor, command.reason_code)
        unit = UnitOfWork(creates=[memo, *entries], updates=[invoice], series=engine.number(snapshot, memo))
        unit.events = [
            events.memo_created(ids("evt"), memo),
            events.lines_converted(ids("evt"), invoice, memo),
        ]
        unit.events += [events.credit_moved(ids("evt"), memo, invoice, e) for e in entries]
        return Attempt(unit, 201, ApplicationsResult.of(memo, [r for e in entries for r in e.records]))

    return engine.mutate(command, key, engine.reader(invoice_ids=[invoice_id], numbered=True), attempt)
