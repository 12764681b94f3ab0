"""The OpenAPI declarations of a route's responses: its success body and the error bodies it can return."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from credit_memos.api.schemas import ErrorResponse

OpenAPIResponse = dict[str, Any]  # one entry of a route's ``responses`` (Powertools' OpenAPIResponse)

_ERRORS = {
    400: "Malformed JSON (BAD_REQUEST)",
    403: "The access policy does not allow it (FORBIDDEN, SELF_APPROVAL, APPROVAL_LIMIT_EXCEEDED)",
    404: "A document named in the path or body does not exist (NOT_FOUND)",
    409: "The documents' state forbids the change",
    413: "Body too large (PAYLOAD_TOO_LARGE)",
    415: "The body is not application/json (UNSUPPORTED_MEDIA_TYPE)",
    422: "Invalid request (VALIDATION_ERROR, IDEMPOTENCY_KEY_MISMATCH)",
    429: "API Gateway throttled the request (THROTTLED, QUOTA_EXCEEDED); retry after Retry-After",
    500: "Unexpected error (INTERNAL_ERROR); no internals are disclosed",
    503: "The database is busy; retry (SERVICE_UNAVAILABLE)",
}


def error_responses(*statuses: int) -> dict[int, OpenAPIResponse]:
    """The error bodies a route can return (403, 429 from API Gateway, and 500 always can)."""
    return {
        status: {"description": _ERRORS[status], "content": {"application/json": {"model": ErrorResponse}}}
        for status in sorted({*statuses, 403, 429, 500})
    }


def success_response(status: int, model: type[BaseModel], description: str) -> dict[int, OpenAPIResponse]:
    """The body a route returns on success."""
    return {status: {"description": description, "content": {"application/json": {"model": model}}}}
