"""Journal entries: the double-entry bookkeeping of every change of money, derived from its events.

``journal_entries`` is the one place that says which accounts a change debits and credits. The
unit of work calls it at commit on the events the use case staged, and the entries are written in
the change's own transaction (docs/design.md "The books"), so each committed change has exactly its
entries. It reads the events' details (the published JSON shape), so it needs nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from credit_memos.money import ZERO

if TYPE_CHECKING:
    from credit_memos.domain.events import DomainEvent

Account = Literal[
    "AccountsReceivable", "CustomerCredit", "Revenue", "SalesReturns", "TaxPayable", "Cash", "BadDebtExpense"
]
ACCOUNTS: tuple[Account, ...] = (
    "AccountsReceivable",
    "CustomerCredit",
    "Revenue",
    "SalesReturns",
    "TaxPayable",
    "Cash",
    "BadDebtExpense",
)
# A memo's charge is booked against this account, by how the memo came about (its tax: TaxPayable).
_CHARGE_ACCOUNT: dict[str, Account] = {
    "Standalone": "SalesReturns",
    "Invoice": "SalesReturns",
    "WriteOffPostedInvoice": "BadDebtExpense",
}


@dataclass(frozen=True)
class JournalLine:
    """One account's debit or credit in an entry (the other side is 0)."""

    account: Account
    account_code: str
    debit: Decimal
    credit: Decimal


@dataclass(frozen=True)
class JournalEntry:
    """One balanced entry (Σ debit = Σ credit); never changed once written."""

    id: str
    entry_date: str
    recorded_at: str
    billing_account_id: str
    currency: str
    source_type: str
    source_id: str
    document_number: str | None
    reason_code: str | None
    created_by: str | None
    lines: tuple[JournalLine, ...] = field(default=())

    @property
    def period(self) -> str:
        return period_of(self.entry_date)


def period_of(day: str) -> str:
    """The accounting period (``YYYY-MM``) of an ISO date."""
    return day[:7]


def journal_entries(
    events: Sequence[DomainEvent], codes: Mapping[str, str], recorded_at: str
) -> list[JournalEntry]:
    """The entries of one change, in the events' order: one per source and date.

    ``codes`` maps each account to its code (deployment settings); ``recorded_at`` is the change's
    commit time. The events of one change that have the same source and date (an apply to many
    invoices on one day) make one entry, so a change writes at most one journal item per date.
    An entry's id derives from its first event's id, which derives from the request's
    idempotency key: a retry of the same change makes the same entry.
    """
    merged: dict[tuple[str, str, str], tuple[dict[str, Any], dict[Account, Decimal]]] = {}
    for event in events:
        made = _entry(event, recorded_at)
        if made is None:
            continue
        amounts, fields = made
        key = (fields["source_type"], fields["source_id"], fields["entry_date"])
        held = merged.setdefault(key, (fields, {}))[1]
        for account, amount in amounts:
            held[account] = held.get(account, ZERO) + amount
    entries = []
    for fields, totals in merged.values():
        lines = tuple(_line(account, codes[account], amount) for account, amount in totals.items() if amount)
        if lines:
            entries.append(JournalEntry(**fields, lines=lines))
    return entries


def _line(account: Account, code: str, signed: Decimal) -> JournalLine:
    # A positive amount is a debit, a negative one a credit (a negative invoice total is possible
    # for the charge part alone, with a larger tax).
    return JournalLine(account, code, signed if signed > 0 else ZERO, -signed if signed < 0 else ZERO)


def _money(value: Any) -> Decimal:
    return Decimal(str(value))


