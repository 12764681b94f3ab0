"""The ``detail`` of each domain event: one model per detail type, named as the detail type.

``EventLog`` builds every event's detail through these models, and ``python -m infra.event_schemas``
generates the published JSON Schemas (``events/schemas/``) from them, so what is sent and what is
documented are one definition. Each model's docstring says when the event is published.
"""

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from credit_memos.domain.documents import (
    ApplicationRecord,
    ReasonCode,
    RecordType,
    SettlementLevel,
    WriteOffReasonCode,
)
from credit_memos.money import format_amount
from credit_memos.views.base import CREATED_BY, Money, View
from credit_memos.views.documents import CreditMemoView, InvoiceView
from credit_memos.views.records import InvoicePaymentView
from credit_memos.views.refunds import CreditMemoRefundView

# 2: documents are carried as the API's list view (``invoice`` / ``creditMemo`` objects).
EventVersion = Literal["2"]
EVENT_VERSION: EventVersion = "2"

# Every detail ends with it: the unit of work sets it when the change commits (it knows who then).
Actor = Annotated[str | None, Field(description=CREATED_BY)]


class InvoiceHeaderView(InvoiceView):
    """An invoice without its lines, as the list responses show it."""

    lines: SkipJsonSchema[None] = None


class CreditMemoHeaderView(CreditMemoView):
    """A credit memo without its lines: as the list responses show it, with the approval fields."""

    lines: SkipJsonSchema[None] = None


class _SchemaOf:
    """A field's JSON Schema is this model's: events carry the document views without their
    lines, and building a second model per document would cost every cold start its time."""

    def __init__(self, model: type[View]) -> None:
        self.model = model

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> Any:
        # The generator itself (not the handler, which would inline it): the model goes to $defs,
        # once, and the field refers to it.
        return handler.generate_json_schema.generate_inner(self.model.__pydantic_core_schema__)


InvoiceHeader = Annotated[InvoiceView, _SchemaOf(InvoiceHeaderView)]
CreditMemoHeader = Annotated[CreditMemoView, _SchemaOf(CreditMemoHeaderView)]


class EventDetail(View):
    """What every event's detail starts with."""

    event_id: str = Field(description="Unique per event, the same on a redelivery: the deduplication key.")
    event_version: EventVersion = Field(description="Bumped by a change that breaks consumers.")
    sequences: dict[str, Annotated[int, Field(ge=1)]] = Field(
        description="Each document the event changed, by id: its event number (1, 2, 3, ... without "
        "gaps, in the order of the document's changes)."
    )


class _InvoiceDetail(EventDetail):
    invoice: InvoiceHeader = Field(description="The invoice after the change.")
    created_by: Actor


class _CreditMemoDetail(EventDetail):
    credit_memo: CreditMemoHeader = Field(description="The credit memo after the change.")
    created_by: Actor


class InvoiceCreated(_InvoiceDetail):
    """An invoice was created (POST /invoices)."""


class InvoicePosted(_InvoiceDetail):
    """An invoice was posted (POST /invoices/{invoiceId}/actions/post)."""


class CreditMemoCreated(_CreditMemoDetail):
    """A credit memo was created: POST /credit-memos, or by crediting an invoice or converting
    its negative lines."""


class CreditMemoPosted(_CreditMemoDetail):
    """A credit memo was posted (POST /credit-memos/{creditMemoId}/actions/post)."""


class CreditMemoVoided(_CreditMemoDetail):
    """A credit memo was voided (POST /credit-memos/{creditMemoId}/actions/void): status Voided,
    balance 0."""


class ApplicationSummary(View):
    """An application record in short; the full record is in the application history."""

    id: str
    type: RecordType
    amount: Money
    credit_memo_line_id: str | SkipJsonSchema[None] = Field(None, description="At level InvoiceLine.")
    invoice_line_id: str | SkipJsonSchema[None] = Field(None, description="At level InvoiceLine.")
    associated_application_id: str | SkipJsonSchema[None] = Field(
        None, description="On an Unapplied record: the Applied record it reverses."
    )
    effective_date: str | SkipJsonSchema[None] = Field(None, description="The record's effectiveDate.")
    reason_code: WriteOffReasonCode | SkipJsonSchema[None] = Field(
        None, description="The record's reasonCode, if any."
    )

    @classmethod
    def of(cls, record: ApplicationRecord, currency: str) -> "ApplicationSummary":
        line_level = record.level == "InvoiceLine"
        fields: dict[str, Any] = {
            "id": record.id,
            "type": record.type,
            "amount": format_amount(record.amount, currency),
            "credit_memo_line_id": record.credit_memo_line_id if line_level else None,
            "invoice_line_id": record.invoice_line_id if line_level else None,
            "associated_application_id": record.associated_application_id,
            "effective_date": record.effective_date,
            "reason_code": record.reason_code,
        }
        # Unset, not null: a field a record does not have is left out of the event.
        return cls(**{name: value for name, value in fields.items() if value is not None})


