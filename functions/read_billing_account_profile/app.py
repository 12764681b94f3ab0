"""GET /billing-accounts/{billingAccountId}: a billing account's profile (its newest revision), and
GET /billing-accounts/{billingAccountId}/profile-revisions: every revision, oldest first."""

from __future__ import annotations

from typing import Annotated, Any

from credit_memos.api.execution import execute, respond
from credit_memos.api.fields import Identifier
from credit_memos.api.lambda_handlers import make_lambda_handler, new_router
from credit_memos.api.openapi_responses import error_responses, success_response
from credit_memos.api.profile_schemas import BillingAccountQuery
from credit_memos.api.routing import Path, Query, Response
from credit_memos.api.schemas import PageQuery
from credit_memos.commands import profiles as commands
from credit_memos.limits import MAX_PAGE_SIZE, MAX_TOKEN_LENGTH
from credit_memos.usecases import Outcome
from credit_memos.views import BillingAccountProfilePage, BillingAccountProfileView

app = new_router()


@app.get(
    "/billing-accounts/<billingAccountId>",
    summary="A billing account's profile",
    responses=success_response(200, BillingAccountProfileView, "The account's profile (newest revision)")
    | error_responses(404, 422, 503),
)
def get_billing_account_profile(billingAccountId: Annotated[Identifier, Path()]) -> Response[str]:
    return respond(execute(commands.GetBillingAccountProfile(billingAccountId)))


@app.get(
    "/billing-accounts/<billingAccountId>/profile-revisions",
    summary="Every revision of a billing account's profile, oldest first",
    responses=success_response(200, BillingAccountProfilePage, "A page of the profile's revisions")
    | error_responses(404, 422, 503),
)
def list_billing_account_profile_revisions(
    billingAccountId: Annotated[Identifier, Path()],
    limit: Annotated[int | None, Query(ge=1, le=MAX_PAGE_SIZE)] = None,
    nextToken: Annotated[str | None, Query(max_length=MAX_TOKEN_LENGTH)] = None,
) -> Response[str]:
    return respond(execute(commands.ListBillingAccountProfileRevisions(billingAccountId, limit, nextToken)))


def direct(payload: dict[str, Any]) -> Outcome:
    """``{billingAccountId}``, or ``{billingAccountId, revisions: true, limit?, nextToken?}``."""
    revisions = payload.pop("revisions", False) is True
    query = BillingAccountQuery.model_validate({"billingAccountId": payload.pop("billingAccountId", None)})
    if revisions:
        page = PageQuery.model_validate(payload)
        command = commands.ListBillingAccountProfileRevisions(
            query.billingAccountId, page.limit, page.nextToken
        )
        return execute(command)
    BillingAccountQuery.model_validate({"billingAccountId": query.billingAccountId, **payload})
    return execute(commands.GetBillingAccountProfile(query.billingAccountId))


lambda_handler = make_lambda_handler(app, direct)
