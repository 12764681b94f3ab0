"""Read-only credit memo routes: list, get, and application history."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from credit_memos import commands
from credit_memos.api import edge
from credit_memos.api.schemas import Identifier, ListQuery
from credit_memos.domain.documents import MemoStatus
from credit_memos.domain.views import ApplicationPage, CreditMemoPage, CreditMemoView
from credit_memos.errors import ValidationError
from credit_memos.limits import MAX_PAGE_SIZE, MAX_TOKEN_LENGTH
from credit_memos.usecases import Outcome

app = edge.make_resolver()


@app.get(
    "/credit-memos",
    summary="List a billing account's credit memos, oldest effective date first",
    responses=edge.success_response(200, CreditMemoPage, "A page of credit memos (without lines)")
    | edge.error_responses(422, 503),
)
def list_credit_memos(
    billingAccountId: Annotated[Identifier, Query()],
    status: Annotated[MemoStatus | None, Query()] = None,
    limit: Annotated[int | None, Query(ge=1, le=MAX_PAGE_SIZE)] = None,
    nextToken: Annotated[str | None, Query(max_length=MAX_TOKEN_LENGTH)] = None,
) -> Response[str]:
    return edge.respond(edge.execute(commands.ListCreditMemos(billingAccountId, status, limit, nextToken)))


@app.get(
    "/credit-memos/<creditMemoId>",
    summary="Get a credit memo with its lines",
    responses=edge.success_response(200, CreditMemoView, "The credit memo") | edge.error_responses(404, 503),
)
def get_credit_memo(creditMemoId: Annotated[str, Path()]) -> Response[str]:
    return edge.respond(edge.execute(commands.GetCreditMemo(edge.path_id(creditMemoId, "credit memo"))))


@app.get(
    "/credit-memos/<creditMemoId>/applications",
    summary="A credit memo's application history (both levels), oldest first",
    responses=edge.success_response(200, ApplicationPage, "Application records")
    | edge.error_responses(404, 422, 503),
)
def list_credit_memo_applications(
    creditMemoId: Annotated[str, Path()],
    limit: Annotated[int | None, Query(ge=1, le=MAX_PAGE_SIZE)] = None,
    nextToken: Annotated[str | None, Query(max_length=MAX_TOKEN_LENGTH)] = None,
) -> Response[str]:
    memo_id = edge.path_id(creditMemoId, "credit memo")
    return edge.respond(
        edge.execute(commands.ListApplications(credit_memo_id=memo_id, limit=limit, next_token=nextToken))
    )


def direct(payload: dict[str, Any]) -> Outcome:
    """``{creditMemoId}`` gets one; ``{creditMemoId, applications: true}`` its history; else a list query."""
    if "creditMemoId" in payload:
        memo_id = edge.take(payload, "creditMemoId", "credit memo")
        if payload.pop("applications", False) is True:
            query = ListQuery.model_validate(payload)
            return edge.execute(
                commands.ListApplications(
                    credit_memo_id=memo_id, limit=query.limit, next_token=query.nextToken
                )
            )
        return edge.execute(commands.GetCreditMemo(memo_id))
    query = ListQuery.model_validate(payload)
    if query.billingAccountId is None:
        raise ValidationError("is required", field=("billingAccountId",))
    return edge.execute(
        commands.ListCreditMemos(query.billingAccountId, query.status, query.limit, query.nextToken)
    )


lambda_handler = edge.make_lambda_handler(app, direct)
