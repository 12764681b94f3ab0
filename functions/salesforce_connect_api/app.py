"""Revenue Cloud Billing's Connect REST resources under /services/data/v{62-68}.0 (spec section 13):
each Salesforce body translated into the native request, the native command run, the native answer
put in Salesforce's envelope; and the status resource of a finished request."""

from __future__ import annotations

from typing import Annotated, Any

from credit_memos.api.direct_invocation import pop_id
from credit_memos.api.execution import DryRun, checked_id, execute
from credit_memos.api.fields import IdempotencyKey
from credit_memos.api.lambda_handlers import new_router
from credit_memos.api.routing import Body, Header, Path, Response
from credit_memos.api.schemas import VoidRequest
from credit_memos.commands import applications as application_commands
from credit_memos.commands import memos as memo_commands
from credit_memos.salesforce import envelopes
from credit_memos.salesforce import requests as sf
from credit_memos.salesforce.http import (
    PREFIX,
    VERSION_SCHEMA,
    answer,
    checked_version,
    make_salesforce_handler,
    native_body,
    salesforce_error_responses,
)
from credit_memos.salesforce.line_ids import split_line_id
from credit_memos.usecases import Outcome

app = new_router()
# The path's memo line as the document states it: {creditMemoId}.{lineId} (line_ids.py reads it).
QUALIFIED_LINE_ID = {"pattern": r"^[A-Za-z0-9][A-Za-z0-9_:\-]{0,127}\.[A-Za-z0-9][A-Za-z0-9_:\-]{0,127}$"}
INVOICING = f"{PREFIX}/commerce/invoicing"
Key = Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")]
Version = Annotated[
    str, Path(description="The API version, v62.0 to v68.0", json_schema_extra=VERSION_SCHEMA)
]


def _responses(status: int, description: str, *errors: int) -> dict[int, Any]:
    success = {
        status: {"description": description, "content": {"application/json": {"schema": {"type": "object"}}}}
    }
    return success | salesforce_error_responses(400, 404, 409, 413, 415, 422, 503, *errors)


@app.post(
    f"{INVOICING}/credit-memos/actions/generate",
    summary="Salesforce: create a standalone credit memo",
    responses=_responses(201, "{success, requestIdentifier, errors, creditMemoId}"),
)
def generate(
    version: Version,
    request: Annotated[sf.GenerateCreditMemo, Body()],
    idempotency_key: Key = None,
    dry_run: DryRun = False,
) -> Response[str]:
    checked_version(version)
    outcome = execute(request.native().command(), idempotency_key, dry_run)
    return answer(outcome, envelopes.generated(native_body(outcome), version))


@app.post(
    f"{INVOICING}/invoices/<invoiceId>/actions/credit",
    summary="Salesforce: create a credit memo from invoice lines and apply it",
    responses=_responses(201, "{success, requestIdentifier, statusURL, errors, referenceLineType, ...}", 409),
)
def credit(
    version: Version,
    invoiceId: Annotated[str, Path()],
    request: Annotated[sf.CreditInvoice, Body()],
    idempotency_key: Key = None,
    dry_run: DryRun = False,
) -> Response[str]:
    checked_version(version)
    outcome = execute(request.native().command(checked_id(invoiceId, "invoice")), idempotency_key, dry_run)
    return answer(outcome, envelopes.credited(native_body(outcome), version))


@app.post(
    f"{INVOICING}/credit-memos/<creditMemoId>/actions/apply",
    summary="Salesforce: apply a credit memo to invoices",
    responses=_responses(200, "{applyCreditResults: [{appliedToId, id, success, errors}]}", 409),
)
def apply(
    version: Version,
    creditMemoId: Annotated[str, Path()],
    request: Annotated[sf.ApplyCreditMemo, Body()],
    idempotency_key: Key = None,
    dry_run: DryRun = False,
) -> Response[str]:
    checked_version(version)
    outcome = execute(
        request.native().command(checked_id(creditMemoId, "credit memo")), idempotency_key, dry_run
    )
    targets = [a.appliedToId for a in request.applications]
    return answer(outcome, envelopes.applied(native_body(outcome), targets))


@app.post(
    f"{INVOICING}/credit-memo-lines/<creditMemoLineId>/actions/apply",
    summary="Salesforce: apply a credit memo line ({creditMemoId}.{lineId}) to invoice lines",
    responses=_responses(
        200, "{appliedCreditResponses: [{creditMemoLineInvoiceLineId, invoiceLineId, ...}]}", 409
    ),
)
def apply_line(
    version: Version,
    creditMemoLineId: Annotated[str, Path(json_schema_extra=QUALIFIED_LINE_ID)],
    request: Annotated[sf.ApplyCreditMemoLine, Body()],
    idempotency_key: Key = None,
    dry_run: DryRun = False,
) -> Response[str]:
    checked_version(version)
    memo_id, line_id = split_line_id(creditMemoLineId, ("creditMemoLineId",))
    command = request.native().command(
        checked_id(memo_id, "credit memo"), checked_id(line_id, "credit memo line")
    )
    outcome = execute(command, idempotency_key, dry_run)
    lines = [d.invoiceLineId for d in request.applyCreditDetails]
    return answer(outcome, envelopes.line_applied(native_body(outcome), lines))


@app.post(
    f"{INVOICING}/credit-memo-inv-applications/<applicationId>/actions/unapply",
    summary="Salesforce: unapply a credit memo invoice application",
    responses=_responses(200, "{id, success, errors}: the new Unapplied record", 409),
)
def unapply(
    version: Version,
    applicationId: Annotated[str, Path()],
    request: Annotated[sf.Unapply | None, Body()] = None,
    idempotency_key: Key = None,
    dry_run: DryRun = False,
) -> Response[str]:
    checked_version(version)
    native = (request or sf.Unapply()).native()
    command = native.command(
        checked_id(applicationId, "application"), application_commands.UnapplyCreditMemoApplication
    )
    outcome = execute(command, idempotency_key, dry_run)
    return answer(outcome, envelopes.unapplied(native_body(outcome)))


