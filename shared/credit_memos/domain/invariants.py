"""The invariants of docs/api.md section 2 (and section 8's payments), checked on a stored document.

Pure: a document and, when its history was read, the sum of its active Applied records. Each
record kind has its rules in ``RULES``; a later kind (refunds, say) is one entry more.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from credit_memos.domain.documents import CreditMemo, Invoice
from credit_memos.money import ZERO


@dataclass(frozen=True)
class Violation:
    """One invariant a document breaks, said in a sentence."""

    document_id: str
    rule: str
    message: str


# A rule: the document and the sum of its active applications (None: history not read) in, the
# sentences of what it breaks out.
Rule = Callable[[Any, Decimal | None], Iterator[str]]


def _memo_balance(memo: CreditMemo, applied: Decimal | None) -> Iterator[str]:
    if memo.status == "Voided":
        if memo.balance != 0:
            yield f"a Voided memo has balance {memo.balance}, not 0"
        return
    expected = memo.total_amount_with_tax - memo.net_credits_applied
    if memo.balance != expected:
        yield f"balance {memo.balance} is not {memo.total_amount_with_tax} - {memo.net_credits_applied}"
    if not ZERO <= memo.balance <= memo.total_amount_with_tax:
        yield f"balance {memo.balance} is outside 0..{memo.total_amount_with_tax}"
    if applied is not None and applied != memo.net_credits_applied:
        yield f"its active applications total {applied}, not the {memo.net_credits_applied} it says"


def _memo_lines(memo: CreditMemo, _: Decimal | None) -> Iterator[str]:
    if memo.status == "Voided":
        return
    for line in memo.lines:
        if line.balance != line.amount_with_tax - line.net_credits_applied:
            expected = line.amount_with_tax - line.net_credits_applied
            yield f"line {line.id} balance {line.balance} is not {expected}"
        if not ZERO <= line.balance <= max(line.amount_with_tax, ZERO):
            yield f"line {line.id} balance {line.balance} is outside 0..{line.amount_with_tax}"


def _invoice_balance(invoice: Invoice, applied: Decimal | None) -> Iterator[str]:
    expected = (
        invoice.total_amount_with_tax
        - invoice.total_converted_neg_amount
        - invoice.net_credits_applied
        - invoice.net_payments_applied
    )
    if invoice.balance != expected:
        yield (
            f"balance {invoice.balance} is not total {invoice.total_amount_with_tax} - converted"
            f" {invoice.total_converted_neg_amount} - credits {invoice.net_credits_applied} - payments"
            f" {invoice.net_payments_applied}"
        )
    if invoice.balance < 0:
        yield f"balance {invoice.balance} is below 0"
    if applied is not None and applied != invoice.net_credits_applied:
        yield f"its active applications total {applied}, not the {invoice.net_credits_applied} it says"


def _invoice_lines(invoice: Invoice, _: Decimal | None) -> Iterator[str]:
    if invoice.settlement_level != "InvoiceLine":
        return
    for line in invoice.lines:
        expected = (
            line.amount_with_tax
            - line.converted_neg_amount
            - line.net_credits_applied
            - line.payments_applied
        )
        if line.balance != expected:
            yield f"line {line.id} balance {line.balance} is not {expected}"
        if line.balance < 0 and not line.is_negative:  # a negative line's balance is, until converted
            yield f"line {line.id} balance {line.balance} is below 0"
    total = sum((line.balance for line in invoice.lines), ZERO)
    if invoice.lines and total != invoice.balance:
        yield f"its lines' balances add up to {total}, not its balance {invoice.balance}"


RULES: dict[type, tuple[Rule, ...]] = {
    CreditMemo: (_memo_balance, _memo_lines),
    Invoice: (_invoice_balance, _invoice_lines),
}


def check(document: Any, applied: Decimal | None = None) -> list[Violation]:
    """What the document breaks (nothing: an empty list)."""
    return [
        Violation(document.id, rule.__name__.lstrip("_"), message)
        for rule in RULES.get(type(document), ())
        for message in rule(document, applied)
    ]
