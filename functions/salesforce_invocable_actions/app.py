"""Salesforce's standard invocable actions, POST /services/data/v{62-68}.0/actions/standard/{actionName}
(spec section 13): each input on its own, the results in input order. Invoked directly with
``{"actionName": ..., "inputs": [...]}`` (a Step Functions task, as a Salesforce flow calls an action),
it returns the same array (``version`` optional, for the status URLs)."""

from __future__ import annotations

from typing import Annotated, Any

from credit_memos.api.direct_invocation import pop_dry_run, pop_idempotency_key
from credit_memos.api.execution import DRY_RUN_HEADER, DryRun
from credit_memos.api.fields import IdempotencyKey
from credit_memos.api.lambda_handlers import new_router
from credit_memos.api.routing import Body, Header, Path, Response
from credit_memos.errors import ValidationError
from credit_memos.salesforce.actions import ACTIONS, DIRECT_VERSION, ActionRequest, run_action
from credit_memos.salesforce.http import (
    PREFIX,
    VERSION_SCHEMA,
    checked_version,
    make_salesforce_handler,
    salesforce_error_responses,
)
from credit_memos.usecases import Outcome
from credit_memos.views import json_text

app = new_router()


@app.post(
    f"{PREFIX}/actions/standard/<actionName>",
    summary="Salesforce: run a standard invocable action (applyCredit, unapplyCredit, postDraftCreditMemo, "
    "voidPostedCreditMemo, writeOffInvoices) on each input",
    responses={
        200: {
            "description": "One result per input, in order: {actionName, isSuccess, errors, outputValues}",
            "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}},
        }
    }
    | salesforce_error_responses(400, 404, 409, 413, 415, 422, 503),
)
def invoke_action(
    version: Annotated[
        str, Path(description="The API version, v62.0 to v68.0", json_schema_extra=VERSION_SCHEMA)
    ],
    actionName: Annotated[str, Path(json_schema_extra={"enum": list(ACTIONS)})],
    request: Annotated[ActionRequest, Body()],
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
    dry_run: DryRun = False,
) -> Response[str]:
    results = run_action(actionName, request, idempotency_key, checked_version(version), dry_run)
    headers = {DRY_RUN_HEADER: "true"} if dry_run else {}
    return Response(200, "application/json", json_text(results), headers=headers)


def direct(payload: dict[str, Any]) -> Outcome:
    key = pop_idempotency_key(payload)
    dry_run = pop_dry_run(payload)
    version = checked_version(str(payload.pop("version", DIRECT_VERSION)))
    action = payload.pop("actionName", None)
    if not isinstance(action, str):
        raise ValidationError(
            "is required: the action to run (for example applyCredit)", field=("actionName",)
        )
    return Outcome(200, run_action(action, ActionRequest.model_validate(payload), key, version, dry_run))


lambda_handler = make_salesforce_handler(app, direct, lambda resource: "request")
