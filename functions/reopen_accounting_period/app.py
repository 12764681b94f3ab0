"""POST /accounting-periods/{period}/actions/reopen: reopen the last closed month (Approver, reasonCode
required)."""

from __future__ import annotations

from typing import Annotated, Any

from credit_memos.api.direct_invocation import pop_dry_run, pop_idempotency_key
from credit_memos.api.execution import DryRun, execute, respond
from credit_memos.api.fields import AccountingPeriodId, IdempotencyKey
from credit_memos.api.lambda_handlers import make_lambda_handler, new_router
from credit_memos.api.openapi_responses import error_responses, success_response
from credit_memos.api.routing import Body, Header, Path, Response
from credit_memos.api.schemas import ReopenPeriodRequest
from credit_memos.usecases import Outcome
from credit_memos.views import AccountingPeriodView

app = new_router()


@app.post(
    "/accounting-periods/<period>/actions/reopen",
    summary="Reopen the last closed accounting period",
    description="Only the last closed period can be reopened (periods reopen in reverse order).",
    responses=success_response(200, AccountingPeriodView, "The reopened period")
    | error_responses(400, 403, 409, 413, 415, 422, 503),
)
def reopen_period_action(
    period: Annotated[AccountingPeriodId, Path()],
    request: Annotated[ReopenPeriodRequest, Body()],
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
    dry_run: DryRun = False,
) -> Response[str]:
    return respond(execute(request.command(period), idempotency_key, dry_run))


def direct(payload: dict[str, Any]) -> Outcome:
    """``{period, reasonCode, description?, idempotencyKey?, dryRun?}``."""
    key = pop_idempotency_key(payload)
    dry_run = pop_dry_run(payload)
    period = str(payload.pop("period", "") or "")
    return execute(ReopenPeriodRequest.model_validate(payload).command(period), key, dry_run)


lambda_handler = make_lambda_handler(app, direct)
