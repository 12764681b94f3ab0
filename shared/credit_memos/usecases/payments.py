"""Use cases of payments (spec section 8): record, reverse, an invoice's payment records."""

from __future__ import annotations

from credit_memos.commands import payments as commands
from credit_memos.domain import events
from credit_memos.domain.documents import claim_id
from credit_memos.domain.payments import record_payment, reverse_payment
from credit_memos.ids import IdFactory
from credit_memos.ports import Snapshot, Stored, UnitOfWork
from credit_memos.usecases.engine import Attempt, Engine, Outcome
from credit_memos.usecases.paging import page_size
from credit_memos.usecases.service import use_case
from credit_memos.views import InvoicePaymentPage, InvoicePaymentView


@use_case(commands.RecordInvoicePayment)
def record(engine: Engine, command: commands.RecordInvoicePayment, key: str | None) -> Outcome:
    """The invoice and its reference's claim, read consistently and written in one transaction:
    a racing payment, credit or reversal changes the invoice's version (or the claim's), so the
    loser re-reads and meets INSUFFICIENT_BALANCE or DUPLICATE_REFERENCE."""
    invoice_id, reference = command.invoice_id, command.payment_reference
    read = engine.reader(invoice_ids=[invoice_id], payment_references=[(invoice_id, reference)])

    def attempt(snapshot: Snapshot, ids: IdFactory) -> Attempt:
        invoice = engine.require(snapshot.invoices.get(invoice_id), "invoice", invoice_id)
        held = snapshot.claims.get(claim_id(invoice_id, reference))
        now, today = engine.timestamps()
        payment, claim = record_payment(
            invoice,
            held,
            amount=command.amount,
            payment_reference=reference,
            payment_id=ids("pay"),
            now=now,
            effective_date=command.effective_date or today,
            description=command.description,
        )
        payment.created_by = command.actor
        # A freed claim (its payment reversed) is taken over at the version read; a new one created.
        creates: list[Stored] = [payment] if held is not None else [payment, claim]
        updates: list[Stored] = [invoice, claim] if held is not None else [invoice]
        unit = UnitOfWork(creates=creates, updates=updates)
        unit.events = [events.payment_moved(ids("evt"), invoice, payment)]
        payment.sequence = invoice.sequence  # the list's order: the invoice's commit order
        return Attempt(unit, 201, InvoicePaymentView.of(payment))

    return engine.mutate(command, key, read, attempt)


@use_case(commands.ReverseInvoicePayment)
def reverse(engine: Engine, command: commands.ReverseInvoicePayment, key: str | None) -> Outcome:
    payment_id = command.payment_id
    payment_read = engine.reader(payment_ids=[payment_id])

    def read(idempotency: tuple[str, str] | None) -> Snapshot:
        # The payment names its invoice and reference, so they are read second (still consistent).
        snapshot = payment_read(idempotency)
        payment = snapshot.payments.get(payment_id)
        if payment is not None and snapshot.idempotency is None:
            docs = engine.repository.read(
                invoice_ids=[payment.invoice_id],
                payment_references=[(payment.invoice_id, payment.payment_reference)],
            )
            snapshot.invoices, snapshot.claims = docs.invoices, docs.claims
        return snapshot

    def attempt(snapshot: Snapshot, ids: IdFactory) -> Attempt:
        payment = engine.require(snapshot.payments.get(payment_id), "invoice payment", payment_id)
        invoice = engine.require(snapshot.invoices.get(payment.invoice_id), "invoice", payment.invoice_id)
        claim = snapshot.claims.get(claim_id(invoice.id, payment.payment_reference))
        held = claim is not None and claim.payment_id == payment.id
        now, today = engine.timestamps()
        reversal = reverse_payment(
            payment,
            invoice,
            claim,
            reversal_id=ids("pay"),
            now=now,
            effective_date=today,
            description=command.description,
            reason_code=command.reason_code,
        )
        reversal.created_by = command.actor
        updates: list[Stored] = [payment, invoice]
        if held and claim is not None:
            updates.append(claim)  # freed: the reference may be used again
        unit = UnitOfWork(creates=[reversal], updates=updates)
        unit.events = [events.payment_moved(ids("evt"), invoice, reversal)]
        reversal.sequence = invoice.sequence
        return Attempt(unit, 200, InvoicePaymentView.of(reversal))

    return engine.mutate(command, key, read, attempt)


@use_case(commands.ListInvoicePayments)
def history(engine: Engine, command: commands.ListInvoicePayments, _: str | None) -> Outcome:
    invoice_id = command.invoice_id
    snapshot = engine.repository.read(invoice_ids=[invoice_id], consistent=False)
    engine.require(snapshot.invoices.get(invoice_id), "invoice", invoice_id)
    page = engine.repository.list_invoice_payments(invoice_id, page_size(command.limit), command.next_token)
    view = InvoicePaymentPage.model_construct(
        items=[InvoicePaymentView.of(p) for p in page.items], nextToken=page.next_token
    )
    return Outcome(200, view.body())
