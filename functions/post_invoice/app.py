"""POST /invoices/{invoiceId}/actions/post: post a Draft invoice."""

from __future__ import annotations

from typing import Annotated, Any

from credit_memos.api import edge
from credit_memos.api.fields import IdempotencyKey
from credit_memos.api.routing import Body, Header, Path, Response
from credit_memos.api.schemas import EmptyActionRequest
from credit_memos.commands import invoices as commands
from credit_memos.domain.views import InvoiceView
from credit_memos.usecases import Outcome

app = edge.make_resolver()


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
    return edge.respond(
        edge.execute(commands.PostInvoice(edge.path_id(invoiceId, "invoice")), idempotency_key)
    )


def direct(payload: dict[str, Any]) -> Outcome:
    key = edge.take_key(payload)
    ident = edge.take(payload, "invoiceId", "invoice")
    EmptyActionRequest.model_validate(payload)
    return edge.execute(commands.PostInvoice(ident), key)


lambda_handler = edge.make_lambda_handler(app, direct)
