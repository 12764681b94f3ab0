"""Use cases of credit memos: create, post, void, get, list."""

from __future__ import annotations

from credit_memos.commands import memos as commands
from credit_memos.domain import events
from credit_memos.domain.documents import stamp
from credit_memos.domain.memos import build_memo_line, create_credit_memo, post_credit_memo, void_credit_memo
from credit_memos.errors import ValidationError
from credit_memos.ids import IdFactory
from credit_memos.money import minor_units
from credit_memos.ports import Snapshot, UnitOfWork
from credit_memos.usecases.engine import Attempt, Engine, Outcome
from credit_memos.usecases.paging import page_size
from credit_memos.usecases.service import use_case
from credit_memos.views import CreditMemoPage, CreditMemoView


@use_case(commands.CreateCreditMemo)
def create(engine: Engine, command: commands.CreateCreditMemo, key: str | None) -> Outcome:
    def attempt(snapshot: Snapshot, ids: IdFactory) -> Attempt:
        now, today = engine.timestamps()
        minor_units(command.currency)  # unknown currency: a 422 before any line is read
        lines = [
            build_memo_line(
                line_id=ids("cml"), currency=command.currency, charge=charge, field=("charges", index)
            )
            for index, charge in enumerate(command.charges)
        ]
        memo = create_credit_memo(
            memo_id=ids("cm"),
            billing_account_id=command.billing_account_id,
            currency=command.currency,
            status=command.status,
            effective_date=command.effective_date or today,
            description=command.description,
            external_reference=command.external_reference,
            lines=lines,
            now=now,
        )
        stamp([memo], command.actor, command.reason_code)
        series = engine.number(snapshot, memo)
        unit = UnitOfWork(creates=[memo], events=[events.memo_created(ids("evt"), memo)], series=series)
        return Attempt(unit, 201, CreditMemoView.of(memo))

    return engine.mutate(command, key, engine.reader(numbered=command.status == "Posted"), attempt)


@use_case(commands.PostCreditMemo)
def post(engine: Engine, command: commands.PostCreditMemo, key: str | None) -> Outcome:
    memo_id = command.credit_memo_id

    def attempt(snapshot: Snapshot, ids: IdFactory) -> Attempt:
        memo = engine.require(snapshot.memos.get(memo_id), "credit memo", memo_id)
        now, _today = engine.timestamps()
        post_credit_memo(memo, now)
        series = engine.number(snapshot, memo)
        unit = UnitOfWork(updates=[memo], events=[events.memo_posted(ids("evt"), memo)], series=series)
        return Attempt(unit, 200, CreditMemoView.of(memo))

    return engine.mutate(command, key, engine.reader(memo_ids=[memo_id], numbered=True), attempt)


@use_case(commands.VoidCreditMemo)
def void(engine: Engine, command: commands.VoidCreditMemo, key: str | None) -> Outcome:
    memo_id = command.credit_memo_id
    memo_read = engine.reader(memo_ids=[memo_id])

    def read(idempotency: tuple[str, str] | None) -> Snapshot:
        # A memo credited from invoice lines gives their credit back when voided, and a
        # conversion memo its lines, so its invoice is read too (second, still consistent;
        # its version guards the write).
        snapshot = memo_read(idempotency)
        memo = snapshot.memos.get(memo_id)
        from_invoice = ("Invoice", "NegativeInvoiceLineConversion")
        if memo is not None and memo.source_action in from_invoice and snapshot.idempotency is None:
            assert memo.reference_invoice_id is not None
            snapshot.invoices = engine.repository.read(invoice_ids=[memo.reference_invoice_id]).invoices
        return snapshot

    def attempt(snapshot: Snapshot, ids: IdFactory) -> Attempt:
        memo = engine.require(snapshot.memos.get(memo_id), "credit memo", memo_id)
        source = snapshot.invoices.get(memo.reference_invoice_id or "")
        now, _today = engine.timestamps()
        void_credit_memo(
            memo, now, source_invoice=source, reason_code=command.reason_code, voided_by=command.actor
        )
        unit = UnitOfWork(updates=[memo, *([source] if source else [])])
        unit.events = [events.memo_voided(ids("evt"), memo)]
        return Attempt(unit, 200, CreditMemoView.of(memo))

    return engine.mutate(command, key, read, attempt)


@use_case(commands.GetCreditMemo)
def get(engine: Engine, command: commands.GetCreditMemo, _: str | None) -> Outcome:
    memo_id = command.credit_memo_id
    snapshot = engine.repository.read(memo_ids=[memo_id], consistent=True)
    memo = engine.require(snapshot.memos.get(memo_id), "credit memo", memo_id)
    return Outcome(200, CreditMemoView.of(memo).body())


@use_case(commands.ListCreditMemos)
def list_page(engine: Engine, command: commands.ListCreditMemos, _: str | None) -> Outcome:
    if command.document_number is not None:
        return _by_number(engine, command)
    if command.billing_account_id is None:
        raise ValidationError("is required unless documentNumber is given", field=("billing_account_id",))
    page = engine.repository.list_credit_memos(
        command.billing_account_id,
        command.status,
        page_size(command.limit),
        command.next_token,
        command.reason_code,
    )
    view = CreditMemoPage.model_construct(
        items=[CreditMemoView.of(m, with_lines=False) for m in page.items], nextToken=page.next_token
    )
    return Outcome(200, view.body())


def _by_number(engine: Engine, command: commands.ListCreditMemos) -> Outcome:
    """The memo with this number (a page of at most one), as a list shows it; the other filters
    apply to it too, so a lookup never answers outside what was asked."""
    memo_id = engine.repository.find_credit_memo_id(command.document_number or "")
    memos = engine.repository.read(memo_ids=[memo_id], consistent=False).memos if memo_id else {}
    items = [
        CreditMemoView.of(memo, with_lines=False)
        for memo in memos.values()
        if command.billing_account_id in (None, memo.billing_account_id)
        and command.status in (None, memo.status)
        and command.reason_code in (None, memo.reason_code)
    ]
    return Outcome(200, CreditMemoPage.model_construct(items=items, nextToken=None).body())
