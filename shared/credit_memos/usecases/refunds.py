"""Use cases of refunds (spec section 10): refund, reverse, read one, a memo's refund records."""

from __future__ import annotations

from credit_memos.commands import refunds as commands
from credit_memos.domain.refunds import refund, refund_claim_id, reverse_refund
from credit_memos.ports import Repository
from credit_memos.usecases.paging import page_size
from credit_memos.usecases.service import use_case
from credit_memos.usecases.unit_of_work import Result, UnitOfWork
from credit_memos.views import CreditMemoRefundPage, CreditMemoRefundView


@use_case(commands.RefundCreditMemo)
def refund_memo(uow: UnitOfWork, command: commands.RefundCreditMemo) -> Result:
    """The memo and its reference's claim, read consistently and written in one transaction: a
    racing refund, apply or reversal changes the memo's version (or the claim's), so the loser
    re-reads and meets INSUFFICIENT_BALANCE or DUPLICATE_REFERENCE."""
    memo_id, reference = command.credit_memo_id, command.refund_reference
    found = uow.read(memo_ids=[memo_id], refund_references=[(memo_id, reference)])
    memo = found.memo(memo_id)
    held = found.refund_claims.get(refund_claim_id(memo_id, reference))
    record, claim = refund(
        memo,
        held,
        amount=command.amount,
        refund_reference=reference,
        refund_id=uow.new_id("rfd"),
        now=uow.now,
        effective_date=command.effective_date or uow.today,
        method=command.method,
        description=command.description,
        reason_code=command.reason_code,
    )
    record.created_by = command.actor
    uow.create(record)
    uow.update(memo)
    # A freed claim (its refund reversed) is taken over at the version read; a new one created.
    if held is not None:
        uow.update(claim)
    else:
        uow.create(claim)
    uow.events.refund_moved(memo, record)
    record.sequence = memo.sequence  # the list's order: the memo's commit order
    return Result(201, CreditMemoRefundView.of(record))


@use_case(commands.ReverseCreditMemoRefund)
def reverse(uow: UnitOfWork, command: commands.ReverseCreditMemoRefund) -> Result:
    record = uow.read(refund_ids=[command.refund_id]).refund(command.refund_id)
    # The record names its memo and reference, so they are read second (still consistent).
    memo_id = record.credit_memo_id
    found = uow.read(memo_ids=[memo_id], refund_references=[(memo_id, record.refund_reference)])
    memo = found.memo(memo_id)
    claim = found.refund_claims.get(refund_claim_id(memo_id, record.refund_reference))
    held = claim is not None and claim.refund_id == record.id
    reversal = reverse_refund(
        record,
        memo,
        claim,
        reversal_id=uow.new_id("rfd"),
        now=uow.now,
        effective_date=uow.today,
        description=command.description,
        reason_code=command.reason_code,
    )
    reversal.created_by = command.actor
    uow.create(reversal)
    uow.update(record, memo)
    if held and claim is not None:
        uow.update(claim)  # freed: the reference may be used again
    uow.events.refund_moved(memo, reversal)
    reversal.sequence = memo.sequence
    return Result(200, CreditMemoRefundView.of(reversal))


@use_case(commands.GetCreditMemoRefund)
def get(repository: Repository, command: commands.GetCreditMemoRefund) -> Result:
    record = repository.read(refund_ids=[command.refund_id], consistent=False).refund(command.refund_id)
    return Result(200, CreditMemoRefundView.of(record))


@use_case(commands.ListCreditMemoRefunds)
def history(repository: Repository, command: commands.ListCreditMemoRefunds) -> Result:
    memo_id = command.credit_memo_id
    repository.read(memo_ids=[memo_id], consistent=False).memo(memo_id)
    page = repository.list_memo_refunds(memo_id, page_size(command.limit), command.next_token)
    items = [CreditMemoRefundView.of(r) for r in page.items]
    return Result(200, CreditMemoRefundPage.model_construct(items=items, nextToken=page.next_token))
