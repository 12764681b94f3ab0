"""Builders the tests share: domain documents, request bodies, and documents created through the API.

Each builder fills what a test does not care about with fixed values, so a test names only what it checks.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from credit_memos.domain import inputs, invoices, memos
from credit_memos.domain.documents import CreditMemo, Invoice

if TYPE_CHECKING:
    pass

NOW = "2026-11-25T10:00:00.000Z"
TODAY = "2026-11-25"
D = Decimal
_ids = itertools.count(1)

# ---------------------------------------------------------------- domain documents (no I/O)


def new_id(prefix: str) -> str:
    return f"{prefix}_{next(_ids)}"


def make_invoice(
    *lines: tuple[str, str] | str,
    level: str = "Invoice",
    status: str = "Posted",
    currency: str = "USD",
    account: str = "acct-1",
) -> Invoice:
    line_inputs = []
    for line in lines:
        charge, tax = (line, "0") if isinstance(line, str) else line
        line_inputs.append(inputs.InvoiceLineInput(D(charge), D(tax), product_name="p"))
    return invoices.create_invoice(
        invoice_id=new_id("inv"),
        line_ids=[new_id("invl") for _ in line_inputs],
        billing_account_id=account,
        currency=currency,
        status=status,
        settlement_level=level,  # type: ignore[arg-type]
        invoice_date=TODAY,
        due_date=None,
        lines=line_inputs,
        now=NOW,
    )


def make_memo(
    *charges: tuple[str, Sequence[str]] | str,
    status: str = "Posted",
    currency: str = "USD",
    account: str = "acct-1",
) -> CreditMemo:
    lines = []
    for index, charge in enumerate(charges):
        amount, taxes = (charge, ()) if isinstance(charge, str) else charge
        lines.append(
            memos.build_memo_line(
                line_id=new_id("cml"),
                currency=currency,
                charge=inputs.MemoChargeInput(
                    D(amount), product_name="p", taxes=tuple(inputs.TaxInput(D(t)) for t in taxes)
                ),
                field=("charges", index),
            )
        )
    return memos.create_credit_memo(
        memo_id=new_id("cm"),
        billing_account_id=account,
        currency=currency,
        status=status,
        effective_date=TODAY,
        description=None,
        external_reference=None,
        lines=lines,
        now=NOW,
    )