def _entry(
    event: DomainEvent, recorded_at: str
) -> tuple[list[tuple[Account, Decimal]], dict[str, Any]] | None:
    detail, kind = event.detail, event.detail_type
    base = {"id": f"je-{event.event_id}", "recorded_at": recorded_at, "created_by": detail.get("createdBy")}
    if kind in ("InvoiceCreated", "InvoicePosted"):
        invoice = detail["invoice"]
        if invoice["status"] != "Posted":
            return None
        charge, tax = _money(invoice["totalChargeAmount"]), _money(invoice["totalTaxAmount"])
        return [("AccountsReceivable", charge + tax), ("Revenue", -charge), ("TaxPayable", -tax)], base | _of(
            invoice, "InvoicePosted", invoice["id"], invoice["invoiceDate"], None, None
        )
    if kind in ("CreditMemoCreated", "CreditMemoPosted", "CreditMemoVoided"):
        memo = detail["creditMemo"]
        if memo["status"] == "Draft":
            return None
        charge, tax = _money(memo["totalChargeAmount"]), _money(memo["totalTaxAmount"])
        if memo["sourceAction"] == "NegativeInvoiceLineConversion":
            # The negative lines already lowered revenue when the invoice was posted: the memo
            # turns that part of the receivable into credit owed.
            amounts: list[tuple[Account, Decimal]] = [("AccountsReceivable", charge + tax)]
        else:
            amounts = [
                (_CHARGE_ACCOUNT.get(memo["sourceAction"], "SalesReturns"), charge),
                ("TaxPayable", tax),
            ]
        amounts.append(("CustomerCredit", -(charge + tax)))
        voided = kind == "CreditMemoVoided"
        if voided:
            amounts = [(account, -amount) for account, amount in amounts]
        day = recorded_at[:10] if voided else memo["effectiveDate"]
        reason = memo.get("voidReasonCode") if voided else memo.get("reasonCode")
        source = "CreditMemoVoided" if voided else "CreditMemoPosted"
        return amounts, base | _of(memo, source, memo["id"], day, memo.get("documentNumber"), reason)
    if kind in ("CreditApplied", "CreditUnapplied"):
        memo, records = detail["creditMemo"], detail.get("applications") or []
        amount = _money(detail["amount"])
        if kind == "CreditUnapplied":
            amount = -amount
        first = records[0] if records else {}
        day = first.get("effectiveDate") or recorded_at[:10]
        # The memo is the source: an apply to several invoices on one day is one entry.
        return [("CustomerCredit", amount), ("AccountsReceivable", -amount)], base | _of(
            memo, kind, memo["id"], day, memo.get("documentNumber"), first.get("reasonCode")
        )
    if kind in ("PaymentRecorded", "PaymentReversed"):
        invoice, payment = detail["invoice"], detail["payment"]
        amount = _money(payment["amount"])
        if kind == "PaymentReversed":
            amount = -amount
        return [("Cash", amount), ("AccountsReceivable", -amount)], base | _of(
            invoice, kind, payment["id"], payment["effectiveDate"], None, payment.get("reasonCode")
        )
    if kind in ("CreditMemoRefunded", "RefundReversed"):
        # Credit owed paid back outside the service: the customer is owed less, cash went out.
        memo, refund = detail["creditMemo"], detail["refund"]
        amount = _money(refund["amount"])
        if kind == "RefundReversed":
            amount = -amount
        return [("CustomerCredit", amount), ("Cash", -amount)], base | _of(
            memo,
            kind,
            refund["id"],
            refund["effectiveDate"],
            memo.get("documentNumber"),
            refund.get("reasonCode"),
        )
    return None


def _of(
    document: Mapping[str, Any],
    source_type: str,
    source_id: str,
    day: str,
    number: str | None,
    reason: str | None,
) -> dict[str, Any]:
    return {
        "entry_date": day,
        "billing_account_id": document["billingAccountId"],
        "currency": document["currency"],
        "source_type": source_type,
        "source_id": source_id,
        "document_number": number,
        "reason_code": reason,
    }


# ---------------------------------------------------------------- balances


@dataclass
class AccountBalance:
    """What an account has been debited and credited in total."""

    debit: Decimal = ZERO
    credit: Decimal = ZERO

    @property
    def balance(self) -> Decimal:
        """Debits - credits (a credit-normal account such as CustomerCredit is negative)."""
        return self.debit - self.credit


Balances = dict[str, AccountBalance]  # by account


def add_entries(balances: Balances, entries: Iterable[JournalEntry]) -> Balances:
    """``balances`` plus the lines of ``entries`` (the caller picks their currency and account)."""
    for entry in entries:
        for line in entry.lines:
            held = balances.setdefault(line.account, AccountBalance())
            held.debit += line.debit
            held.credit += line.credit
    return balances


def add_balances(balances: Balances, more: Mapping[str, AccountBalance]) -> Balances:
    for account, amount in more.items():
        held = balances.setdefault(account, AccountBalance())
        held.debit += amount.debit
        held.credit += amount.credit
    return balances


def is_balanced(entry: JournalEntry) -> bool:
    return sum((line.debit for line in entry.lines), ZERO) == sum((line.credit for line in entry.lines), ZERO)
