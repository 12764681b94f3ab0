"""POST /invoices: create an invoice (Draft or Posted)."""

from __future__ import annotations

from typing import Annotated, Any

from credit_memos.api import edge
from credit_memos.api.fields import IdempotencyKey
from credit_memos.api.routing import Body, Header, Response
from credit_memos.api.schemas import CreateInvoiceRequest
from credit_memos.domain.views import InvoiceView
from credit_memos.usecases import Outcome

app = edge.make_resolver()


@app.post(
    "/invoices",
    summary="Create an invoice",
    responses=edge.success_response(201, InvoiceView, "The invoice")
    | edge.error_responses(400, 413, 415, 422, 503),
)
def post_invoices(
    request: Annotated[CreateInvoiceRequest, Body()],
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
) -> Response[str]:
    return edge.respond(edge.execute(request.command(), idempotency_key))


def direct(payload: dict[str, Any]) -> Outcome:
    key = edge.take_key(payload)
    return edge.execute(CreateInvoiceRequest.model_validate(payload).command(), key)


lambda_handler = edge.make_lambda_handler(app, direct)
