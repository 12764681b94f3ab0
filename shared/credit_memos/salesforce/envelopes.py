"""Salesforce's response envelopes, filled from the native answers: one success and one failure shape
per resource, as the example payloads of Revenue Cloud's developer guide show them.

A success is built from the native body (the memo, the records); a failure from the native error body
``{errorCode, message, details?}`` with the native HTTP status kept (docs/salesforce.md "Errors").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# The tracker path of a finished request (Salesforce's AsyncOperationTracker); its id is the memo made.
STATUS_PATH = "/services/data/{version}/sobjects/AsyncOperationTracker/{request_id}"
COMPLETED = "Completed"


def status_url(version: str, request_id: str | None) -> str:
    """Where the request's status is read ("" for a dry run, which made nothing)."""
    return STATUS_PATH.format(version=version, request_id=request_id) if request_id else ""


def _errors(error: dict[str, Any]) -> list[dict[str, str]]:
    return [{"errorCode": error["errorCode"], "message": _message(error)}]


def _message(error: dict[str, Any]) -> str:
    """The native message, with the fields of a validation error (their paths and problems)."""
    details = [d for d in error.get("details") or () if d.get("field") and d.get("message")]
    if not details:
        return str(error["message"])
    return f"{error['message']}: " + "; ".join(f"{d['field']}: {d['message']}" for d in details)


def _records_of(body: dict[str, Any], invoice_id: str | None = None) -> list[dict[str, Any]]:
    return [r for r in body.get("applications") or () if invoice_id is None or r["invoiceId"] == invoice_id]


# ---------------------------------------------------------------- successes


def generated(body: dict[str, Any], version: str) -> dict[str, Any]:
    memo_id = body["id"]
    return {"success": True, "requestIdentifier": memo_id, "errors": None, "creditMemoId": memo_id}


def credited(body: dict[str, Any], version: str) -> dict[str, Any]:
    memo_id = body["creditMemo"]["id"]
    return {
        "success": True,
        "requestIdentifier": memo_id,
        "statusURL": status_url(version, memo_id),
        "errors": [],
        "referenceLineType": "InvoiceLine",
        "referenceLineErrorResults": [],
        "creditMemoId": memo_id,
    }


def applied(body: dict[str, Any], applied_to_ids: list[str]) -> dict[str, Any]:
    """One result per requested invoice, in request order: the first record written for it."""
    results = []
    for invoice_id in applied_to_ids:
        records = _records_of(body, invoice_id)
        results.append(
            {
                "appliedToId": invoice_id,
                "id": records[0]["id"] if records else None,
                "success": True,
                "errors": None,
            }
        )
    return {"applyCreditResults": results}


def line_applied(body: dict[str, Any], invoice_line_ids: list[str]) -> dict[str, Any]:
    """One result per requested invoice line (``{invoiceId}.{lineId}`` as sent), in request order."""
    records = _records_of(body)
    return {
        "appliedCreditResponses": [
            {
                "creditMemoLineInvoiceLineId": record["id"],
                "invoiceLineId": line_id,
                "success": True,
                "errors": None,
            }
            for line_id, record in zip(invoice_line_ids, records, strict=False)
        ]
    }


def unapplied(body: dict[str, Any]) -> dict[str, Any]:
    return {"id": body["id"], "success": True, "errors": []}


def line_unapplied(body: dict[str, Any]) -> dict[str, Any]:
    return {"creditMemoLineInvoiceLineId": body["id"], "success": True, "errors": []}


def converted(body: dict[str, Any]) -> dict[str, Any]:
    return {"id": body["creditMemo"]["id"], "success": True, "errors": []}


def posted(body: dict[str, Any], version: str) -> dict[str, Any]:
    memo_id = body["id"]
    return {
        "success": True,
        "requestIdentifier": memo_id,
        "statusURL": status_url(version, memo_id),
        "errors": [],
    }


def voided(body: dict[str, Any], version: str) -> dict[str, Any]:
    # No debit memo: a void sets the memo's balance to 0 here (docs/salesforce.md).
    return {
        "success": True,
        "statusURL": status_url(version, body["id"]),
        "debitMemoId": None,
        "errors": None,
    }


def _write_off_error(code: str | None, message: str | None) -> dict[str, Any]:
    return {"errorcode": code, "errorMessage": message}


def written_off(body: dict[str, Any]) -> dict[str, Any]:
    """One result per invoice, in request order; ``requestIdentifier`` is the write-off memo."""
    results = []
    for r in body["results"]:
        error = r.get("error") or {}
        memo = r.get("creditMemo") or {}
        results.append(
            {
                "requestIdentifier": memo.get("id") if r["success"] else None,
                "invoiceId": r["invoiceId"],
                "success": r["success"],
                "errors": _write_off_error(error.get("errorCode"), error.get("message")),
            }
        )
    return {"result": results}


