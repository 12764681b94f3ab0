"""POST /credit-memo-line-applications/{applicationId}/actions/unapply: reverse a line-level application."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path
from credit_memos.api import edge
from credit_memos.api.runtime import get_service
from credit_memos.api.schemas import ApplicationView, UnapplyRequest
from credit_memos.domain.documents import SettlementLevel
from credit_memos.service import Outcome

LEVEL: SettlementLevel = "InvoiceLine"
OPERATION = "UnapplyCreditMemoLineApplication"
app = edge.make_resolver()


def unapply(application_id: str, request: UnapplyRequest, idempotency_key: str | None) -> Outcome:
    application_id = edge.path_id(application_id, "application")
    idempotency = edge.idempotency_for(
        idempotency_key, OPERATION, {"applicationId": application_id, **edge.request_data(request)}
    )
    return get_service().unapply_application(
        application_id,
        LEVEL,
        description=request.description,
        effective_date=request.effectiveDate,
        idempotency=idempotency,
    )


@app.post(
    "/credit-memo-line-applications/<applicationId>/actions/unapply",
    summary="Unapply a credit memo line invoice line application",
    responses=edge.success_response(200, ApplicationView, "The new Unapplied record")
    | edge.error_responses(400, 404, 409, 413, 415, 422, 503),
)
def unapply_action(
    applicationId: Annotated[str, Path()],
    request: Annotated[UnapplyRequest | None, Body()] = None,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Response[str]:
    return edge.respond(unapply(applicationId, request or UnapplyRequest(), idempotency_key))


def direct(payload: dict[str, Any]) -> Outcome:
    key = edge.take_key(payload)
    application_id = edge.take(payload, "applicationId", "application")
    return unapply(application_id, UnapplyRequest.model_validate(payload), key)


lambda_handler = edge.make_lambda_handler(app, direct)
