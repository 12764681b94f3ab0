"""One request type per operation: what the edge builds, once, and the use case takes.

A command is a frozen dataclass of plain values (ids, Decimals, the ``domain.inputs``
value types). ``operation`` names it in idempotency records and ids; ``metric`` is the
business metric a first (not replayed) success emits. Queries have neither a key nor
a metric. ``use_cases`` names the module of ``credit_memos.usecases`` whose ``@use_case``
carries the type out: the service imports it on the first command of that type, so a function
loads only its own operation's use cases and domain modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from credit_memos.domain.documents import InvoiceStatus, ReasonCode, SettlementLevel, TaxStrategy
from credit_memos.domain.inputs import (
    ApplyTarget,
    CreditLineInput,
    InvoiceLineInput,
    LineApplyTarget,
    MemoChargeInput,
)


@dataclass(frozen=True)
class Request:
    """What every command has: its operation's name, use case module, whether it mutates, and the actor."""

    operation: ClassVar[str]
    # The module of credit_memos.usecases that registers this type's use case (checked there).
    use_cases: ClassVar[str]
    # Whether the request changes state (and may carry an idempotency key).
    mutates: ClassVar[bool] = True
    metric: ClassVar[str | None] = None
    # Who asks (spec section 7): set by the edge from the caller's identity (API Gateway's request
    # context, a direct payload's ``actor``, the function), never from a request body. Not part of
    # the idempotency fingerprint (usecases/engine.py).
    actor: str | None = field(default=None, kw_only=True)


def command_types() -> list[type[Request]]:
    """Every request type (the subclasses of ``Request``, derived, not listed)."""
    found: list[type[Request]] = []
    pending = list(Request.__subclasses__())
    while pending:
        command_type = pending.pop(0)
        found.append(command_type)
        pending.extend(command_type.__subclasses__())
    return found


# ---------------------------------------------------------------- invoices


@dataclass(frozen=True)
class CreateInvoice(Request):
    """Create an invoice (Draft or Posted) with its lines."""

    operation = "CreateInvoice"
    use_cases = "invoices"
    billing_account_id: str
    currency: str
    lines: tuple[InvoiceLineInput, ...]
    status: InvoiceStatus = "Posted"
    settlement_level: SettlementLevel | None = None
    invoice_date: str | None = None
    due_date: str | None = None


@dataclass(frozen=True)
class PostInvoice(Request):
    """Post a Draft invoice."""

    operation = "PostInvoice"
    use_cases = "invoices"
    invoice_id: str


@dataclass(frozen=True)
class GetInvoice(Request):
    """Read one invoice."""

    operation = "GetInvoice"
    use_cases = "invoices"
    mutates = False
    invoice_id: str


@dataclass(frozen=True)
class ListInvoices(Request):
    """One page of a billing account's invoices, optionally of one status."""

    operation = "ListInvoices"
    use_cases = "invoices"
    mutates = False
    billing_account_id: str
    status: str | None = None
    limit: int | None = None
    next_token: str | None = None


# ---------------------------------------------------------------- credit memos


@dataclass(frozen=True)
class CreateCreditMemo(Request):
    """Create a standalone credit memo (Draft or Posted) with its charges."""

    operation = "CreateCreditMemo"
    use_cases = "memos"
    billing_account_id: str
    currency: str
    charges: tuple[MemoChargeInput, ...]
    status: InvoiceStatus = "Posted"
    description: str | None = None
    effective_date: str | None = None
    external_reference: str | None = None
    reason_code: ReasonCode | None = None


@dataclass(frozen=True)
class PostCreditMemo(Request):
    """Post a Draft credit memo (it takes the next document number)."""

    operation = "PostCreditMemo"
    use_cases = "memos"
    credit_memo_id: str


@dataclass(frozen=True)
class VoidCreditMemo(Request):
    """Void a Posted credit memo that has no active applications."""

    operation = "VoidCreditMemo"
    use_cases = "memos"
    credit_memo_id: str
    reason_code: ReasonCode | None = None


@dataclass(frozen=True)
class GetCreditMemo(Request):
    """Read one credit memo."""

    operation = "GetCreditMemo"
    use_cases = "memos"
    mutates = False
    credit_memo_id: str


@dataclass(frozen=True)
class ListCreditMemos(Request):
    """One page of credit memos, by account and status or by document number."""

    operation = "ListCreditMemos"
    use_cases = "memos"
    mutates = False
    billing_account_id: str | None = None
    status: str | None = None
    limit: int | None = None
    next_token: str | None = None
    reason_code: ReasonCode | None = None
    # Finds the memo with this number (any account); billing_account_id is then not needed.
    document_number: str | None = None


# ---------------------------------------------------------------- applying credit


@dataclass(frozen=True)
class ApplyCreditMemo(Request):
    """Apply a credit memo's balance to invoices."""

    operation = "ApplyCreditMemo"
    use_cases = "applications"
    metric = "CreditApplied"
    credit_memo_id: str
    applications: tuple[ApplyTarget, ...]


