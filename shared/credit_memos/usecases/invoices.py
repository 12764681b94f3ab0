"""Use cases of invoices: create, post, get, list."""

from __future__ import annotations

from credit_memos.commands import invoices as commands
from credit_memos.domain import events
from credit_memos.domain.documents import stamp
from credit_memos.domain.invoices import create_invoice, post_invoice
from credit_memos.ids import IdFactory
from credit_memos.ports import Snapshot, UnitOfWork
from credit_memos.usecases.engine import Attempt, Engine, Outcome
from credit_memos.usecases.paging import page_size
from credit_memos.usecases.service import use_case
from credit_memos.views import InvoicePage, InvoiceView


@use_case(commands.CreateInvoice)
def create(engine: Engine, command: commands.CreateInvoice, key: str | None) -> Outcome:
    def attempt(_: Snapshot, ids: IdFactory) -> Attempt:
        now, today = engine.timestamps()
        invoice = create_invoice(
            invoice_id=ids("inv"),
            line_ids=[ids("invl") for _ in command.lines],
            billing_account_id=command.billing_account_id,
            currency=command.currency,
            status=command.status,
            settlement_level=command.settlement_level or engine.settings.credit_application_level,
            invoice_date=command.invoice_date or today,
            due_date=command.due_date,
            lines=command.lines,
            now=now,
        )
        stamp([invoice], command.actor)
        unit = UnitOfWork(creates=[invoice], events=[events.invoice_created(ids("evt"), invoice)])
        return Attempt(unit, 201, InvoiceView.of(invoice))

    return engine.mutate(command, key, engine.reader(), attempt)


@use_case(commands.PostInvoice)
def post(engine: Engine, command: commands.PostInvoice, key: str | None) -> Outcome:
    def attempt(snapshot: Snapshot, ids: IdFactory) -> Attempt:
        invoice = engine.require(snapshot.invoices.get(command.invoice_id), "invoice", command.invoice_id)
        now, _today = engine.timestamps()
        post_invoice(invoice, now)
        unit = UnitOfWork(updates=[invoice], events=[events.invoice_posted(ids("evt"), invoice)])
        return Attempt(unit, 200, InvoiceView.of(invoice))

    return engine.mutate(command, key, engine.reader(invoice_ids=[command.invoice_id]), attempt)


@use_case(commands.GetInvoice)
def get(engine: Engine, command: commands.GetInvoice, _: str | None) -> Outcome:
    snapshot = engine.repository.read(invoice_ids=[command.invoice_id], consistent=True)
    invoice = engine.require(snapshot.invoices.get(command.invoice_id), "invoice", command.invoice_id)
    return Outcome(200, InvoiceView.of(invoice).body())


@use_case(commands.ListInvoices)
def list_page(engine: Engine, command: commands.ListInvoices, _: str | None) -> Outcome:
    page = engine.repository.list_invoices(
        command.billing_account_id, command.status, page_size(command.limit), command.next_token
    )
    view = InvoicePage.model_construct(
        items=[InvoiceView.of(i, with_lines=False) for i in page.items], nextToken=page.next_token
    )
    return Outcome(200, view.body())
