"""Creating, posting and voiding credit memos.

Every rule validates first and mutates last, so a rule that raises leaves its
arguments as they were; nothing is then written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, get_args

from credit_memos.domain.documents import (
    CreditMemo,
    CreditMemoLine,
    Invoice,
    InvoiceStatus,
    NumberSeries,
    ReasonCode,
    SourceAction,
    TaxDetail,
    check_line_count,
)
from credit_memos.domain.inputs import MemoChargeInput
from credit_memos.errors import (
    FieldPath,
    HasActiveApplications,
    HasActiveRefunds,
    InsufficientBalance,
    InvalidStatus,
    NotFound,
    ValidationError,
)
from credit_memos.money import ZERO, check_magnitude, minor_units, parse_amount, to_money

if TYPE_CHECKING:
    from credit_memos.access import Caller


def build_memo_line(
    *,
    line_id: str,
    currency: str,
    charge: MemoChargeInput,
    field: FieldPath,
    reference_invoice_line_id: str | None = None,
) -> CreditMemoLine:
    amount = parse_amount(charge.charge_amount, currency, (*field, "charge_amount"))
    if amount <= 0:
        raise ValidationError("must be greater than 0", field=(*field, "charge_amount"))
    if not (charge.product_id or charge.product_name) and reference_invoice_line_id is None:
        raise ValidationError("a charge needs a product: its id, its name or both", field=field)
    taxes: list[TaxDetail] = []
    for tax_index, tax in enumerate(charge.taxes):
        tax_field = (*field, "taxes", tax_index, "tax_amount")
        tax_amount = parse_amount(tax.tax_amount, currency, tax_field)
        if tax_amount < 0:
            raise ValidationError("may not be negative", field=tax_field)
        taxes.append(TaxDetail(tax_amount, tax.tax_code, tax.tax_name, tax.tax_rate))
    total_tax = to_money(sum((t.tax_amount for t in taxes), ZERO), currency)
    with_tax = amount + total_tax
    check_magnitude(with_tax, "the charge's amount with tax", field)
    return CreditMemoLine(
        id=line_id,
        type="Charge",
        charge_amount=amount,
        tax_amount=total_tax,
        amount_with_tax=with_tax,
        balance=with_tax,
        reference_invoice_line_id=reference_invoice_line_id,
        product_id=charge.product_id,
        product_name=charge.product_name,
        description=charge.description,
        taxes=taxes,
    )


def create_credit_memo(
    *,
    memo_id: str,
    billing_account_id: str,
    currency: str,
    status: InvoiceStatus,
    effective_date: str,
    description: str | None,
    external_reference: str | None,
    lines: list[CreditMemoLine],
    now: str,
    lines_field: FieldPath = ("charges",),
    source_action: SourceAction = "Standalone",
    reference_invoice_id: str | None = None,
) -> CreditMemo:
    minor_units(currency)
    check_line_count(len(lines), lines_field)
    # The edge admits only these; a programmatic caller gets the same rule.
    if status not in get_args(InvoiceStatus):
        raise ValidationError("must be Draft or Posted", field=("status",))
    total_charge = to_money(sum((line.charge_amount for line in lines), ZERO), currency)
    total_tax = to_money(sum((line.tax_amount for line in lines), ZERO), currency)
    total = total_charge + total_tax
    for amount, what in ((total_charge, "charge"), (total_tax, "tax"), (total, "amount with tax")):
        check_magnitude(amount, f"the credit memo's total {what}", lines_field)
    return CreditMemo(
        id=memo_id,
        billing_account_id=billing_account_id,
        currency=currency,
        status=status,
        source_action=source_action,
        reference_invoice_id=reference_invoice_id,
        effective_date=effective_date,
        description=description,
        external_reference=external_reference,
        lines=lines,
        total_charge_amount=total_charge,
        total_tax_amount=total_tax,
        total_amount_with_tax=total,
        balance=total,
        created_at=now,
        updated_at=now,
        posted_at=now if status == "Posted" else None,
    )


def hold_for_approval(memo: CreditMemo, caller: Caller | None) -> None:
    """A memo over its currency's approval threshold is a Draft that needs approval, whoever
    asked for it (spec section 9); one at or under it is as asked."""
    if caller is not None and caller.needs_approval(memo.currency, memo.total_amount_with_tax):
        memo.status = "Draft"
        memo.approval_status = "Required"
        memo.posted_by = memo.posted_at = None


def post_credit_memo(
    memo: CreditMemo, now: str, *, posted_by: str | None = None, caller: Caller | None = None
) -> None:
    """Post a Draft; one that needs approval (marked so, or over today's threshold) only by an
    Approver other than its creator whose limit covers it."""
    if memo.status != "Draft":
        raise InvalidStatus(f"credit memo {memo.id} is {memo.status}; only a Draft memo can be posted")
    total = memo.total_amount_with_tax
    if caller is not None and (
        memo.approval_status == "Required" or caller.needs_approval(memo.currency, total)
    ):
        caller.approve(memo.created_by, memo.currency, total)
        memo.approval_status, memo.approved_by = "Approved", posted_by
    memo.status = "Posted"
    memo.posted_by, memo.posted_at = posted_by, now
    memo.updated_at = now


def number_if_posted(memo: CreditMemo, series: NumberSeries) -> bool:
    """Give a memo that is Posted and has no number the series' next one; whether it took one.

    Called last in a posting's rule, after everything that can refuse it: the number is then
    committed with the posting or not at all.
    """
    if memo.status != "Posted" or memo.document_number is not None:
        return False
    memo.document_number = series.next_number()
    return True


def void_credit_memo(
    memo: CreditMemo,
    now: str,
    *,
    source_invoice: Invoice | None = None,
    reason_code: ReasonCode | None = None,
    voided_by: str | None = None,
) -> None:
    """Void a Posted memo with no active applications nor unreversed refunds; its balance goes to 0.

    A memo created from invoice lines (``actions/credit``) gives those lines their
    creditable amounts back, so the same charge can be credited again correctly: exactly
    the charge and tax it took, from the CopyFromInvoiceLine tallies too if it was one.
    A conversion memo undoes its conversion (``_undo_conversion``), in the same write.
    """
    if memo.status != "Posted":
        raise InvalidStatus(f"credit memo {memo.id} is {memo.status}; only a Posted memo can be voided")
    # net_credits_applied is the sum of active applications, each of which is > 0.
    if memo.net_credits_applied != 0:
        raise HasActiveApplications(
            f"credit memo {memo.id} has active applications totalling "
            f"{memo.net_credits_applied}; unapply them before voiding"
        )
    if memo.net_refunds != 0:
        raise HasActiveRefunds(
            f"credit memo {memo.id} has unreversed refunds totalling {memo.net_refunds}; "
            "reverse them before voiding"
        )
    if memo.source_action == "Invoice":
        if source_invoice is None or source_invoice.id != memo.reference_invoice_id:
            raise NotFound(
                f"invoice {memo.reference_invoice_id} that credit memo {memo.id} credits does not exist"
            )
        for line in memo.lines:
            invoice_line = source_invoice.line(line.reference_invoice_line_id or "")
            if invoice_line is not None:
                invoice_line.credited_charge_amount -= line.charge_amount
                invoice_line.credited_tax_amount -= line.tax_amount
                if memo.tax_strategy == "CopyFromInvoiceLine":
                    invoice_line.copy_credited_charge_amount -= line.charge_amount
                    invoice_line.copy_credited_tax_amount -= line.tax_amount
        source_invoice.updated_at = now
    if memo.source_action == "NegativeInvoiceLineConversion":
        _undo_conversion(memo, source_invoice, now)
    memo.status = "Voided"
    memo.void_reason_code = reason_code
    memo.voided_by = voided_by
    memo.balance = to_money(ZERO, memo.currency)
    for line in memo.lines:
        line.balance = to_money(ZERO, memo.currency)
    memo.updated_at = now


def _undo_conversion(memo: CreditMemo, invoice: Invoice | None, now: str) -> None:
    """Give the lines a conversion memo converted back to the invoice (spec section 6).

    Each line's ``convertedNegAmount`` goes back to 0 and the invoice's
    ``totalConvertedNegAmount`` and balance (and the line's balance) lose what the
    conversion added, so the lines can be converted again. Refused with
    INSUFFICIENT_BALANCE when credits applied since have used the balance the conversion
    added, as the invoice's balance would then go below 0: unapply them first.
    Validates before it changes anything.
    """
    if invoice is None or invoice.id != memo.reference_invoice_id:
        raise NotFound(
            f"invoice {memo.reference_invoice_id} that credit memo {memo.id} converted does not exist"
        )
    lines = [invoice.line(line.reference_invoice_line_id or "") for line in memo.lines]
    converted = [line for line in lines if line is not None and line.is_converted]
    raised = -sum((line.converted_neg_amount for line in converted), ZERO)
    if raised > invoice.balance:
        raise InsufficientBalance(
            f"voiding credit memo {memo.id} would take invoice {invoice.id} below 0: the conversion "
            f"added {raised} to its balance {invoice.balance}; unapply credits from the invoice "
            "(or reverse payments) first"
        )
    for line in converted:
        line.balance += line.converted_neg_amount
        invoice.total_converted_neg_amount -= line.converted_neg_amount
        invoice.balance += line.converted_neg_amount
        line.converted_neg_amount = to_money(ZERO, invoice.currency)
    invoice.updated_at = now
