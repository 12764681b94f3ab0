"""Use cases of payments (spec section 8): record, reverse, an invoice's payment records."""

from __future__ import annotations

from credit_memos.commands import payments as commands
from credit_memos.domain.documents import claim_id
from credit_memos.domain.payments import record_payment, reverse_payment
from credit_memos.ports import Repository
from credit_memos.usecases.paging import page_size
from credit_memos.usecases.service import use_case
from credit_memos.usecases.unit_of_work import Result, UnitOfWork
from credit_memos.views import InvoicePaymentPage, InvoicePaymentView


@use_case(commands.RecordInvoicePayment)
def record(uow: UnitOfWork, command: commands.RecordInvoicePayment) -> Result:
    """The invoice and its reference's claim, read consistently and written in one transaction:
    a racing payment, credit or reversal changes the invoice's version (or the claim's), so the
    loser re-reads and meets INSUFFICIENT_BALANCE or DUPLICATE_REFERENCE."""
    invoice_id, reference = command.invoice_id, command.payment_reference
    found = uow.read(invoice_ids=[invoice_id], payment_references=[(invoice_id, reference)])
    invoice = found.invoice(invoice_id)
    held = found.claims.get(claim_id(invoice_id, reference))
    payment, claim = record_payment(
        invoice,
        held,
        amount=command.amount,
        payment_reference=reference,
        payment_id=uow.new_id("pay"),
        now=uow.now,
        effective_date=command.effective_date or uow.today,
        description=command.description,
    )
    payment.created_by = command.actor
    uow.create(payment)
    uow.update(invoice)
    # A freed claim (its payment reversed) is taken over at the version read; a new one created.
    if held is not None:
        uow.update(claim)
    else:
        uow.create(claim)
    uow.events.payment_moved(invoice, payment)
    payment.sequence = invoice.sequence  # the list's order: the invoice's commit order
    return Result(201, InvoicePaymentView.of(payment))


@use_case(commands.ReverseInvoicePayment)
def reverse(uow: UnitOfWork, command: commands.ReverseInvoicePayment) -> Result:
    payment = uow.read(payment_ids=[command.payment_id]).payment(command.payment_id)
    # The payment names its invoice and reference, so they are read second (still consistent).
    found = uow.read(
        invoice_ids=[payment.invoice_id], payment_references=[(payment.invoice_id, payment.payment_reference)]
    )
    invoice = found.invoice(payment.invoice_id)
    claim = found.claims.get(claim_id(invoice.id, payment.payment_reference))
    held = claim is not None and claim.payment_id == payment.id
    reversal = reverse_payment(
        payment,
        invoice,
        claim,
        reversal_id=uow.new_id("pay"),
        now=uow.now,
        effective_date=uow.today,
        description=command.description,
        reason_code=command.reason_code,
    )
    reversal.created_by = command.actor
    uow.create(reversal)
    uow.update(payment, invoice)
    if held and claim is not None:
        uow.update(claim)  # freed: the reference may be used again
    uow.events.payment_moved(invoice, reversal)
    reversal.sequence = invoice.sequence
    return Result(200, InvoicePaymentView.of(reversal))


@use_case(commands.ListInvoicePayments)
def history(repository: Repository, command: commands.ListInvoicePayments) -> Result:
    invoice_id = command.invoice_id
    repository.read(invoice_ids=[invoice_id], consistent=False).invoice(invoice_id)
    page = repository.list_invoice_payments(invoice_id, page_size(command.limit), command.next_token)
    items = [InvoicePaymentView.of(p) for p in page.items]
    return Result(200, InvoicePaymentPage.model_construct(items=items, nextToken=page.next_token))
