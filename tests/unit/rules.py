"""Shortcuts that call the domain rules with fresh ids and the builders' fixed clock and dates."""

from __future__ import annotations

import copy
from decimal import Decimal

from credit_memos.domain import applying, conversion, inputs, invoice_credit
from credit_memos.domain.documents import ApplicationEntry, CreditMemo, Invoice

from tests.builders import NOW, TODAY, new_id

D = Decimal


def apply(memo: CreditMemo, invoice: Invoice, amount: str | None = None) -> ApplicationEntry:
    return applying.apply_credit_memo(
        memo,
        invoice,
        amount=None if amount is None else D(amount),
        entry_id=new_id("app"),
        now=NOW,
        effective_date=TODAY,
        description=None,
    )


def apply_line(
    memo: CreditMemo, memo_line_id: str, invoice: Invoice, *targets: tuple[str, str | None]
) -> ApplicationEntry:
    return applying.apply_credit_memo_line(
        memo,
        memo_line_id,
        invoice,
        [
            (i, inputs.LineApplyTarget(invoice.id, line_id, None if amount is None else D(amount)))
            for i, (line_id, amount) in enumerate(targets)
        ],
        entry_id=new_id("app"),
        now=NOW,
        effective_date=TODAY,
        description=None,
    )


def unapply(
    entry: ApplicationEntry, record_id: str, memo: CreditMemo, invoice: Invoice, level: str = "Invoice"
):
    return applying.unapply_application(
        entry,
        record_id,
        memo,
        invoice,
        level=level,  # type: ignore[arg-type]
        new_entry_id=new_id("app"),
        now=NOW,
        effective_date=TODAY,
        description=None,
    )


def credit(invoice: Invoice, strategy: str, *credits: inputs.CreditLineInput):
    memo = invoice_credit.credit_invoice(
        invoice,
        credits,
        tax_strategy=strategy,
        memo_id=new_id("cm"),
        memo_line_ids=[new_id("cml") for _ in credits],
        now=NOW,
        effective_date=TODAY,
        description=None,
    )
    entry = invoice_credit.apply_invoice_credit(
        memo, invoice, entry_id=new_id("app"), now=NOW, effective_date=TODAY
    )
    return memo, entry


def convert(invoice: Invoice, line_ids: list[str] | None = None, *, apply_to_invoice: bool = True):
    return conversion.convert_negative_lines(
        invoice,
        line_ids,
        apply_to_invoice=apply_to_invoice,
        memo_id=new_id("cm"),
        memo_line_ids=[new_id("cml") for _ in invoice.lines],
        entry_id=new_id("app"),
        now=NOW,
        effective_date=TODAY,
        description=None,
    )


def unchanged(*docs: object):
    """Context helper: the documents must compare equal before and after."""

    class _Guard:
        def __enter__(self) -> None:
            self.before = copy.deepcopy(docs)

        def __exit__(self, *exc: object) -> None:
            assert docs == self.before, "a rule that raised changed its arguments"

    return _Guard()


def line_balances(doc: Invoice | CreditMemo) -> list[Decimal]:
    return [line.balance for line in doc.lines]