class _CreditMovedDetail(EventDetail):
    # An event over EventBridge's 256 KB carries the records' ids instead (the publisher decides).
    # Said without oneOf, which binding generators turn into one class per branch.
    model_config = ConfigDict(
        json_schema_extra={
            "dependentRequired": {
                "applicationIds": ["applicationsOmitted"],
                "applicationsOmitted": ["applicationIds"],
            },
            "if": {"required": ["applicationIds"]},
            "then": {"not": {"required": ["applications"]}},
            "else": {"required": ["applications"]},
        }
    )

    credit_memo: CreditMemoHeader = Field(description="The credit memo after the change.")
    invoice: InvoiceHeader = Field(description="The invoice after the change.")
    level: SettlementLevel
    amount: Money = Field(description="The total of the records: what moved between the two documents.")
    applications: list[ApplicationSummary] | SkipJsonSchema[None] = Field(
        None, description="The records the change wrote, in short."
    )
    application_ids: list[str] | SkipJsonSchema[None] = Field(
        None, description="Instead of applications, in an event too large for EventBridge: their ids."
    )
    applications_omitted: Literal[True] | SkipJsonSchema[None] = Field(
        None, description="Set (true) with applicationIds."
    )
    created_by: Actor


class CreditApplied(_CreditMovedDetail):
    """Credit moved from a credit memo to an invoice: one event per memo and invoice pair of an
    apply (memo or memo lines), a credit-and-apply, or a conversion applied back."""


class CreditUnapplied(_CreditMovedDetail):
    """An application was reversed (either unapply): the Unapplied record, whose
    associatedApplicationId is the Applied record it reverses."""


class NegativeInvoiceLinesConverted(EventDetail):
    """An invoice's negative lines became a credit memo
    (POST /invoices/{invoiceId}/actions/convert-to-credit)."""

    invoice: InvoiceHeader = Field(description="The invoice after the change.")
    credit_memo: CreditMemoHeader = Field(description="The new credit memo.")
    invoice_line_ids: list[str] = Field(description="The converted invoice lines.")
    converted_amount: Money
    created_by: Actor


class _PaymentDetail(EventDetail):
    invoice: InvoiceHeader = Field(description="The invoice after the change.")
    payment: InvoicePaymentView = Field(description="The record as the response shows it.")
    created_by: Actor


class PaymentRecorded(_PaymentDetail):
    """A payment was recorded on an invoice (POST /invoices/{invoiceId}/actions/record-payment)."""


class PaymentReversed(_PaymentDetail):
    """A payment was reversed (POST /invoice-payments/{paymentId}/actions/reverse): payment is
    the Reversal record."""


class _PeriodDetail(EventDetail):
    period: str = Field(description="The accounting period (YYYY-MM).")
    closed_through: str | None = Field(
        description="The books are closed through this period now (every period up to it is Closed); "
        "null when every period is open."
    )
    reason_code: ReasonCode | SkipJsonSchema[None] = Field(None, description="Why it was reopened.")
    created_by: Actor


class AccountingPeriodClosed(_PeriodDetail):
    """An accounting period was closed (POST /accounting-periods/{period}/actions/close)."""


class AccountingPeriodReopened(_PeriodDetail):
    """An accounting period was reopened (POST /accounting-periods/{period}/actions/reopen)."""


class _RefundDetail(EventDetail):
    credit_memo: CreditMemoHeader = Field(description="The credit memo after the change.")
    refund: CreditMemoRefundView = Field(description="The record as the response shows it.")
    created_by: Actor


class CreditMemoRefunded(_RefundDetail):
    """Part of a memo's balance was refunded (POST /credit-memos/{creditMemoId}/actions/refund)."""


class RefundReversed(_RefundDetail):
    """A refund was reversed (POST /credit-memo-refunds/{refundId}/actions/reverse): refund is the
    Reversal record."""


DETAIL_TYPES: tuple[type[EventDetail], ...] = (
    InvoiceCreated,
    InvoicePosted,
    CreditMemoCreated,
    CreditMemoPosted,
    CreditMemoVoided,
    CreditApplied,
    CreditUnapplied,
    NegativeInvoiceLinesConverted,
    PaymentRecorded,
    PaymentReversed,
    AccountingPeriodClosed,
    AccountingPeriodReopened,
    CreditMemoRefunded,
    RefundReversed,
)
