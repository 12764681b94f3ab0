"""Settlement planning for the state machines (direct invocation only, read-only).

``{"action": "plan", "executionId": ..., "request": {billingAccountId, currency?,
creditMemoIds?, excludeInvoiceIds?}}`` returns the plan: the pairs to apply, oldest
memo to oldest invoice first, each with its amount and an idempotency key derived
from the execution id. ``{"action": "summarize", "plan": ..., "results": [...]}``
totals what the Map state did into ``{appliedTotal, records, skipped, ...}``.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Literal

from aws_lambda_powertools.metrics import MetricUnit
from credit_memos.api import observability
from credit_memos.api.execution import execute
from credit_memos.api.fields import CurrencyCode, Identifier
from credit_memos.api.lambda_handlers import make_direct_handler
from credit_memos.commands import settlement as commands
from credit_memos.errors import ValidationError
from credit_memos.limits import (
    MAX_PLAN_ITEMS,
    MAX_SETTLEMENT_DOCUMENTS,
    MAX_SETTLEMENT_EXCLUDED_INVOICES,
    MAX_SETTLEMENT_MEMO_IDS,
    MAX_SETTLEMENT_ROUNDS,
    MAX_TOKEN_LENGTH,
)
from credit_memos.usecases import Outcome
from pydantic import BaseModel, ConfigDict, Field

# The documents of each kind a plan reads unless told (a module name, so a test can shrink it).
PLAN_DOCUMENTS = MAX_SETTLEMENT_DOCUMENTS


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
    # Continue a truncated settlement: the ``nextToken`` of the plan (or execution) that stopped.
    nextToken: Annotated[str, Field(min_length=1, max_length=MAX_TOKEN_LENGTH)] | None = None


class PlanRequest(_Model):
    action: Literal["plan"]
    executionId: Annotated[str, Field(min_length=1, max_length=2048)]
    request: SettlementRequest
    # None: the defaults (the state machine passes what the first plan used on to the next).
    maxItems: Annotated[int, Field(ge=1, le=MAX_PLAN_ITEMS)] | None = None
    # Documents of each kind one plan reads at most (whole pages of at most this many).
    maxDocuments: Annotated[int, Field(ge=1, le=MAX_SETTLEMENT_DOCUMENTS)] | None = None
    # Plans of this execution so far: the state machine continues a truncated plan this many times.
    round: Annotated[int, Field(ge=1)] = 1

    def command(self) -> commands.PlanAccountSettlement:
        request = self.request
        return commands.PlanAccountSettlement(
            billing_account_id=request.billingAccountId,
            execution_id=self.executionId,
            max_items=self.maxItems or MAX_PLAN_ITEMS,
            currency=request.currency,
            credit_memo_ids=tuple(request.creditMemoIds) if request.creditMemoIds is not None else None,
            exclude_invoice_ids=tuple(request.excludeInvoiceIds),
            next_token=request.nextToken,
            max_documents=self.maxDocuments or PLAN_DOCUMENTS,
        )


class SummarizeRequest(_Model):
    action: Literal["summarize"]
    plan: dict[str, Any]
    results: list[dict[str, Any]]
    previous: dict[str, Any] | None = None

    def command(self) -> commands.SummarizeAccountSettlement:
        return commands.SummarizeAccountSettlement(
            plan=self.plan, results=tuple(self.results), previous=self.previous
        )


def direct(payload: dict[str, Any]) -> Outcome:
    action = payload.get("action")
    if action == "plan":
        request = PlanRequest.model_validate(payload)
        outcome = execute(request.command())
        observability.metrics.add_metric(
            name="SettlementPairsPlanned", unit=MetricUnit.Count, value=len(outcome.body["items"])
        )
        return _with_next_round(request, outcome)
    if action == "summarize":
        outcome = execute(SummarizeRequest.model_validate(payload).command())
        observability.metrics.add_metric(
            name="SettlementPairsSkipped", unit=MetricUnit.Count, value=outcome.body["skippedCount"]
        )
        return outcome
    raise ValidationError('must be "plan" or "summarize"', field=("action",))


def _with_next_round(request: PlanRequest, outcome: Outcome) -> Outcome:
    """The plan, and what the state machine plans next: the same request from ``nextToken``, while
    the execution has rounds left (``MAX_SETTLEMENT_ROUNDS``); after that another execution
    continues from the summary's ``nextToken``."""
    token = outcome.body.get("nextToken")
    more = token is not None and request.round < MAX_SETTLEMENT_ROUNDS
    following = request.model_copy(
        update={
            "request": request.request.model_copy(update={"nextToken": token}),
            "round": request.round + 1,
            "maxItems": request.maxItems or MAX_PLAN_ITEMS,
            "maxDocuments": request.maxDocuments or PLAN_DOCUMENTS,
        }
    )
    body = outcome.body | {
        "continues": more,
        "nextRound": following.model_dump(exclude={"action", "executionId"}) if more else None,
    }
    return dataclasses.replace(outcome, body=body, text=None)


lambda_handler = make_direct_handler(direct)
