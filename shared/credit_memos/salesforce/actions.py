"""Salesforce's standard invocable actions (``{"inputs": [...]}``): each input translated into the native
request and run on its own (its own transaction, its own outcome), the results in input order.

With an Idempotency-Key each input runs under a key of its own, derived from the request's key, the
action and the input's position, so a retried request replays every input that committed and runs
the rest: each input's effect happens once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import Field
from pydantic import ValidationError as PydanticValidationError

from credit_memos.access import Role
from credit_memos.api import schemas
from credit_memos.api.actor import current_actor
from credit_memos.api.error_responses import validation_details
from credit_memos.api.errors import error_body, field_name
from credit_memos.api.execution import checked_id, execute
from credit_memos.api.fields import Identifier, IsoDate, PositiveAmount, Text
from credit_memos.api.runtime import get_access_policy
from credit_memos.errors import DomainError, LevelMismatch, NotFound, ValidationError
from credit_memos.limits import MAX_ACTION_INPUTS
from credit_memos.salesforce import envelopes
from credit_memos.salesforce.http import native_body
from credit_memos.salesforce.input_keys import input_key
from credit_memos.salesforce.line_ids import is_line_id, split_line_id
from credit_memos.salesforce.requests import Ignored, SalesforceBody, as_native

DIRECT_VERSION = "v67.0"  # the API version of the status URLs a direct invocation answers


class ActionRequest(SalesforceBody):
    inputs: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_ACTION_INPUTS)


class ApplyCreditInput(SalesforceBody):
    creditSourceRecordId: Identifier = Field(
        description="A credit memo, or a memo line as {creditMemoId}.{lineId}"
    )
    creditTargetRecordId: Identifier = Field(
        description="An invoice, or an invoice line as {invoiceId}.{lineId}"
    )
    appliedCreditAmount: PositiveAmount
    description: Text | None = None
    effectiveDate: IsoDate | None = None


class UnapplyCreditInput(SalesforceBody):
    recordId: Identifier
    description: Text | None = None
    effectiveDate: IsoDate | None = None


class CreditMemoInput(SalesforceBody):
    creditMemoId: Identifier
    correlationId: Ignored = None


def _apply_credit(item: dict[str, Any], key: str | None, version: str, dry_run: bool) -> dict[str, Any]:
    given = ApplyCreditInput.model_validate(item)
    source, target = given.creditSourceRecordId, given.creditTargetRecordId
    if is_line_id(source) != is_line_id(target):
        raise ValidationError(
            "a credit memo applies to an invoice, a credit memo line to an invoice line",
            field=("creditTargetRecordId",),
        )
    target_fields = {
        "amount": given.appliedCreditAmount,
        "description": given.description,
        "effectiveDate": given.effectiveDate,
    }
    if is_line_id(source):
        memo_id, memo_line_id = split_line_id(source, ("creditSourceRecordId",))
        invoice_id, invoice_line_id = split_line_id(target, ("creditTargetRecordId",))
        line_request = as_native(
            schemas.ApplyCreditMemoLineRequest,
            {"applications": [{"invoiceId": invoice_id, "invoiceLineId": invoice_line_id, **target_fields}]},
        )
        command: Any = line_request.command(
            checked_id(memo_id, "credit memo"), checked_id(memo_line_id, "credit memo line")
        )
    else:
        request = as_native(
            schemas.ApplyCreditMemoRequest, {"applications": [{"invoiceId": target, **target_fields}]}
        )
        command = request.command(checked_id(source, "credit memo"))
    records = native_body(execute(command, key, dry_run)).get("applications") or []
    return {"recordId": records[0]["id"] if records else None}


def _unapply_credit(item: dict[str, Any], key: str | None, version: str, dry_run: bool) -> dict[str, Any]:
    from credit_memos.commands import applications as commands

    given = UnapplyCreditInput.model_validate(item)
    request = schemas.UnapplyRequest(description=given.description, effectiveDate=given.effectiveDate)
    record_id = checked_id(given.recordId, "application")
    # Salesforce's one action takes a record of either level; the record says which it is.
    try:
        outcome = execute(request.command(record_id, commands.UnapplyCreditMemoApplication), key, dry_run)
    except LevelMismatch:
        outcome = execute(request.command(record_id, commands.UnapplyCreditMemoLineApplication), key, dry_run)
    return {"recordId": native_body(outcome)["id"]}


def _post_draft_credit_memo(
    item: dict[str, Any], key: str | None, version: str, dry_run: bool
) -> dict[str, Any]:
    from credit_memos.commands.memos import PostCreditMemo

    memo_id = checked_id(CreditMemoInput.model_validate(item).creditMemoId, "credit memo")
    native_body(execute(PostCreditMemo(memo_id), key, dry_run))
    return {"requestIdentifier": memo_id, "statusUrl": envelopes.status_url(version, memo_id)}


def _void_posted_credit_memo(
    item: dict[str, Any], key: str | None, version: str, dry_run: bool
) -> dict[str, Any]:
    memo_id = checked_id(CreditMemoInput.model_validate(item).creditMemoId, "credit memo")
    execute(schemas.VoidRequest().command(memo_id), key, dry_run)
    return {"debitMemoId": None, "statusUrl": envelopes.status_url(version, memo_id)}


def _write_off_invoices(item: dict[str, Any], key: str | None, version: str, dry_run: bool) -> dict[str, Any]:
    """An input names one invoice ``{invoiceId, reasonCode, reason?}``, or several as Salesforce's
    Apex-defined ``writeOffInvoiceInputList``; each invoice is written off on its own."""
    from credit_memos.salesforce.requests import WriteOffInvoices

    listed = item.get("writeOffInvoiceInputList", item)
    if isinstance(listed, dict):
        listed = listed.get("writeOffInvoiceInputList", [listed])
    request = WriteOffInvoices.model_validate({"invoices": listed})
    results = envelopes.written_off(native_body(execute(request.native().command(), key, dry_run)))["result"]
    output = {"writeOffInvoiceResponseList": results}
    refused = [r["errors"] for r in results if not r["success"]]
    if refused:
        errors = [{"statusCode": e["errorcode"], "message": e["errorMessage"], "fields": []} for e in refused]
        raise InputRefused(errors, output)
    return output


class InputRefused(Exception):
    """An input some of whose effects were refused: its errors, and what it did."""

    def __init__(self, errors: list[dict[str, Any]], output: dict[str, Any]) -> None:
        super().__init__("input refused")
        self.errors, self.output = errors, output


# Action name -> (its input's translation and run, giving outputValues; errors on success as the
# action's documented example shows them; the least role of its native operation).
Action = Callable[[dict[str, Any], str | None, str, bool], dict[str, Any]]
ACTIONS: dict[str, tuple[Action, list[Any] | None, Role]] = {
    "applyCredit": (_apply_credit, None, "Operator"),
    "unapplyCredit": (_unapply_credit, None, "Operator"),
    "postDraftCreditMemo": (_post_draft_credit_memo, [], "Operator"),
    "voidPostedCreditMemo": (_void_posted_credit_memo, [], "Approver"),
    "writeOffInvoices": (_write_off_invoices, [], "Approver"),
}


def _result(
    action: str, output: dict[str, Any] | None, errors: list[Any] | None, success: bool | None = None
) -> dict[str, Any]:
    return {
        "actionName": action,
        "errors": errors,
        "invocationId": None,
        "isSuccess": output is not None if success is None else success,
        "outcome": None,
        "outputValues": output,
        "sortOrder": -1,
        "version": 1,
    }


def _failure(error: DomainError) -> list[dict[str, Any]]:
    fields = [field_name(error.field)] if error.field is not None else []
    return [{"statusCode": error.error_code, "message": error_body(error)["message"], "fields": fields}]


def _invalid(error: PydanticValidationError) -> list[dict[str, Any]]:
    details = validation_details(error.errors())
    message = "the input is not valid: " + "; ".join(f"{d['field']}: {d['message']}" for d in details)
    return [
        {
            "statusCode": "VALIDATION_ERROR",
            "message": message,
            "fields": [d["field"] for d in details if d["field"]],
        }
    ]


def run_action(
    action: str, request: ActionRequest, key: str | None, version: str, dry_run: bool = False
) -> list[dict[str, Any]]:
    """Every input of ``request`` handled on its own, in order; one input's refusal stops no other.
    A caller whose role may not run the action at all is refused the whole request (403)."""
    if action not in ACTIONS:
        raise NotFound(f"no standard action {action[:64]!r} here (one of {', '.join(ACTIONS)})")
    run, errors_on_success, role = ACTIONS[action]
    get_access_policy().caller(current_actor()).require(role, f"run {action}")
    results = []
    for index, item in enumerate(request.inputs):
        try:
            output = run(item, input_key(key, action, index), version, dry_run)
        except InputRefused as refused:
            results.append(_result(action, refused.output, refused.errors, success=False))
        except PydanticValidationError as error:
            results.append(_result(action, None, _invalid(error)))
        except DomainError as error:
            results.append(_result(action, None, _failure(error)))
        else:
            results.append(_result(action, output, errors_on_success))
    return results
