"""POST /credit-memos/{creditMemoId}/actions/post: post a Draft credit memo."""

from __future__ import annotations

from typing import Annotated, Any

from credit_memos.api.direct_invocation import pop_dry_run, pop_id, pop_idempotency_key
from credit_memos.api.execution import DryRun, checked_id, execute, respond
from credit_memos.api.fields import IdempotencyKey
from credit_memos.api.lambda_handlers import make_lambda_handler, new_router
from credit_memos.api.openapi_responses import error_responses, success_response
from credit_memos.api.routing import Body, Header, Path, Response
from credit_memos.api.schemas import EmptyActionRequest
from credit_memos.commands import memos as commands
from credit_memos.usecases import Outcome
from credit_memos.views import CreditMemoView

app = new_router()


@app.post(
    "/credit-memos/<creditMemoId>/actions/post",
    summary="Post a draft credit memo",
    responses=success_response(200, CreditMemoView, "The posted credit memo")
    | error_responses(400, 404, 409, 413, 415, 422, 503),
)
def post_credit_memo_action(
    creditMemoId: Annotated[str, Path()],
    request: Annotated[EmptyActionRequest | None, Body()] = None,
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
    dry_run: DryRun = False,
) -> Response[str]:
    return respond(
        execute(commands.PostCreditMemo(checked_id(creditMemoId, "credit memo")), idempotency_key, dry_run)
    )


def direct(payload: dict[str, Any]) -> Outcome:
    key = pop_idempotency_key(payload)
    dry_run = pop_dry_run(payload)
    ident = pop_id(payload, "creditMemoId", "credit memo")
    EmptyActionRequest.model_validate(payload)
    return execute(commands.PostCreditMemo(ident), key, dry_run)


lambda_handler = make_lambda_handler(app, direct)
