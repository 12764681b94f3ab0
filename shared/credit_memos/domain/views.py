"""The contract's JSON shape of documents and records (spec section 1).

Shared by the HTTP API, direct invocation and stored idempotent responses, so all
three return byte-for-byte the same body.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from credit_memos.domain.documents import ApplicationRecord, CreditMemo, Invoice
from credit_memos.money import format_amount


def _amount(value: Decimal, currency: str) -> str:
    return format_amount(value, currency)


def invoice_view(invoice: Invoice, *, with_lines: bool = True) -> dict[str, Any]:
    c = invoice.currency
    view: dict[str, Any] = {
        "id": invoice.id,
        "billingAccountId": invoice.billing_account_id,
        "currency": c,
        "status": invoice.status,
        "settlementLevel": invoice.settlement_level,
        "invoiceDate": invoice.invoice_date,
        "dueDate": invoice.due_date,
        "totalChargeAmount": _amount(invoice.total_charge_amount, c),
        "totalTaxAmount": _amount(invoice.total_tax_amount, c),
        "totalAmountWithTax": _amount(invoice.total_amount_with_tax, c),
        "totalConvertedNegAmount": _amount(invoice.total_converted_neg_amount, c),
        "netCreditsApplied": _amount(invoice.net_credits_applied, c),
        "balance": _amount(invoice.balance, c),
        "settlementStatus": invoice.settlement_status,
        "lineCount": len(invoice.lines),
        "createdAt": invoice.created_at,
        "updatedAt": invoice.updated_at,
    }
    if with_lines:
        view["lines"] = [
            {
                "id": line.id,
                "chargeAmount": _amount(line.charge_amount, c),
                "taxAmount": _amount(line.tax_amount, c),
                "amountWithTax": _amount(line.amount_with_tax, c),
                "balance": _amount(line.balance, c),
                "netCreditsApplied": _amount(line.net_credits_applied, c),
                "convertedNegAmount": _amount(line.converted_neg_amount, c),
                "productId": line.product_id,
                "productName": line.product_name,
                "description": line.description,
            }
            for line in invoice.lines
        ]
    return view


def credit_memo_view(memo: CreditMemo, *, with_lines: bool = True) -> dict[str, Any]:
    c = memo.currency
    view: dict[str, Any] = {
        "id": memo.id,
        "billingAccountId": memo.billing_account_id,
        "currency": c,
        "status": memo.status,
        "sourceAction": memo.source_action,
        "referenceInvoiceId": memo.reference_invoice_id,
        "effectiveDate": memo.effective_date,
        "description": memo.description,
        "externalReference": memo.external_reference,
        "totalChargeAmount": _amount(memo.total_charge_amount, c),
        "totalTaxAmount": _amount(memo.total_tax_amount, c),
        "totalAmountWithTax": _amount(memo.total_amount_with_tax, c),
        "netCreditsApplied": _amount(memo.net_credits_applied, c),
        "balance": _amount(memo.balance, c),
        "lineCount": len(memo.lines),
        "createdAt": memo.created_at,
        "updatedAt": memo.updated_at,
    }
    if with_lines:
        view["lines"] = [
            {
                "id": line.id,
                "type": line.type,
                "chargeAmount": _amount(line.charge_amount, c),
                "taxAmount": _amount(line.tax_amount, c),
                "amountWithTax": _amount(line.amount_with_tax, c),
                "balance": _amount(line.balance, c),
                "netCreditsApplied": _amount(line.net_credits_applied, c),
                "referenceInvoiceLineId": line.reference_invoice_line_id,
                "productId": line.product_id,
                "productName": line.product_name,
                "description": line.description,
                "taxes": [
                    {
                        "taxAmount": _amount(tax.tax_amount, c),
                        "taxCode": tax.tax_code,
                        "taxName": tax.tax_name,
                        "taxRate": None if tax.tax_rate is None else f"{tax.tax_rate:f}",
                    }
                    for tax in line.taxes
                ],
            }
            for line in memo.lines
        ]
    return view


def application_view(record: ApplicationRecord, currency: str) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": record.id,
        "level": record.level,
        "type": record.type,
        "amount": _amount(record.amount, currency),
        "creditMemoId": record.credit_memo_id,
        "invoiceId": record.invoice_id,
    }
    if record.level == "InvoiceLine":
        view["creditMemoLineId"] = record.credit_memo_line_id
        view["invoiceLineId"] = record.invoice_line_id
    view["appliedDate" if record.type == "Applied" else "unappliedDate"] = record.recorded_at
    view.update(
        {
            "effectiveDate": record.effective_date,
            "description": record.description,
            "hasBeenUnapplied": record.has_been_unapplied,
            "associatedApplicationId": record.associated_application_id,
            "creditMemoBalance": _amount(record.credit_memo_balance, currency),
            "invoiceBalance": _amount(record.invoice_balance, currency),
        }
    )
    if record.level == "InvoiceLine":
        assert record.credit_memo_line_balance is not None and record.invoice_line_balance is not None
        view["creditMemoLineBalance"] = _amount(record.credit_memo_line_balance, currency)
        view["invoiceLineBalance"] = _amount(record.invoice_line_balance, currency)
    return view
