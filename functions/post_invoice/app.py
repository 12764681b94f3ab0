"""POST /invoices/{invoiceId}/actions/post: post a Draft invoice."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path
from credit_memos.api import edge
from credit_memos.api.runtime import get_service
from credit_memos.api.schemas import EmptyActionRequest, IdempotencyKey, InvoiceView
from credit_memos.service import Outcome

app = edge.make_resolver()


def post_invoice(invoice_id: str, idempotency_key: str | None) -> Outcome:
    invoice_id = edge.path_id(invoice_id, "invoice")
    idempotency = edge.idempotency_for(idempotency_key, "PostInvoice", {"invoiceId": invoice_id})
    return get_service().post_invoice(invoice_id, idempotency)


@app.post(
    "/invoices/<invoiceId>/actions/post",
    summary="Post a draft invoice",
    responses=edge.success_response(200, InvoiceView, "The posted invoice")
    | edge.error_responses(400, 404, 409, 413, 415, 422, 503),
)
def post_invoice_action(
    invoiceId: Annotated[str, Path()],
    request: Annotated[EmptyActionRequest | None, Body()] = None,
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
) -> Response[str]:
    return edge.respond(post_invoice(invoiceId, idempotency_key))


def direct(payload: dict[str, Any]) -> Outcome:
    key = edge.take_key(payload)
    invoice_id = edge.take(payload, "invoiceId", "invoice")
    EmptyActionRequest.model_validate(payload)
    return post_invoice(invoice_id, key)


lambda_handler = edge.make_lambda_handler(app, direct)
