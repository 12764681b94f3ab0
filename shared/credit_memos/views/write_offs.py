"""The view of a write-off request's answer: one result per invoice, in the request's order."""

from pydantic import Field

from credit_memos.views.base import View
from credit_memos.views.documents import CreditMemoView
from credit_memos.views.records import ApplicationView


class ItemError(View):
    """Why one item of a request was refused: the error code and message its own call would get."""

    error_code: str
    message: str


class WriteOffResult(View):
    invoice_id: str
    success: bool
    credit_memo: CreditMemoView | None = Field(description="The Posted write-off memo; null on failure.")
    applications: list[ApplicationView] = Field(description="Its application to the invoice; [] on failure.")
    error: ItemError | None


class WriteOffResults(View):
    """The answer of POST /invoices/actions/write-off."""

    results: list[WriteOffResult]
