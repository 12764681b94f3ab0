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
from credit_memos.api import edge, observability
from credit_memos.api.runtime import get_service
from credit_memos.api.schemas import CurrencyCode, Identifier
from credit_memos.domain.settlement import MAX_PLAN_ITEMS
from credit_memos.errors import ValidationError
from credit_memos.service import CreditMemoService
from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SettlementRequest(_Model):
    """The ApplyAccountCredits execution input (also what ConvertAndSettleInvoice builds)."""

    billingAccountId: Identifier
    currency: CurrencyCode | None = None
    creditMemoIds: list[Identifier] | None = Field(None, min_length=1, max_length=100)
    excludeInvoiceIds: list[Identifier] = Field(default_factory=list, max_length=100)


class PlanCommand(_Model):
    action: Literal["plan"]
    executionId: Annotated[str, Field(min_length=1, max_length=2048)]
    request: SettlementRequest
    maxItems: Annotated[int, Field(ge=1, le=MAX_PLAN_ITEMS)] = MAX_PLAN_ITEMS


class SummarizeCommand(_Model):
    action: Literal["summarize"]
    plan: dict[str, Any]
    results: list[dict[str, Any]]


def plan(service: CreditMemoService, command: PlanCommand) -> dict[str, Any]:
    request = command.request
    return service.plan_account_settlement(
        request.billingAccountId,
        execution_id=command.executionId,
        currency=request.currency,
        credit_memo_ids=request.creditMemoIds,
        exclude_invoice_ids=request.excludeInvoiceIds,
        max_items=command.maxItems,
    )


def direct(payload: dict[str, Any]) -> dict[str, Any]:
    action = payload.get("action")
    if action == "plan":
        result = plan(get_service(), PlanCommand.model_validate(payload))
        observability.metrics.add_metric(
            name="SettlementPairsPlanned", unit=MetricUnit.Count, value=len(result["items"])
        )
        return result
    if action == "summarize":
        command = SummarizeCommand.model_validate(payload)
        summary = CreditMemoService.summarize_account_settlement(command.plan, command.results)
        observability.metrics.add_metric(
            name="SettlementPairsSkipped", unit=MetricUnit.Count, value=summary["skippedCount"]
        )
        return summary
    raise ValidationError('action must be "plan" or "summarize"', details=[{"field": "action"}])


lambda_handler = edge.make_direct_handler(direct)
