"""The contract's JSON shape of documents and records (spec section 1): one definition.

These pydantic models are the response bodies of the HTTP API and of direct invocation,
the bodies stored for idempotent replays, the documents carried by domain events, and
the schemas of the OpenAPI document. Each is built from a domain object by its ``of``
classmethod; a field that only some objects have (line-level fields of a record, a
list's omitted lines) is left unset, and ``body()`` leaves unset fields out.
"""

from credit_memos.views.base import View, json_text
from credit_memos.views.books import (
    AccountingPeriodView,
    JournalEntryPage,
    JournalEntryView,
    TrialBalanceView,
)
from credit_memos.views.documents import (
    CreditMemoLineView,
    CreditMemoPage,
    CreditMemoView,
    InvoiceLineView,
    InvoicePage,
    InvoiceView,
    TaxView,
)
from credit_memos.views.profiles import AddressView, BillingAccountProfilePage, BillingAccountProfileView
from credit_memos.views.records import (
    ApplicationPage,
    ApplicationsResult,
    ApplicationView,
    InvoicePaymentPage,
    InvoicePaymentView,
    PaymentAllocationView,
)
from credit_memos.views.refunds import CreditMemoRefundPage, CreditMemoRefundView, RefundAllocationView
from credit_memos.views.summary import AccountSummaryView, CurrencySummaryView
from credit_memos.views.write_offs import ItemError, WriteOffResult, WriteOffResults

__all__ = [
    "AccountSummaryView",
    "AccountingPeriodView",
    "AddressView",
    "ApplicationPage",
    "ApplicationView",
    "ApplicationsResult",
    "BillingAccountProfilePage",
    "BillingAccountProfileView",
    "CreditMemoLineView",
    "CreditMemoPage",
    "CreditMemoRefundPage",
    "CreditMemoRefundView",
    "CreditMemoView",
    "CurrencySummaryView",
    "InvoiceLineView",
    "InvoicePage",
    "InvoicePaymentPage",
    "InvoicePaymentView",
    "InvoiceView",
    "ItemError",
    "JournalEntryPage",
    "JournalEntryView",
    "PaymentAllocationView",
    "RefundAllocationView",
    "TaxView",
    "TrialBalanceView",
    "View",
    "WriteOffResult",
    "WriteOffResults",
    "json_text",
]
