"""Settlement planning for the state machines (direct invocation only, read-only).

``{"action": "plan", "executionId": ..., "request": {billingAccountId, currency?,
creditMemoIds?, excludeInvoiceIds?}}`` returns the plan: the pairs to apply, oldest
memo to oldest invoice first, each with its amount and an idempotency key derived
from the execution id. ``{"action": "summarize", "plan": ..., "results": [...]}``
totals what the Map state did into ``{appliedTotal, records, skipped, ...}``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.metrics import MetricUnit
from credit_memos.api import observability
from credit_memos.api.execution import execute
from credit_memos.api.fields import CurrencyCode, Identifier
from credit_memos.api.lambda_handlers import make_direct_handler
from credit_memos.commands import settlement as commands
from credit_memos.errors import ValidationError
from credit_memos.limits import MAX_PLAN_ITEMS, MAX_SETTLEMENT_EXCLUDED_INVOICES, MAX_SETTLEMENT_MEMO_IDS
from credit_memos.usecases import Outcome
from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SettlementRequest(_Model):
    """The ApplyAccountCredits execution input (also what ConvertAndSettleInvoice builds)."""

    billingAccountId: Identifier
    currency: CurrencyCode | None = None
    creditMemoIds: list[Identifier] | None = Field(None, min_length=1, max_length=MAX_SETTLEMENT_MEMO_IDS)
    excludeInvoiceIds: list[Identifier] = Field(
        default_factory=list, max_length=MAX_SETTLEMENT_EXCLUDED_INVOICES
    )


class PlanRequest(_Model):
    action: Literal["plan"]
    executionId: Annotated[str, Field(min_length=1, max_length=2048)]
    request: SettlementRequest
    maxItems: Annotated[int, Field(ge=1, le=MAX_PLAN_ITEMS)] = MAX_PLAN_ITEMS

    def command(self) -> commands.PlanAccountSettlement:
        request = self.request
        return commands.PlanAccountSettlement(
            billing_account_id=request.billingAccountId,
            execution_id=self.executionId,
            max_items=self.maxItems,
            currency=request.currency,
            credit_memo_ids=tuple(request.creditMemoIds) if request.creditMemoIds is not None else None,
            exclude_invoice_ids=tuple(request.excludeInvoiceIds),
        )


class SummarizeRequest(_Model):
    action: Literal["summarize"]
    plan: dict[str, Any]
    results: list[dict[str, Any]]

    def command(self) -> commands.SummarizeAccountSettlement:
        return commands.SummarizeAccountSettlement(plan=self.plan, results=tuple(self.results))


def direct(payload: dict[str, Any]) -> Outcome:
    action = payload.get("action")
    if action == "plan":
        outcome = execute(PlanRequest.model_validate(payload).command())
        observability.metrics.add_metric(
            name="SettlementPairsPlanned", unit=MetricUnit.Count, value=len(outcome.body["items"])
        )
        return outcome
    if action == "summarize":
        outcome = execute(SummarizeRequest.model_validate(payload).command())
        observability.metrics.add_metric(
            name="SettlementPairsSkipped", unit=MetricUnit.Count, value=outcome.body["skippedCount"]
        )
        return outcome
    raise ValidationError('must be "plan" or "summarize"', field=("action",))


lambda_handler = make_direct_handler(direct)
