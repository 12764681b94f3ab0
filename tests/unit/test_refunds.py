"""The refund rules (spec section 10) on domain objects: what a refund draws, what a reversal
gives back, and that a refused refund leaves the memo and the claim as they were."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
from credit_memos.domain.memos import void_credit_memo
from credit_memos.domain.refunds import RefundReferenceClaim, refund, reverse_refund
from credit_memos.errors import (
    AlreadyReversed,
    DuplicateReference,
    HasActiveRefunds,
    InsufficientBalance,
    InvalidStatus,
    ValidationError,
)

from tests.builders import NOW, TODAY, make_memo

D = Decimal


def _refund(
    memo: Any, amount: str, claim: RefundReferenceClaim | None = None, reference: str = "ach-1"
) -> Any:
    return refund(
        memo,
        claim,
        amount=D(amount),
        refund_reference=reference,
        refund_id="rfd_1",
        now=NOW,
        effective_date=TODAY,
        method="ACH",
        description=None,
        reason_code=None,
    )


def _reverse(record: Any, memo: Any, claim: Any) -> Any:
    return reverse_refund(
        record,
        memo,
        claim,
        reversal_id="rfd_2",
        now=NOW,
        effective_date=TODAY,
        description=None,
        reason_code=None,
    )


def test_a_refund_draws_from_the_lines_highest_balance_first_and_its_reversal_gives_it_back() -> None:
    memo = make_memo("20.00", "50.00", "50.00", "10.00")
    before = copy.deepcopy(memo)
    record, claim = _refund(memo, "75.00")
    ids = [line.id for line in memo.lines]
    # 50.00 and 50.00 tie: line order; the smaller lines are not touched.
    assert [(a.credit_memo_line_id, a.amount) for a in record.line_allocations] == [
        (ids[1], D("50.00")),
        (ids[2], D("25.00")),
    ]
    assert (memo.balance, memo.net_refunds, record.credit_memo_balance) == (
        D("55.00"),
        D("75.00"),
        D("55.00"),
    )
    assert [line.net_refunds for line in memo.lines] == [0, D("50.00"), D("25.00"), 0]
    assert claim.refund_id == "rfd_1"

    reversal = _reverse(record, memo, claim)
    assert (reversal.type, reversal.associated_refund_id, record.has_been_reversed) == (
        "Reversal",
        "rfd_1",
        "Yes",
    )
    assert claim.refund_id is None
    assert [(x.balance, x.net_refunds) for x in memo.lines] == [
        (x.balance, x.net_refunds) for x in before.lines
    ]
    assert (memo.balance, memo.net_refunds) == (before.balance, 0)
    with pytest.raises(AlreadyReversed):
        _reverse(record, memo, claim)
    with pytest.raises(InvalidStatus):
        _reverse(reversal, memo, claim)


@pytest.mark.parametrize(
    ("amount", "claimed", "status", "error"),
    [
        ("30.01", False, "Posted", InsufficientBalance),
        ("0", False, "Posted", ValidationError),
        ("1.001", False, "Posted", ValidationError),
        ("1.00", True, "Posted", DuplicateReference),
        ("1.00", False, "Draft", InvalidStatus),
    ],
)
def test_a_refused_refund_changes_nothing(amount: str, claimed: bool, status: str, error: type) -> None:
    memo = make_memo("30.00", status=status)
    claim = RefundReferenceClaim(memo.id, "ach-1", "rfd_0") if claimed else None
    before, held = copy.deepcopy(memo), copy.deepcopy(claim)
    with pytest.raises(error):
        _refund(memo, amount, claim)
    assert memo == before and claim == held


def test_a_freed_reference_is_taken_over_and_a_memo_with_a_refund_is_not_voided() -> None:
    memo = make_memo("30.00")
    freed = RefundReferenceClaim(memo.id, "ach-1", None, version=3)
    record, claim = _refund(memo, "30.00", freed)
    assert claim is freed and claim.refund_id == record.id and memo.balance == 0
    with pytest.raises(HasActiveRefunds):
        void_credit_memo(memo, NOW)
    _reverse(record, memo, claim)
    void_credit_memo(memo, NOW)
    assert memo.status == "Voided"