def tracker(memo: dict[str, Any], version: str) -> dict[str, Any]:
    """The status resource of a finished request: every call here is synchronous, so Completed."""
    memo_id = memo["id"]
    return {
        "attributes": {"type": "AsyncOperationTracker", "url": status_url(version, memo_id)},
        "Id": memo_id,
        "Status": COMPLETED,
        "requestIdentifier": memo_id,
        "status": COMPLETED,
        "creditMemoId": memo_id,
        "creditMemoStatus": memo["status"],
    }


# ---------------------------------------------------------------- failures


def _failed_generate(error: dict[str, Any], body: Any) -> Any:
    return {"success": False, "requestIdentifier": None, "errors": _errors(error), "creditMemoId": None}


def _failed_credit(error: dict[str, Any], body: Any) -> Any:
    return {
        "success": False,
        "requestIdentifier": None,
        "statusURL": "",
        "errors": _errors(error),
        "referenceLineType": "InvoiceLine",
        "referenceLineErrorResults": _line_errors(error, body),
        "creditMemoId": None,
    }


def _line_errors(error: dict[str, Any], body: Any) -> list[dict[str, Any]]:
    """The error grouped under the invoice line it names (``invoiceLines[i]...``), as Salesforce does."""
    lines = body.get("invoiceLines") if isinstance(body, dict) else None
    found = []
    for detail in error.get("details") or ():
        field = str(detail.get("field") or "")
        if not field.startswith("invoiceLines[") or not isinstance(lines, list):
            continue
        index = field[len("invoiceLines[") :].split("]", 1)[0]
        if index.isdigit() and int(index) < len(lines) and isinstance(lines[int(index)], dict):
            line_id = lines[int(index)].get("invoiceLineId")
            found.append({"referenceLineId": line_id, "errors": _errors(error)})
    return found


def _failed_apply(error: dict[str, Any], body: Any) -> Any:
    ids = _listed(body, "applications", "appliedToId")
    return {
        "applyCreditResults": [
            {"appliedToId": i, "id": None, "success": False, "errors": _errors(error)} for i in ids
        ]
    }


def _failed_line_apply(error: dict[str, Any], body: Any) -> Any:
    ids = _listed(body, "applyCreditDetails", "invoiceLineId")
    return {
        "appliedCreditResponses": [
            {
                "creditMemoLineInvoiceLineId": None,
                "invoiceLineId": i,
                "success": False,
                "errors": _errors(error),
            }
            for i in ids
        ]
    }


def _listed(body: Any, name: str, key: str) -> list[Any]:
    """The ids a request listed (one None when it listed none readable): each result is refused."""
    items = body.get(name) if isinstance(body, dict) else None
    ids = (
        [item.get(key) if isinstance(item, dict) else None for item in items]
        if isinstance(items, list)
        else []
    )
    return ids or [None]


def _failed_unapply(error: dict[str, Any], body: Any) -> Any:
    return {"id": None, "success": False, "errors": _errors(error)}


def _failed_line_unapply(error: dict[str, Any], body: Any) -> Any:
    return {"creditMemoLineInvoiceLineId": None, "success": False, "errors": _errors(error)}


def _failed_post(error: dict[str, Any], body: Any) -> Any:
    return {"success": False, "requestIdentifier": None, "statusURL": "", "errors": _errors(error)}


def _failed_void(error: dict[str, Any], body: Any) -> Any:
    return {"success": False, "statusURL": "", "debitMemoId": None, "errors": _errors(error)}


def _failed_write_off(error: dict[str, Any], body: Any) -> Any:
    refusal = _write_off_error(error["errorCode"], _message(error))
    ids = _listed(body, "invoices", "invoiceId")
    return {
        "result": [
            {"requestIdentifier": None, "invoiceId": i, "success": False, "errors": refusal} for i in ids
        ]
    }


def _failed_request(error: dict[str, Any], body: Any) -> Any:
    """Salesforce REST's own error body (an unknown resource, the status resource, an action request
    that cannot be read): a list of ``{errorCode, message}``."""
    return _errors(error)


# Resource kind -> its failure envelope; the connect function names the kind of each route.
FAILURES: dict[str, Callable[[dict[str, Any], Any], Any]] = {
    "generate": _failed_generate,
    "credit": _failed_credit,
    "apply": _failed_apply,
    "line_apply": _failed_line_apply,
    "unapply": _failed_unapply,
    "line_unapply": _failed_line_unapply,
    "convert": _failed_unapply,  # the same shape: {id, success, errors}
    "post": _failed_post,
    "void": _failed_void,
    "write_off": _failed_write_off,
    "request": _failed_request,
}


def failure(kind: str, error: dict[str, Any], body: Any) -> Any:
    """The envelope of a refused request of ``kind``; ``body`` is the request's JSON (or None)."""
    return FAILURES.get(kind, _failed_request)(error, body)
