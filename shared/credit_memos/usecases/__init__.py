"""Use cases, grouped by aggregate, behind one entry point (``CreditMemoService.execute``).

Importing this package imports no aggregate's module: each is imported on the first command
of a type it carries out (``Command.use_cases``; ``service.use_case_of``).
"""

from credit_memos.usecases.runner import Outcome
from credit_memos.usecases.service import CreditMemoService, load, registered, use_case_of

__all__ = ["CreditMemoService", "Outcome", "load", "registered", "use_case_of"]
