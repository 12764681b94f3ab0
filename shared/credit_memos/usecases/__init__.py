"""Use cases, grouped by aggregate, behind one entry point (``CreditMemoService.execute``).

Importing this package registers every use case.
"""

from credit_memos.usecases import applications, conversion, invoices, memos, payments, settlement, summary
from credit_memos.usecases.engine import Outcome
from credit_memos.usecases.service import CreditMemoService, registered

__all__ = [
    "CreditMemoService",
    "Outcome",
    "applications",
    "conversion",
    "invoices",
    "memos",
    "payments",
    "registered",
    "settlement",
    "summary",
]
