"""Use cases of credit memos: create, post, void, get, list."""

from __future__ import annotations

from credit_memos.commands import memos as commands
from credit_memos.domain.documents import set_created_by
from credit_memos.domain.invoice_credit import apply_invoice_credit
from credit_memos.domain.memos import (
    build_memo_line,
    create_credit_memo,
    hold_for_approval,
    post_credit_memo,
    void_credit_memo,
)
from credit_memos.errors import ValidationError
from credit_memos.money import minor_units
from credit_memos.ports import Repository
from credit_memos.usecases.paging import page_size
from credit_memos.usecases.service import use_case
from credit_memos.usecases.unit_of_work import Result, UnitOfWork
from credit_memos.views import CreditMemoPage, CreditMemoView


@use_case(commands.CreateCreditMemo)
def create(uow: UnitOfWork, command: commands.CreateCreditMemo) -> Result:
    uow.read(number_series=command.status == "Posted")
    minor_units(command.currency)  # unknown currency: a 422 before any line is read
    lines = [
        build_memo_line(
            line_id=uow.new_id("cml"), currency=command.currency, charge=charge, field=("charges", i)
        )
        for i, charge in enumerate(command.charges)
    ]
    memo = create_credit_memo(
        memo_id=uow.new_id("cm"),
        billing_account_id=command.billing_account_id,
        currency=command.currency,
        status=command.status,
        effective_date=command.effective_date or uow.today,
        description=command.description,
        external_reference=command.external_reference,
        lines=lines,
        now=uow.now,
    )
    set_created_by([memo], command.actor, command.reason_code)
    hold_for_approval(memo, command.caller)
    uow.number(memo)
    uow.create(memo)
    uow.events.memo_created(memo)
    return Result(201, CreditMemoView.of(memo))


@use_case(commands.PostCreditMemo)
def post(uow: UnitOfWork, command: commands.PostCreditMemo) -> Result:
    """Post a Draft; one made from invoice lines (``actions/credit``) is applied to them now."""
    memo = uow.read(memo_ids=[command.credit_memo_id], number_series=True).memo(command.credit_memo_id)
    invoice = None
    if memo.source_action == "Invoice" and memo.reference_invoice_id is not None:
        invoice = uow.read(invoice_ids=[memo.reference_invoice_id]).invoice(memo.reference_invoice_id)
    post_credit_memo(memo, uow.now, posted_by=command.actor, caller=command.caller)
    entry = None
    if invoice is not None:
        entry = apply_invoice_credit(
            memo, invoice, entry_id=uow.new_id("app"), now=uow.now, effective_date=memo.effective_date
        )
        set_created_by([entry], command.actor)
        uow.create(entry)
        uow.update(invoice)
    uow.number(memo)
    uow.update(memo)
    uow.events.memo_posted(memo)
    if invoice is not None and entry is not None:
        uow.events.credit_moved(memo, invoice, entry)
    return Result(200, CreditMemoView.of(memo))


@use_case(commands.VoidCreditMemo)
def void(uow: UnitOfWork, command: commands.VoidCreditMemo) -> Result:
    memo = uow.read(memo_ids=[command.credit_memo_id]).memo(command.credit_memo_id)
    # A memo credited from invoice lines gives their credit back when voided, and a conversion
    # memo its lines, so its invoice is read too (its version guards the write).
    source = None
    if memo.source_action in ("Invoice", "NegativeInvoiceLineConversion"):
        assert memo.reference_invoice_id is not None
        source = uow.read(invoice_ids=[memo.reference_invoice_id]).invoices.get(memo.reference_invoice_id)
    void_credit_memo(
        memo, uow.now, source_invoice=source, reason_code=command.reason_code, voided_by=command.actor
    )
    uow.update(memo, *([source] if source else []))
    uow.events.memo_voided(memo)
    return Result(200, CreditMemoView.of(memo))


@use_case(commands.GetCreditMemo)
def get(repository: Repository, command: commands.GetCreditMemo) -> Result:
    memo = repository.read(memo_ids=[command.credit_memo_id], consistent=True).memo(command.credit_memo_id)
    return Result(200, CreditMemoView.of(memo))


@use_case(commands.ListCreditMemos)
def list_page(repository: Repository, command: commands.ListCreditMemos) -> Result:
    if command.document_number is not None:
        return _by_number(repository, command)
    if command.billing_account_id is None:
        raise ValidationError("is required unless documentNumber is given", field=("billing_account_id",))
    page = repository.list_credit_memos(
        command.billing_account_id,
        command.status,
        page_size(command.limit),
        command.next_token,
        command.reason_code,
    )
    items = [CreditMemoView.of(m, with_lines=False) for m in page.items]
    return Result(200, CreditMemoPage.model_construct(items=items, nextToken=page.next_token))


def _by_number(repository: Repository, command: commands.ListCreditMemos) -> Result:
    """The memo with this number (a page of at most one), as a list shows it; the other filters
    apply to it too, so a lookup never answers outside what was asked."""
    memo_id = repository.find_credit_memo_id(command.document_number or "")
    memos = repository.read(memo_ids=[memo_id], consistent=False).memos if memo_id else {}
    items = [
        CreditMemoView.of(memo, with_lines=False)
        for memo in memos.values()
        if command.billing_account_id in (None, memo.billing_account_id)
        and command.status in (None, memo.status)
        and command.reason_code in (None, memo.reason_code)
    ]
    return Result(200, CreditMemoPage.model_construct(items=items, nextToken=None))
