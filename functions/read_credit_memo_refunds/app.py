"""GET /credit-memos/{creditMemoId}/refunds (a memo's Refund and Reversal records, oldest first) and
GET /credit-memo-refunds/{refundId} (one record)."""

from __future__ import annotations

from typing import Annotated, Any

from credit_memos.api.direct_invocation import pop_id
from credit_memos.api.execution import checked_id, execute, respond
from credit_memos.api.lambda_handlers import make_lambda_handler, new_router
from credit_memos.api.openapi_responses import error_responses, success_response
from credit_memos.api.routing import Path, Query, Response
from credit_memos.api.schemas import PageQuery
from credit_memos.commands import refunds as commands
from credit_memos.limits import MAX_PAGE_SIZE, MAX_TOKEN_LENGTH
from credit_memos.usecases import Outcome
from credit_memos.views import CreditMemoRefundPage, CreditMemoRefundView

app = new_router()


@app.get(
    "/credit-memos/<creditMemoId>/refunds",
    summary="A credit memo's refund records (Refund and Reversal), oldest first",
    operation_id="ListCreditMemoRefunds",
    responses=success_response(200, CreditMemoRefundPage, "Refund records") | error_responses(404, 422, 503),
)
def list_credit_memo_refunds(
    creditMemoId: Annotated[str, Path()],
    limit: Annotated[int | None, Query(ge=1, le=MAX_PAGE_SIZE)] = None,
    nextToken: Annotated[str | None, Query(max_length=MAX_TOKEN_LENGTH)] = None,
) -> Response[str]:
    memo_id = checked_id(creditMemoId, "credit memo")
    return respond(execute(commands.ListCreditMemoRefunds(memo_id, limit, nextToken)))


@app.get(
    "/credit-memo-refunds/<refundId>",
    summary="Get one credit memo refund record (Refund or Reversal)",
    operation_id="GetCreditMemoRefund",
    responses=success_response(200, CreditMemoRefundView, "The record") | error_responses(404, 503),
)
def get_credit_memo_refund(refundId: Annotated[str, Path()]) -> Response[str]:
    return respond(execute(commands.GetCreditMemoRefund(checked_id(refundId, "credit memo refund"))))


def direct(payload: dict[str, Any]) -> Outcome:
    """``{refundId}`` for one record, or ``{creditMemoId, limit?, nextToken?}`` for a memo's list."""
    if "refundId" in payload:
        return execute(commands.GetCreditMemoRefund(pop_id(payload, "refundId", "credit memo refund")))
    memo_id = pop_id(payload, "creditMemoId", "credit memo")
    query = PageQuery.model_validate(payload)
    return execute(commands.ListCreditMemoRefunds(memo_id, query.limit, query.nextToken))


lambda_handler = make_lambda_handler(app, direct)
