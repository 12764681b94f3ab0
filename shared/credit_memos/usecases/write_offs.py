"""Use cases of writing off invoices: the request (each invoice on its own) and one invoice."""

from __future__ import annotations

from typing import Any

from credit_memos.commands import write_offs as commands
from credit_memos.domain.documents import set_created_by
from credit_memos.domain.write_offs import write_off_invoice
from credit_memos.errors import DomainError, ValidationError
from credit_memos.limits import MAX_WRITE_OFF_INVOICES
from credit_memos.usecases.each import Each
from credit_memos.usecases.service import use_case
from credit_memos.usecases.unit_of_work import Result, UnitOfWork
from credit_memos.views import ApplicationsResult


@use_case(commands.WriteOffInvoices)
def write_off_each(each: Each, command: commands.WriteOffInvoices) -> Result:
    """Every invoice in its own transaction; the answer lists each one's result in order. An
    invoice named twice would be written off once and refused once: the request is refused."""
    if not 1 <= len(command.invoices) <= MAX_WRITE_OFF_INVOICES:
        raise ValidationError(f"must name 1 to {MAX_WRITE_OFF_INVOICES} invoices", field=("invoices",))
    seen: set[str] = set()
    for index, item in enumerate(command.invoices):
        if item.invoice_id in seen:
            raise ValidationError(
                f"invoice {item.invoice_id} is named twice", field=("invoices", index, "invoice_id")
            )
        seen.add(item.invoice_id)
    items = [
        commands.WriteOffInvoice(
            invoice_id=item.invoice_id,
            reason_code=item.reason_code,
            description=item.description,
            actor=command.actor,
            caller=command.caller,
        )
        for item in command.invoices
    ]
    outcomes = each.run(write_off, items)
    return Result(200, {"results": [_result(i.invoice_id, o) for i, o in zip(items, outcomes, strict=True)]})


def _result(invoice_id: str, outcome: Any) -> dict[str, Any]:
    if isinstance(outcome, DomainError):
        error = {"errorCode": outcome.error_code, "message": outcome.message}
        return {
            "invoiceId": invoice_id,
            "success": False,
            "creditMemo": None,
            "applications": [],
            "error": error,
        }
    return {"invoiceId": invoice_id, "success": True, **outcome.body, "error": None}


@use_case(commands.WriteOffInvoice)
def write_off(uow: UnitOfWork, command: commands.WriteOffInvoice) -> Result:
    """A Posted memo of the invoice's balance, numbered, applied to it: one transaction."""
    invoice = uow.read(invoice_ids=[command.invoice_id], number_series=True).invoice(command.invoice_id)
    memo, entry = write_off_invoice(
        invoice,
        memo_id=uow.new_id("cm"),
        memo_line_ids=[uow.new_id("cml") for _ in invoice.lines],
        entry_id=uow.new_id("app"),
        now=uow.now,
        effective_date=uow.today,
        description=command.description,
    )
    caller = command.caller
    if caller is not None and caller.needs_approval(memo.currency, memo.total_amount_with_tax):
        # An Approver's own write-off: no second person, but within their approval limit.
        caller.approve(None, memo.currency, memo.total_amount_with_tax)
    set_created_by([memo, entry], command.actor, command.reason_code)
    uow.number(memo)
    uow.create(memo, entry)
    uow.update(invoice)
    uow.events.memo_created(memo)
    uow.events.credit_moved(memo, invoice, entry)
    return Result(201, ApplicationsResult.of(memo, entry.records))