@dataclass(frozen=True)
class ApplyCreditMemoLine(Request):
    """Apply one credit memo line's balance to invoice lines."""

    operation = "ApplyCreditMemoLine"
    use_cases = "applications"
    metric = "CreditApplied"
    credit_memo_id: str
    credit_memo_line_id: str
    applications: tuple[LineApplyTarget, ...]


@dataclass(frozen=True)
class UnapplyCreditMemoApplication(Request):
    """Unapply one Applied record of ``level``; a record of the other level is LEVEL_MISMATCH."""

    operation = "UnapplyCreditMemoApplication"
    use_cases = "applications"
    level: ClassVar[SettlementLevel] = "Invoice"
    application_id: str
    description: str | None = None
    effective_date: str | None = None
    reason_code: ReasonCode | None = None


@dataclass(frozen=True)
class UnapplyCreditMemoLineApplication(UnapplyCreditMemoApplication):
    """Reverse an application of a memo line to invoice lines."""

    operation = "UnapplyCreditMemoLineApplication"
    level: ClassVar[SettlementLevel] = "InvoiceLine"


@dataclass(frozen=True)
class GetApplication(Request):
    """One application record of ``level`` (a record of the other level is not found)."""

    operation = "GetApplication"
    use_cases = "applications"
    mutates = False
    application_id: str
    level: SettlementLevel = "Invoice"


@dataclass(frozen=True)
class ListApplications(Request):
    """A memo's or an invoice's application history (exactly one of the two ids)."""

    operation = "ListApplications"
    use_cases = "applications"
    mutates = False
    credit_memo_id: str | None = None
    invoice_id: str | None = None
    limit: int | None = None
    next_token: str | None = None


# ---------------------------------------------------------------- the account summary


@dataclass(frozen=True)
class GetAccountSummary(Request):
    """Read a billing account's summary (open balances and credit, per currency)."""

    operation = "GetAccountSummary"
    use_cases = "summary"
    mutates = False
    billing_account_id: str


# ---------------------------------------------------------------- memos made from invoices


@dataclass(frozen=True)
class CreditInvoice(Request):
    """Create a credit memo for chosen lines of an invoice and apply it to that invoice."""

    operation = "CreditInvoice"
    use_cases = "conversion"
    metric = "InvoiceCredited"
    invoice_id: str
    tax_strategy: TaxStrategy
    invoice_lines: tuple[CreditLineInput, ...]
    description: str | None = None
    effective_date: str | None = None
    reason_code: ReasonCode | None = None


@dataclass(frozen=True)
class ConvertNegativeInvoiceLines(Request):
    """Move an invoice's negative lines into a posted credit memo (and apply it, by default)."""

    operation = "ConvertNegativeInvoiceLines"
    use_cases = "conversion"
    metric = "NegativeLinesConverted"
    invoice_id: str
    invoice_line_ids: tuple[str, ...] | None = None
    apply_to_invoice: bool = True
    description: str | None = None
    effective_date: str | None = None
    reason_code: ReasonCode | None = None


# ---------------------------------------------------------------- payments (spec section 8)


@dataclass(frozen=True)
class RecordInvoicePayment(Request):
    """Record a payment against an invoice's balance."""

    operation = "RecordInvoicePayment"
    use_cases = "payments"
    metric = "PaymentRecorded"
    invoice_id: str
    amount: Decimal
    payment_reference: str
    effective_date: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class ReverseInvoicePayment(Request):
    """Reverse a recorded payment (the invoice's balance is restored)."""

    operation = "ReverseInvoicePayment"
    use_cases = "payments"
    metric = "PaymentReversed"
    payment_id: str
    description: str | None = None
    reason_code: ReasonCode | None = None


@dataclass(frozen=True)
class ListInvoicePayments(Request):
    """An invoice's Payment and Reversal records, oldest first."""

    operation = "ListInvoicePayments"
    use_cases = "payments"
    mutates = False
    invoice_id: str
    limit: int | None = None
    next_token: str | None = None


# ---------------------------------------------------------------- settlement (Step Functions)


@dataclass(frozen=True)
class PlanAccountSettlement(Request):
    """Plan which credit memos settle which invoices of an account (Step Functions)."""

    operation = "PlanAccountSettlement"
    use_cases = "settlement"
    mutates = False
    billing_account_id: str
    execution_id: str
    max_items: int
    currency: str | None = None
    credit_memo_ids: tuple[str, ...] | None = None
    exclude_invoice_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class SummarizeAccountSettlement(Request):
    """Summarize a settlement execution's results (Step Functions)."""

    operation = "SummarizeAccountSettlement"
    use_cases = "settlement"
    mutates = False
    plan: dict[str, Any]
    results: tuple[dict[str, Any], ...]
