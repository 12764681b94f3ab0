"""The unapply function, built once per level: both endpoints differ only in level and path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from credit_memos.api import edge
from credit_memos.api.fields import IdempotencyKey
from credit_memos.api.routing import Body, Header, Path, Response, Router
from credit_memos.api.schemas import UnapplyRequest
from credit_memos.commands import applications as commands
from credit_memos.domain.documents import SettlementLevel
from credit_memos.domain.views import ApplicationView
from credit_memos.usecases import Outcome

_BY_LEVEL: dict[SettlementLevel, tuple[str, type[commands.UnapplyCreditMemoApplication], str]] = {
    "Invoice": (
        "/credit-memo-applications/<applicationId>/actions/unapply",
        commands.UnapplyCreditMemoApplication,
        "Unapply an invoice-level credit memo application",
    ),
    "InvoiceLine": (
        "/credit-memo-line-applications/<applicationId>/actions/unapply",
        commands.UnapplyCreditMemoLineApplication,
        "Unapply a credit memo line invoice line application",
    ),
}


def build_unapply_function(
    level: SettlementLevel,
) -> tuple[Router, Callable[[dict[str, Any], Any], Any]]:
    """The resolver and ``lambda_handler`` of the unapply function for ``level``."""
    path, command_type, summary = _BY_LEVEL[level]
    operation = command_type.operation
    app = edge.make_resolver()

    def unapply(application_id: str, request: UnapplyRequest, idempotency_key: str | None) -> Outcome:
        command = request.command(edge.path_id(application_id, "application"), command_type)
        return edge.execute(command, idempotency_key)

    @app.post(
        path,
        summary=summary,
        operation_id=operation,
        responses=edge.success_response(200, ApplicationView, "The new Unapplied record")
        | edge.error_responses(400, 404, 409, 413, 415, 422, 503),
    )
    def unapply_action(
        applicationId: Annotated[str, Path()],
        request: Annotated[UnapplyRequest | None, Body()] = None,
        idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
    ) -> Response[str]:
        return edge.respond(unapply(applicationId, request or UnapplyRequest(), idempotency_key))

    def direct(payload: dict[str, Any]) -> Outcome:
        key = edge.take_key(payload)
        application_id = edge.take(payload, "applicationId", "application")
        return unapply(application_id, UnapplyRequest.model_validate(payload), key)

    return app, edge.make_lambda_handler(app, direct)
