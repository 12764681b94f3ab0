"""POST /credit-memos: create a standalone credit memo (Draft or Posted)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header
from credit_memos.api import edge
from credit_memos.api.runtime import get_service
from credit_memos.api.schemas import CreateCreditMemoRequest, CreditMemoView, IdempotencyKey
from credit_memos.domain.rules import MemoChargeInput, TaxInput
from credit_memos.service import CreateCreditMemoCommand, Outcome

app = edge.make_resolver()


def create_credit_memo(request: CreateCreditMemoRequest, idempotency_key: str | None) -> Outcome:
    command = CreateCreditMemoCommand(
        billing_account_id=request.billingAccountId,
        currency=request.currency,
        status=request.type,
        description=request.description,
        effective_date=request.effectiveDate,
        external_reference=request.externalReference,
        charges=[
            MemoChargeInput(
                charge_amount=charge.chargeAmount,
                product_id=charge.productId,
                product_name=charge.productName,
                description=charge.description,
                taxes=tuple(TaxInput(t.taxAmount, t.taxCode, t.taxName, t.taxRate) for t in charge.taxes),
            )
            for charge in request.charges
        ],
    )
    idempotency = edge.idempotency_for(idempotency_key, "CreateCreditMemo", edge.request_data(request))
    return get_service().create_credit_memo(command, idempotency)


@app.post(
    "/credit-memos",
    summary="Create a standalone credit memo",
    responses=edge.success_response(201, CreditMemoView, "The credit memo")
    | edge.error_responses(400, 413, 415, 422, 503),
)
def post_credit_memos(
    request: Annotated[CreateCreditMemoRequest, Body()],
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
) -> Response[str]:
    return edge.respond(create_credit_memo(request, idempotency_key))


def direct(payload: dict[str, Any]) -> Outcome:
    key = edge.take_key(payload)
    return create_credit_memo(CreateCreditMemoRequest.model_validate(payload), key)


lambda_handler = edge.make_lambda_handler(app, direct)