@app.post(
    f"{INVOICING}/credit-memo-line-invoice-line/<applicationId>/actions/unapply",
    summary="Salesforce: unapply a credit memo line invoice line application",
    responses=_responses(
        200, "{creditMemoLineInvoiceLineId, success, errors}: the new Unapplied record", 409
    ),
)
def unapply_line(
    version: Version,
    applicationId: Annotated[str, Path()],
    request: Annotated[sf.Unapply | None, Body()] = None,
    idempotency_key: Key = None,
    dry_run: DryRun = False,
) -> Response[str]:
    checked_version(version)
    native = (request or sf.Unapply()).native()
    command = native.command(
        checked_id(applicationId, "application"), application_commands.UnapplyCreditMemoLineApplication
    )
    outcome = execute(command, idempotency_key, dry_run)
    return answer(outcome, envelopes.line_unapplied(native_body(outcome)))


@app.post(
    f"{INVOICING}/invoices/<invoiceId>/actions/convert-to-credit",
    summary="Salesforce: convert negative invoice lines into a posted credit memo",
    responses=_responses(201, "{id, success, errors}: the new memo", 409),
)
def convert(
    version: Version,
    invoiceId: Annotated[str, Path()],
    request: Annotated[sf.ConvertToCredit | None, Body()] = None,
    idempotency_key: Key = None,
    dry_run: DryRun = False,
) -> Response[str]:
    checked_version(version)
    native = (request or sf.ConvertToCredit()).native()
    outcome = execute(native.command(checked_id(invoiceId, "invoice")), idempotency_key, dry_run)
    return answer(outcome, envelopes.converted(native_body(outcome)))


@app.post(
    f"{INVOICING}/credit/collection/actions/post",
    summary="Salesforce: post a Draft credit memo",
    responses=_responses(200, "{success, requestIdentifier, statusURL, errors}", 409),
)
def post(
    version: Version,
    request: Annotated[sf.PostCreditMemos, Body()],
    idempotency_key: Key = None,
    dry_run: DryRun = False,
) -> Response[str]:
    checked_version(version)
    memo_id = checked_id(request.creditMemoIds[0], "credit memo")
    outcome = execute(memo_commands.PostCreditMemo(memo_id), idempotency_key, dry_run)
    return answer(outcome, envelopes.posted(native_body(outcome), version))


@app.post(
    f"{PREFIX}/commerce/billing/credit-memos/<creditMemoId>/actions/void",
    summary="Salesforce: void a posted credit memo (no debit memo is made)",
    responses=_responses(200, "{success, statusURL, debitMemoId: null, errors}", 409),
)
def void(
    version: Version,
    creditMemoId: Annotated[str, Path()],
    idempotency_key: Key = None,
    dry_run: DryRun = False,
) -> Response[str]:
    checked_version(version)
    outcome = execute(
        VoidRequest().command(checked_id(creditMemoId, "credit memo")), idempotency_key, dry_run
    )
    return answer(outcome, envelopes.voided(native_body(outcome), version))


@app.post(
    f"{INVOICING}/invoices/actions/write-off",
    summary="Salesforce: write off invoices, each on its own",
    responses=_responses(
        200, "{result: [{requestIdentifier, invoiceId, success, errors: {errorcode, errorMessage}}]}"
    ),
)
def write_off(
    version: Version,
    request: Annotated[sf.WriteOffInvoices, Body()],
    idempotency_key: Key = None,
    dry_run: DryRun = False,
) -> Response[str]:
    checked_version(version)
    outcome = execute(request.native().command(), idempotency_key, dry_run)
    return answer(outcome, envelopes.written_off(native_body(outcome)))


@app.get(
    f"{PREFIX}/sobjects/AsyncOperationTracker/<requestIdentifier>",
    summary="Salesforce: the status of a request (every request here has finished: Completed)",
    responses=_responses(200, "{Id, Status: Completed, requestIdentifier, creditMemoId, creditMemoStatus}"),
)
def status(version: Version, requestIdentifier: Annotated[str, Path()]) -> Response[str]:
    checked_version(version)
    outcome = execute(memo_commands.GetCreditMemo(checked_id(requestIdentifier, "request")))
    return answer(outcome, envelopes.tracker(native_body(outcome), version))


# A refusal's envelope is its resource's (envelopes.FAILURES), found by the route's path.
_KINDS = (
    ("/invoices/actions/write-off", "write_off"),
    ("/credit-memos/actions/generate", "generate"),
    ("/actions/credit", "credit"),
    ("/credit-memo-lines/{creditMemoLineId}/actions/apply", "line_apply"),
    ("/actions/apply", "apply"),
    ("/credit-memo-line-invoice-line/{applicationId}/actions/unapply", "line_unapply"),
    ("/actions/unapply", "unapply"),
    ("/actions/convert-to-credit", "convert"),
    ("/actions/post", "post"),
    ("/actions/void", "void"),
)


def kind_of(resource: str) -> str:
    return next((kind for suffix, kind in _KINDS if resource.endswith(suffix)), "request")


def direct(payload: dict[str, Any]) -> Outcome:
    """The status resource, for a state machine that follows a statusURL: ``{version, requestIdentifier}``."""
    version = checked_version(str(payload.pop("version", "")))
    outcome = execute(memo_commands.GetCreditMemo(pop_id(payload, "requestIdentifier", "request")))
    return Outcome(200, envelopes.tracker(native_body(outcome), version))


lambda_handler = make_salesforce_handler(app, direct, kind_of)
