"""POST /accounting-periods/{period}/actions/close: close a month to money movements (Approver), then
freeze the balances at its end (docs/design.md "The books")."""

from __future__ import annotations

from typing import Annotated, Any

from credit_memos.api.direct_invocation import pop_dry_run, pop_idempotency_key
from credit_memos.api.execution import DryRun, execute, respond
from credit_memos.api.fields import AccountingPeriodId, IdempotencyKey
from credit_memos.api.lambda_handlers import make_lambda_handler, new_router
from credit_memos.api.observability import logger
from credit_memos.api.openapi_responses import error_responses, success_response
from credit_memos.api.routing import Body, Header, Path, Response
from credit_memos.api.schemas import EmptyActionRequest
from credit_memos.commands import books as commands
from credit_memos.errors import DomainError
from credit_memos.usecases import Outcome
from credit_memos.views import AccountingPeriodView

app = new_router()


def close(period: str, key: str | None, dry_run: bool) -> Outcome:
    outcome = execute(commands.CloseAccountingPeriod(period), key, dry_run)
    if not outcome.dry_run:
        # Idempotent: a retried close (or its replay) freezes again, to the same balances. The
        # close has committed: a failed freeze only makes trial balances sum from an earlier close.
        try:
            execute(commands.FreezePeriodBalances(period))
        except DomainError as error:
            logger.warning("balances not frozen", extra={"period": period, "errorCode": error.error_code})
    return outcome


@app.post(
    "/accounting-periods/<period>/actions/close",
    summary="Close an accounting period (YYYY-MM) to money movements",
    description="Periods close in order: the first close also closes the months before it; each "
    "later one closes the month after the last closed one. A money movement dated in a closed "
    "period is then 409 PERIOD_CLOSED.",
    responses=success_response(200, AccountingPeriodView, "The closed period")
    | error_responses(400, 403, 409, 413, 415, 422, 503),
)
def close_period_action(
    period: Annotated[AccountingPeriodId, Path()],
    request: Annotated[EmptyActionRequest | None, Body()] = None,
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
    dry_run: DryRun = False,
) -> Response[str]:
    return respond(close(period, idempotency_key, dry_run))


def direct(payload: dict[str, Any]) -> Outcome:
    """``{period, idempotencyKey?, dryRun?}``."""
    key = pop_idempotency_key(payload)
    dry_run = pop_dry_run(payload)
    period = payload.pop("period", None)
    EmptyActionRequest.model_validate(payload)
    return close(str(period or ""), key, dry_run)


lambda_handler = make_lambda_handler(app, direct)
