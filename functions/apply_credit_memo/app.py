"""POST /credit-memos/{creditMemoId}/actions/apply: apply a memo to one or more invoices."""

from __future__ import annotations

from typing import Annotated, Any

from credit_memos.api.direct_invocation import pop_dry_run, pop_id, pop_idempotency_key
from credit_memos.api.execution import DryRun, checked_id, execute, respond
from credit_memos.api.fields import IdempotencyKey
from credit_memos.api.lambda_handlers import make_lambda_handler, new_router
from credit_memos.api.openapi_responses import error_responses, success_response
from credit_memos.api.routing import Body, Header, Path, Response
from credit_memos.api.schemas import ApplyCreditMemoRequest
from credit_memos.limits import MAX_APPLY_TARGETS
from credit_memos.usecases import Outcome
from credit_memos.views import ApplicationsResult

app = new_router()


@app.post(
    "/credit-memos/<creditMemoId>/actions/apply",
    summary=f"Apply a credit memo to invoices (all-or-nothing, up to {MAX_APPLY_TARGETS} invoices)",
    responses=success_response(200, ApplicationsResult, "The memo after the change and the new records")
    | error_responses(400, 404, 409, 413, 415, 422, 503),
)
def apply_credit_memo_action(
    creditMemoId: Annotated[str, Path()],
    request: Annotated[ApplyCreditMemoRequest, Body()],
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
    dry_run: DryRun = False,
) -> Response[str]:
    command = request.command(checked_id(creditMemoId, "credit memo"))
    return respond(execute(command, idempotency_key, dry_run))


def direct(payload: dict[str, Any]) -> Outcome:
    key = pop_idempotency_key(payload)
    dry_run = pop_dry_run(payload)
    memo_id = pop_id(payload, "creditMemoId", "credit memo")
    return execute(ApplyCreditMemoRequest.model_validate(payload).command(memo_id), key, dry_run)


lambda_handler = make_lambda_handler(app, direct)
