"""The unapply function, built once per level: both endpoints differ only in level and path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from credit_memos.api.direct_invocation import pop_dry_run, pop_id, pop_idempotency_key
from credit_memos.api.execution import DryRun, checked_id, execute, respond
from credit_memos.api.fields import IdempotencyKey
from credit_memos.api.lambda_handlers import make_lambda_handler, new_router
from credit_memos.api.openapi_responses import error_responses, success_response
from credit_memos.api.routing import Body, Header, HttpRouter, Path, Response
from credit_memos.api.schemas import UnapplyRequest
from credit_memos.commands import applications as commands
from credit_memos.domain.documents import SettlementLevel
from credit_memos.usecases import Outcome
from credit_memos.views import ApplicationView

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
) -> tuple[HttpRouter, Callable[[dict[str, Any], Any], Any]]:
    """The resolver and ``lambda_handler`` of the unapply function for ``level``."""
    path, command_type, summary = _BY_LEVEL[level]
    operation = command_type.operation
    app = new_router()

    def unapply(
        application_id: str, request: UnapplyRequest, idempotency_key: str | None, dry_run: bool
    ) -> Outcome:
        command = request.command(checked_id(application_id, "application"), command_type)
        return execute(command, idempotency_key, dry_run)

    @app.post(
        path,
        summary=summary,
        operation_id=operation,
        responses=success_response(200, ApplicationView, "The new Unapplied record")
        | error_responses(400, 404, 409, 413, 415, 422, 503),
    )
    def unapply_action(
        applicationId: Annotated[str, Path()],
        request: Annotated[UnapplyRequest | None, Body()] = None,
        idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
        dry_run: DryRun = False,
    ) -> Response[str]:
        return respond(unapply(applicationId, request or UnapplyRequest(), idempotency_key, dry_run))

    def direct(payload: dict[str, Any]) -> Outcome:
        key = pop_idempotency_key(payload)
        dry_run = pop_dry_run(payload)
        application_id = pop_id(payload, "applicationId", "application")
        return unapply(application_id, UnapplyRequest.model_validate(payload), key, dry_run)

    return app, make_lambda_handler(app, direct)
