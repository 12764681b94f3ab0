"""The one map from errors to HTTP, and the errors only the edge raises.

Domain errors know their errorCode, whether they are transient, and which field of the
command they concern; this module decides their HTTP status and names the field as the
request names it.
"""

from __future__ import annotations

from typing import Any

from pydantic.alias_generators import to_camel

from credit_memos import errors
from credit_memos.access import Forbidden
from credit_memos.errors import DomainError, FieldPath


class BadRequest(DomainError):
    """Malformed JSON, or a direct invocation that is not a JSON object."""

    error_code = "BAD_REQUEST"


class PayloadTooLarge(DomainError):
    error_code = "PAYLOAD_TOO_LARGE"


class UnsupportedMediaType(DomainError):
    error_code = "UNSUPPORTED_MEDIA_TYPE"


# Looked up along the class hierarchy: a subclass without its own entry takes its base's.
HTTP_STATUS: dict[type[DomainError], int] = {
    BadRequest: 400,
    PayloadTooLarge: 413,
    UnsupportedMediaType: 415,
    errors.ValidationError: 422,
    errors.IdempotencyKeyMismatch: 422,
    errors.NotFound: 404,
    Forbidden: 403,
    errors.Conflict: 409,
    errors.ServiceUnavailable: 503,
    errors.InternalError: 500,
    DomainError: 500,
}


def http_status(error: DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 500  # pragma: no cover - DomainError is in the map


def field_name(path: FieldPath) -> str:
    """``("lines", 0, "charge_amount")`` -> ``lines[0].chargeAmount``: the request's own names."""
    name = ""
    for part in path:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            named = to_camel(part) if "_" in part else part  # already a request's name: as it is
            name += f".{named}" if name else named
    return name


def error_body(error: DomainError, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The contract's error body: ``{errorCode, message, details?}``."""
    message = error.message
    if details is None and error.field is not None:
        named = field_name(error.field)
        details = [{"field": named}]
        message = f"{named}: {message}"
    body: dict[str, Any] = {"errorCode": error.error_code, "message": message}
    if details:
        body["details"] = details
    return body
