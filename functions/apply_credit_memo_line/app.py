"""POST /credit-memos/{creditMemoId}/lines/{creditMemoLineId}/actions/apply: memo line to invoice lines."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path
from aws_lambda_powertools.metrics import MetricUnit
from credit_memos.api import edge
from credit_memos.api.runtime import get_service
from credit_memos.api.schemas import ApplicationsResult, ApplyCreditMemoLineRequest, IdempotencyKey
from credit_memos.service import LineApplyTarget, Outcome

app = edge.make_resolver()


def apply_credit_memo_line(
    memo_id: str, memo_line_id: str, request: ApplyCreditMemoLineRequest, idempotency_key: str | None
) -> Outcome:
    memo_id = edge.path_id(memo_id, "credit memo")
    memo_line_id = edge.path_id(memo_line_id, "credit memo line")
    targets = [
        LineApplyTarget(t.invoiceId, t.invoiceLineId, t.amount, t.description, t.effectiveDate)
        for t in request.applications
    ]
    idempotency = edge.idempotency_for(
        idempotency_key,
        "ApplyCreditMemoLine",
        {"creditMemoId": memo_id, "creditMemoLineId": memo_line_id, **edge.request_data(request)},
    )
    outcome = get_service().apply_credit_memo_line(memo_id, memo_line_id, targets, idempotency)
    edge.metrics.add_metric(name="CreditApplied", unit=MetricUnit.Count, value=1)
    return outcome


@app.post(
    "/credit-memos/<creditMemoId>/lines/<creditMemoLineId>/actions/apply",
    summary="Apply a credit memo line to invoice lines (level InvoiceLine only)",
    responses=edge.success_response(200, ApplicationsResult, "The memo after the change and the new records")
    | edge.error_responses(400, 404, 409, 413, 415, 422, 503),
)
def apply_credit_memo_line_action(
    creditMemoId: Annotated[str, Path()],
    creditMemoLineId: Annotated[str, Path()],
    request: Annotated[ApplyCreditMemoLineRequest, Body()],
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
) -> Response[str]:
    return edge.respond(apply_credit_memo_line(creditMemoId, creditMemoLineId, request, idempotency_key))


def direct(payload: dict[str, Any]) -> Outcome:
    key = edge.take_key(payload)
    memo_id = edge.take(payload, "creditMemoId", "credit memo")
    memo_line_id = edge.take(payload, "creditMemoLineId", "credit memo line")
    return apply_credit_memo_line(
        memo_id, memo_line_id, ApplyCreditMemoLineRequest.model_validate(payload), key
    )


lambda_handler = edge.make_lambda_handler(app, direct)
