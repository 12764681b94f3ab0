"""POST /invoices/{invoiceId}/actions/convert-to-credit: negative lines into a Posted memo."""

from __future__ import annotations

from typing import Annotated, Any

from credit_memos.api import edge
from credit_memos.api.fields import IdempotencyKey
from credit_memos.api.routing import Body, Header, Path, Response
from credit_memos.api.schemas import ConvertNegativeLinesRequest
from credit_memos.domain.views import ApplicationsResult
from credit_memos.usecases import Outcome

app = edge.make_resolver()


@app.post(
    "/invoices/<invoiceId>/actions/convert-to-credit",
    summary="Convert negative invoice lines into a Posted credit memo, applied back by default (atomic)",
    responses=edge.success_response(201, ApplicationsResult, "The new memo and the records applying it back")
    | edge.error_responses(400, 404, 409, 413, 415, 422, 503),
)
def convert_action(
    invoiceId: Annotated[str, Path()],
    request: Annotated[ConvertNegativeLinesRequest | None, Body()] = None,
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
) -> Response[str]:
    command = (request or ConvertNegativeLinesRequest()).command(edge.path_id(invoiceId, "invoice"))
    return edge.respond(edge.execute(command, idempotency_key))


def direct(payload: dict[str, Any]) -> Outcome:
    key = edge.take_key(payload)
    invoice_id = edge.take(payload, "invoiceId", "invoice")
    return edge.execute(ConvertNegativeLinesRequest.model_validate(payload).command(invoice_id), key)


lambda_handler = edge.make_lambda_handler(app, direct)
