"""Use cases of invoices: create, post, get, list."""

from __future__ import annotations

from credit_memos.commands import invoices as commands
from credit_memos.domain.documents import set_created_by
from credit_memos.domain.invoices import create_invoice, post_invoice
from credit_memos.ports import Repository
from credit_memos.usecases.paging import page_size
from credit_memos.usecases.service import use_case
from credit_memos.usecases.unit_of_work import Result, UnitOfWork
from credit_memos.views import InvoicePage, InvoiceView


@use_case(commands.CreateInvoice)
def create(uow: UnitOfWork, command: commands.CreateInvoice) -> Result:
    invoice = create_invoice(
        invoice_id=uow.new_id("inv"),
        line_ids=[uow.new_id("invl") for _ in command.lines],
        billing_account_id=command.billing_account_id,
        currency=command.currency,
        status=command.status,
        settlement_level=command.settlement_level or uow.settings.credit_application_level,
        invoice_date=command.invoice_date or uow.today,
        due_date=command.due_date,
        lines=command.lines,
        now=uow.now,
    )
    set_created_by([invoice], command.actor)
    invoice.invoice_number = command.invoice_number
    uow.create(invoice)
    uow.events.invoice_created(invoice)
    return Result(201, InvoiceView.of(invoice))


@use_case(commands.PostInvoice)
def post(uow: UnitOfWork, command: commands.PostInvoice) -> Result:
    invoice = uow.read(invoice_ids=[command.invoice_id]).invoice(command.invoice_id)
    post_invoice(invoice, uow.now)
    uow.update(invoice)
    uow.events.invoice_posted(invoice)
    return Result(200, InvoiceView.of(invoice))


@use_case(commands.GetInvoice)
def get(repository: Repository, command: commands.GetInvoice) -> Result:
    invoice = repository.read(invoice_ids=[command.invoice_id], consistent=True).invoice(command.invoice_id)
    return Result(200, InvoiceView.of(invoice))


@use_case(commands.ListInvoices)
def list_page(repository: Repository, command: commands.ListInvoices) -> Result:
    page = repository.list_invoices(
        command.billing_account_id, command.status, page_size(command.limit), command.next_token
    )
    items = [InvoiceView.of(i, with_lines=False) for i in page.items]
    return Result(200, InvoicePage.model_construct(items=items, nextToken=page.next_token))
