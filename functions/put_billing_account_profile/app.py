"""PUT /billing-accounts/{billingAccountId}: set a billing account's profile (the buyer on its credit
notes); every change is kept as a revision with who made it."""

from __future__ import annotations

from typing import Annotated, Any

from credit_memos.api.direct_invocation import pop_idempotency_key
from credit_memos.api.execution import execute, respond
from credit_memos.api.fields import IdempotencyKey, Identifier
from credit_memos.api.lambda_handlers import make_lambda_handler, new_router
from credit_memos.api.openapi_responses import error_responses, success_response
from credit_memos.api.profile_schemas import BillingAccountProfileRequest, BillingAccountQuery
from credit_memos.api.routing import Body, Header, Path, Response
from credit_memos.usecases import Outcome
from credit_memos.views import BillingAccountProfileView

app = new_router()


@app.put(
    "/billing-accounts/<billingAccountId>",
    summary="Set a billing account's profile",
    description="The whole profile: what a credit note shows of the customer. A change makes a new "
    "revision (the earlier ones are kept); the same profile again changes nothing.",
    responses=success_response(200, BillingAccountProfileView, "The account's profile")
    | error_responses(400, 409, 413, 415, 422, 503),
)
def put_billing_account_profile(
    billingAccountId: Annotated[Identifier, Path()],
    request: Annotated[BillingAccountProfileRequest, Body()],
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
) -> Response[str]:
    return respond(execute(request.command(billingAccountId), idempotency_key))


def direct(payload: dict[str, Any]) -> Outcome:
    """``{billingAccountId, name, address, ...}``."""
    key = pop_idempotency_key(payload)
    account = BillingAccountQuery.model_validate({"billingAccountId": payload.pop("billingAccountId", None)})
    return execute(
        BillingAccountProfileRequest.model_validate(payload).command(account.billingAccountId), key
    )


lambda_handler = make_lambda_handler(app, direct)
