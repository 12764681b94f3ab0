"""POST /credit-memos/{creditMemoId}/actions/apply: apply a memo to one or more invoices."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path
from aws_lambda_powertools.metrics import MetricUnit
from credit_memos.api import edge
from credit_memos.api.runtime import get_service
from credit_memos.api.schemas import ApplicationsResult, ApplyCreditMemoRequest, IdempotencyKey
from credit_memos.service import ApplyTarget, Outcome

app = edge.make_resolver()


def apply_credit_memo(memo_id: str, request: ApplyCreditMemoRequest, idempotency_key: str | None) -> Outcome:
    memo_id = edge.path_id(memo_id, "credit memo")
    targets = [
        ApplyTarget(t.invoiceId, t.amount, t.description, t.effectiveDate) for t in request.applications
    ]
    idempotency = edge.idempotency_for(
        idempotency_key, "ApplyCreditMemo", {"creditMemoId": memo_id, **edge.request_data(request)}
    )
    outcome = get_service().apply_credit_memo(memo_id, targets, idempotency)
    edge.metrics.add_metric(name="CreditApplied", unit=MetricUnit.Count, value=1)
    return outcome


@app.post(
    "/credit-memos/<creditMemoId>/actions/apply",
    summary="Apply a credit memo to invoices (all-or-nothing, up to 25 invoices)",
    responses=edge.success_response(200, ApplicationsResult, "The memo after the change and the new records")
    | edge.error_responses(400, 404, 409, 413, 415, 422, 503),
)
def apply_credit_memo_action(
    creditMemoId: Annotated[str, Path()],
    request: Annotated[ApplyCreditMemoRequest, Body()],
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
) -> Response[str]:
    return edge.respond(apply_credit_memo(creditMemoId, request, idempotency_key))


def direct(payload: dict[str, Any]) -> Outcome:
    key = edge.take_key(payload)
    memo_id = edge.take(payload, "creditMemoId", "credit memo")
    return apply_credit_memo(memo_id, ApplyCreditMemoRequest.model_validate(payload), key)


lambda_handler = edge.make_lambda_handler(app, direct)
