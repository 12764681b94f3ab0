"""GET /billing-accounts/{billingAccountId}: a billing account's profile (its newest revision)."""

from __future__ import annotations

from typing import Annotated, Any

from credit_memos.api.execution import execute, respond
from credit_memos.api.fields import Identifier
from credit_memos.api.lambda_handlers import make_lambda_handler, new_router
from credit_memos.api.openapi_responses import error_responses, success_response
from credit_memos.api.profile_schemas import BillingAccountQuery
from credit_memos.api.routing import Path, Response
from credit_memos.commands import profiles as commands
from credit_memos.usecases import Outcome
from credit_memos.views import BillingAccountProfileView

app = new_router()


@app.get(
    "/billing-accounts/<billingAccountId>",
    summary="A billing account's profile",
    responses=success_response(200, BillingAccountProfileView, "The account's profile (newest revision)")
    | error_responses(404, 422, 503),
)
def get_billing_account_profile(billingAccountId: Annotated[Identifier, Path()]) -> Response[str]:
    return respond(execute(commands.GetBillingAccountProfile(billingAccountId)))


def direct(payload: dict[str, Any]) -> Outcome:
    """``{billingAccountId}``."""
    query = BillingAccountQuery.model_validate(payload)
    return execute(commands.GetBillingAccountProfile(query.billingAccountId))


lambda_handler = make_lambda_handler(app, direct)
