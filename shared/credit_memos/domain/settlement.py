"""Settling a billing account's credit: which memo pays which invoice, and how much.

Pure functions, used by the ApplyAccountCredits and ConvertAndSettleInvoice state
machines through the planning function:

- ``plan_settlement`` pairs the account's Posted memos that still have a balance
  (oldest effective date first) with its Posted invoices that still have a balance
  (oldest invoice date first), per currency, greedily: the oldest memo pays the
  oldest invoice until one of them runs out, then the next one takes over. Each
  pair gets an idempotency key derived from the execution, so a retried, redriven
  or restarted iteration of the same execution replays instead of applying twice.
- ``summarize_settlement`` totals what the state machine's Map state reports, in
  exact decimals, into applied records and skipped pairs with their reasons.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from credit_memos.domain.documents import CreditMemo, Invoice
from credit_memos.errors import AccountMismatch, FieldPath, ValidationError
from credit_memos.limits import MAX_PLAN_ITEMS
from credit_memos.money import ZERO, format_amount

# One execution's Map state runs at most MAX_PLAN_ITEMS applies. Every iteration adds a
# handful of events to the execution history (limit 25,000) and its result to the
# state's data (limit 256 KB; a line-level apply lists every record id). A larger
# backlog is settled by running again (the summary says ``truncated``).
# The domain errors after which an apply is skipped (recorded with its reason) rather
# than retried or failing the execution: the documents changed since the plan.
SKIPPABLE_ERRORS = ("InsufficientBalance", "InvalidStatus", "NotFound", "CurrencyMismatch", "AccountMismatch")
_MAX_MESSAGE = 500


@dataclass(frozen=True)
class PlannedApplication:
    """One application a settlement plan will make: memo, invoice, amount and its key."""

    credit_memo_id: str
    invoice_id: str
    amount: Decimal
    currency: str
    idempotency_key: str


@dataclass(frozen=True)
class SettlementPlan:
    """The applications planned for one account (and whether more were left for later)."""

    billing_account_id: str
    currency: str | None
    items: list[PlannedApplication]
    # Pairs that did not fit into this execution (see MAX_PLAN_ITEMS).
    truncated: bool


def settlement_key(execution_id: str, credit_memo_id: str, invoice_id: str) -> str:
    """The idempotency key of one (memo, invoice) apply of one execution.

    Greedy pairing meets each pair at most once per plan, so the pair and the
    execution name the apply uniquely; the digest keeps the key short and opaque.
    """
    digest = hashlib.sha256(f"{execution_id}\x00{credit_memo_id}\x00{invoice_id}".encode()).hexdigest()
    return f"settle-{digest}"


def _open[D: (CreditMemo, Invoice)](
    docs: Iterable[D], billing_account_id: str, currency: str | None, excluded: Set[str] = frozenset()
) -> list[D]:
    """The Posted documents of the account with a balance left (in ``currency`` if given)."""
    return [
        d
        for d in docs
        if d.status == "Posted"
        and d.balance > 0
        and d.billing_account_id == billing_account_id
        and d.id not in excluded
        and (currency is None or d.currency == currency)
    ]


def plan_settlement(
    memos: Iterable[CreditMemo],
    invoices: Iterable[Invoice],
    *,
    billing_account_id: str,
    execution_id: str,
    currency: str | None = None,
    exclude_invoice_ids: Iterable[str] = (),
    max_items: int = MAX_PLAN_ITEMS,
) -> SettlementPlan:
    """Oldest memo to oldest invoice first, per currency, until credit or debt runs out.

    Documents of other accounts are a caller error (the service only passes the
    account's own, or memos the caller named); non-Posted documents and documents
    without a balance are simply not part of the plan.
    """
    memos, invoices = list(memos), list(invoices)
    for memo in memos:
        if memo.billing_account_id != billing_account_id:
            raise AccountMismatch(
                f"credit memo {memo.id} does not belong to billing account {billing_account_id}"
            )
    open_memos = sorted(_open(memos, billing_account_id, currency), key=lambda m: (m.effective_date, m.id))
    open_invoices = sorted(
        _open(invoices, billing_account_id, currency, set(exclude_invoice_ids)),
        key=lambda i: (i.invoice_date, i.id),
    )
    items: list[PlannedApplication] = []
    truncated = False
    for code in sorted({m.currency for m in open_memos}):
        memo_queue = [m for m in open_memos if m.currency == code]
        invoice_queue = [i for i in open_invoices if i.currency == code]
        memo_left = {m.id: m.balance for m in memo_queue}
        invoice_left = {i.id: i.balance for i in invoice_queue}
        m = i = 0
        while m < len(memo_queue) and i < len(invoice_queue):
            memo, invoice = memo_queue[m], invoice_queue[i]
            amount = min(memo_left[memo.id], invoice_left[invoice.id])
            if len(items) == max_items:
                truncated = True
                break
            items.append(
                PlannedApplication(
                    credit_memo_id=memo.id,
                    invoice_id=invoice.id,
                    amount=amount,
                    currency=code,
                    idempotency_key=settlement_key(execution_id, memo.id, invoice.id),
                )
            )
            memo_left[memo.id] -= amount
            invoice_left[invoice.id] -= amount
            if memo_left[memo.id] == 0:
                m += 1
            if invoice_left[invoice.id] == 0:
                i += 1
    return SettlementPlan(billing_account_id, currency, items, truncated)


def plan_view(plan: SettlementPlan, description: str | None = None) -> dict[str, Any]:
    """The plan as the state machine's Map state iterates it.

    Each item carries the apply request itself (``applications``), so the state
    machine passes it on without building arrays in ASL.
    """

    def item(p: PlannedApplication) -> dict[str, Any]:
        amount = format_amount(p.amount, p.currency)
        application: dict[str, Any] = {"invoiceId": p.invoice_id, "amount": amount}
        if description:
            application["description"] = description
        return {
            "creditMemoId": p.credit_memo_id,
            "invoiceId": p.invoice_id,
            "amount": amount,
            "currency": p.currency,
            "idempotencyKey": p.idempotency_key,
            "applications": [application],
        }

    totals: dict[str, Decimal] = {}
    for p in plan.items:
        totals[p.currency] = totals.get(p.currency, ZERO) + p.amount
    return {
        "billingAccountId": plan.billing_account_id,
        "currency": plan.currency,
        "items": [item(p) for p in plan.items],
        "plannedTotals": {c: format_amount(t, c) for c, t in sorted(totals.items())},
        "truncated": plan.truncated,
    }


# ---------------------------------------------------------------- summary


def _decimal(value: Any, field: FieldPath) -> Decimal:
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError("is not a decimal amount", field=field) from None
    if not result.is_finite():
        raise ValidationError("is not a decimal amount", field=field)
    return result


def _error_message(cause: Any) -> str:
    """The errorMessage inside a Lambda error's Cause (a JSON string), else the text."""
    if isinstance(cause, str):
        try:
            parsed = json.loads(cause)
        except ValueError:
            return cause[:_MAX_MESSAGE]
        if isinstance(parsed, dict) and isinstance(parsed.get("errorMessage"), str):
            return str(parsed["errorMessage"])[:_MAX_MESSAGE]
        return cause[:_MAX_MESSAGE]
    return ""


def summarize_settlement(plan: Mapping[str, Any], results: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """What the Map state did, totalled exactly.

    Each result is a plan item plus either ``result`` (what the state machine kept
    of the apply's response: ``applicationIds``, ``amounts``, ``invoiceBalances``,
    ``creditMemoBalance``) or ``error`` (``Error`` and ``Cause`` from its Catch).
    """
    applied_totals: dict[str, Decimal] = {}
    records: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for index, item in enumerate(results):
        if not isinstance(item, Mapping):
            raise ValidationError("is not an object", field=("results", index))
        currency = item.get("currency")
        if not isinstance(currency, str):
            raise ValidationError("is missing", field=("results", index, "currency"))
        base = {
            "creditMemoId": item.get("creditMemoId"),
            "invoiceId": item.get("invoiceId"),
            "amount": format_amount(_decimal(item.get("amount"), ("results", index, "amount")), currency),
        }
        error = item.get("error")
        if isinstance(error, Mapping):
            reason = error.get("Error")
            skipped.append(
                base
                | {
                    "reason": reason if isinstance(reason, str) else "Unknown",
                    "message": _error_message(error.get("Cause")),
                }
            )
            continue
        outcome = item.get("result")
        amounts = outcome.get("amounts") if isinstance(outcome, Mapping) else None
        if not isinstance(outcome, Mapping) or not isinstance(amounts, list):
            raise ValidationError("has neither a result nor an error", field=("results", index))
        applied = ZERO
        for amount in amounts:
            applied += _decimal(amount, ("results", index, "result", "amounts"))
        applied_totals[currency] = applied_totals.get(currency, ZERO) + applied
        invoice_balances = outcome.get("invoiceBalances") or [None]
        records.append(
            base
            | {
                "amount": format_amount(applied, currency),
                "currency": currency,
                "applicationIds": list(outcome.get("applicationIds") or []),
                "creditMemoBalance": outcome.get("creditMemoBalance"),
                "invoiceBalance": invoice_balances[-1],
            }
        )
    plan_currency = plan.get("currency")
    planned_currencies = set((plan.get("plannedTotals") or {}).keys()) | set(applied_totals)
    summary_currency = plan_currency or (
        next(iter(planned_currencies)) if len(planned_currencies) == 1 else None
    )
    if summary_currency is not None:
        applied_total: str | None = format_amount(
            applied_totals.get(summary_currency, ZERO), summary_currency
        )
    else:
        applied_total = None if planned_currencies else "0"
    return {
        "billingAccountId": plan.get("billingAccountId"),
        "currency": summary_currency,
        "appliedTotal": applied_total,
        "appliedTotals": {c: format_amount(t, c) for c, t in sorted(applied_totals.items())},
        "appliedCount": len(records),
        "skippedCount": len(skipped),
        "records": records,
        "skipped": skipped,
        "truncated": bool(plan.get("truncated", False)),
    }


def merge_summaries(previous: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """One execution's summary over its rounds (a plan continued from where the last one stopped):
    totals added exactly, records and skips in round order, ``truncated`` as the last round says."""
    totals: dict[str, Decimal] = {}
    for summary in (previous, current):
        for code, amount in (summary.get("appliedTotals") or {}).items():
            totals[code] = totals.get(code, ZERO) + _decimal(amount, ("previous", "appliedTotals", code))
    currency = current.get("currency") or previous.get("currency")
    if len(totals) > 1 or (currency is None and totals):
        currency = None if len(totals) > 1 else next(iter(totals))
    applied_total = format_amount(totals.get(currency, ZERO), currency) if currency else None
    return dict(current) | {
        "currency": currency,
        "appliedTotal": applied_total if totals or currency else current.get("appliedTotal"),
        "appliedTotals": {c: format_amount(t, c) for c, t in sorted(totals.items())},
        "appliedCount": int(previous.get("appliedCount", 0)) + int(current.get("appliedCount", 0)),
        "skippedCount": int(previous.get("skippedCount", 0)) + int(current.get("skippedCount", 0)),
        "records": [*(previous.get("records") or []), *(current.get("records") or [])],
        "skipped": [*(previous.get("skipped") or []), *(current.get("skipped") or [])],
    }
