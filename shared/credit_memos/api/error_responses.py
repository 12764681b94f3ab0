"""The HTTP response to anything a request raised (statuses and bodies by api/errors.py's one map)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from credit_memos.api.errors import BadRequest, error_body, http_status
from credit_memos.api.observability import current_request, logger, metrics
from credit_memos.api.routing import RequestValidationError, Response, RouteNotFound
from credit_memos.errors import DomainError, InternalError, NotFound, ValidationError
from credit_memos.views import json_text

REPLAY_HEADER = "Idempotent-Replayed"


def _error_headers(error: DomainError) -> dict[str, str] | None:
    headers = {"Retry-After": "1"} if error.retryable else {}
    if error.replayed:
        headers[REPLAY_HEADER] = "true"
    return headers or None


def error_response(error: DomainError, details: list[dict[str, Any]] | None = None) -> Response[str]:
    current_request().failed(error)
    body = json_text(error_body(error, details))
    return Response(http_status(error), "application/json", body, headers=_error_headers(error))


def proxy_error_result(error: DomainError) -> dict[str, Any]:
    """An error as the Lambda's API Gateway result, for requests refused before routing."""
    current_request().failed(error)
    return {
        "statusCode": http_status(error),
        "headers": {"Content-Type": "application/json"},
        "body": json_text(error_body(error)),
        "isBase64Encoded": False,
    }


def validation_details(errors: Any) -> list[dict[str, Any]]:
    """pydantic's errors as the contract's ``details``: each field as the request names it."""
    details = []
    for err in errors:
        field = ""
        for part in err.get("loc", ()):
            if part in ("body", "query", "path", "header"):
                continue
            field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
        message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        details.append({"field": field or None, "message": message})
    return details


def _request_validation_response(error: RequestValidationError) -> Response[str]:
    errors = list(error.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        # Our deserializer's own message (size, depth, syntax) is safe to show.
        reason = next(
            (e.get("ctx", {}).get("error") for e in errors if e.get("type") == "json_invalid"), None
        )
        return error_response(
            BadRequest(reason if isinstance(reason, str) else "the request body is not valid JSON")
        )
    return error_response(ValidationError("the request is not valid"), validation_details(errors))


def handle_error(error: Exception) -> Response[str]:
    """The response to anything a request raised: domain errors by the one map (api/errors.py),
    invalid requests 422 (400 for bad JSON), no route 404, anything else 500 without internals."""
    if isinstance(error, DomainError):
        status = http_status(error)
        if status >= 500:
            logger.warning("request failed", extra={"error_code": error.error_code})
        metrics.add_metric(name=f"Error{status}", unit=MetricUnit.Count, value=1)
        return error_response(error)
    if isinstance(error, RequestValidationError):
        return _request_validation_response(error)
    if isinstance(error, RouteNotFound):
        return error_response(NotFound("no such resource"))
    logger.exception("unexpected error")
    return error_response(InternalError("internal error"))
