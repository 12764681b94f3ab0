"""Builders the tests share: domain documents, request bodies, and documents created through the API.

Each builder fills what a test does not care about with fixed values, so a test names only what it checks.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from credit_memos.documents.model import CreditNote, Language, Party, PostalAddress
from credit_memos.domain import inputs, invoices, memos
from credit_memos.domain.documents import CreditMemo, Invoice

if TYPE_CHECKING:
    from tests.harness import Api, HttpResult

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
    *charges: tuple[str, Sequence[str | inputs.TaxInput]] | str,
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
                    D(amount),
                    product_name="p",
                    taxes=tuple(
                        t if isinstance(t, inputs.TaxInput) else inputs.TaxInput(D(t)) for t in taxes
                    ),
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


# ---------------------------------------------------------------- credit note documents (no I/O)

SELLER = Party(
    "Nordlicht Software GmbH",
    PostalAddress("Friedrichstraße 12", "Berlin", "10117", "DE"),
    vat_id="DE811907980",
    legal_registration_id="HRB 123456 B",
    email="billing@nordlicht.example",
)
BUYER = Party(
    "Zoë Łukasiewicz SARL",
    PostalAddress("12 rue de la Paix", "Paris", "75002", "FR", line2="Bâtiment B"),
    vat_id="FR40303265045",
)


def make_credit_note(
    memo: CreditMemo,
    *,
    language: Language = "en",
    voided: bool = False,
    invoice_number: str | None = "INV-2026-0042",
    invoice_date: str | None = "2026-11-02",
) -> CreditNote:
    """A Posted (or Voided) memo with a number and a reason, sent by SELLER to BUYER."""
    memo.document_number = memo.document_number or f"CM-{next(_ids):08d}"
    memo.posted_at = memo.posted_at or NOW
    memo.reason_code = memo.reason_code or "BillingError"
    if voided:
        memo.status, memo.void_reason_code = "Voided", "Duplicate"
    return CreditNote(memo, SELLER, BUYER, language, invoice_number, invoice_date)


# ---------------------------------------------------------------- request bodies

ACCOUNT = "acct-1"


def invoice_body(
    *lines: str | tuple[str, str] | dict[str, Any],
    account: str = ACCOUNT,
    currency: str = "USD",
    level: str | None = None,
    status: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A create-invoice request; a line is a charge amount, a (charge, tax) pair or a whole line."""
    body: dict[str, Any] = {
        "billingAccountId": account,
        "currency": currency,
        "lines": [_invoice_line(line) for line in lines or ("100.00",)],
        **fields,
    }
    if level is not None:
        body["settlementLevel"] = level
    if status is not None:
        body["status"] = status
    return body


def _invoice_line(line: str | tuple[str, str] | dict[str, Any]) -> dict[str, Any]:
    if isinstance(line, str):
        return {"chargeAmount": line}
    if isinstance(line, tuple):
        return {"chargeAmount": line[0], "taxAmount": line[1]}
    return line


def memo_body(
    *charges: str | dict[str, Any],
    account: str = ACCOUNT,
    currency: str = "USD",
    status: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A create-credit-memo request; a charge is an amount (of a product named "Credit") or a whole charge."""
    body: dict[str, Any] = {
        "billingAccountId": account,
        "currency": currency,
        "charges": [
            {"chargeAmount": c, "productName": "Credit"} if isinstance(c, str) else c
            for c in charges or ("30.00",)
        ],
        **fields,
    }
    if status is not None:
        body["type"] = status
    return body


# ---------------------------------------------------------------- through the API


def create_invoice(api: Api, *lines: str | tuple[str, str] | dict[str, Any], **body: Any) -> dict[str, Any]:
    """Create an invoice over HTTP (``invoice_body``'s arguments) and return it."""
    r = api.post("/invoices", invoice_body(*lines, **body))
    assert r.status == 201, r
    return r.body


def create_memo(api: Api, *charges: str | dict[str, Any], **body: Any) -> dict[str, Any]:
    """Create a credit memo over HTTP (``memo_body``'s arguments) and return it."""
    r = api.post("/credit-memos", memo_body(*charges, **body))
    assert r.status == 201, r
    return r.body


def apply_memo(
    api: Api, memo: str | dict[str, Any], *targets: tuple[str | dict[str, Any], str | None]
) -> HttpResult:
    """Apply ``memo`` to each (invoice, amount) target (amount None: as much as the balances allow)."""
    applications = [
        {"invoiceId": _id(invoice), **({} if amount is None else {"amount": amount})}
        for invoice, amount in targets
    ]
    return api.post(f"/credit-memos/{_id(memo)}/actions/apply", {"applications": applications})


def refund_memo(
    api: Api,
    memo: str | dict[str, Any],
    amount: str,
    reference: str = "ach-1",
    *,
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> HttpResult:
    """Refund ``amount`` of ``memo``'s balance (``fields``: the request's other fields)."""
    body = {"amount": amount, "refundReference": reference, **fields}
    return api.post(f"/credit-memos/{_id(memo)}/actions/refund", body, headers=headers)


def _id(document: str | dict[str, Any]) -> str:
    return document if isinstance(document, str) else str(document["id"])


def memory_service(repository: Any, *, at: datetime = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)) -> Any:
    """The service on an in-memory repository, its clock stopped at ``at``, no pauses between retries."""
    from credit_memos.settings import Settings
    from credit_memos.usecases import CreditMemoService

    settings = Settings(max_conflict_retries=3)
    return CreditMemoService(repository, settings, clock=lambda: at, sleep=lambda _: None)
