"""Domain errors. Each carries the contract's errorCode and HTTP status.

The exception *class name* is the errorCode in PascalCase, so Step Functions can
Catch and Retry by name on direct invocation (spec section 5).
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    error_code: ClassVar[str] = "INTERNAL_ERROR"
    http_status: ClassVar[int] = 500
    # Whether a caller may retry the same request unchanged and expect a different outcome.
    retryable: ClassVar[bool] = False

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"errorCode": self.error_code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class BadRequest(DomainError):
    error_code = "BAD_REQUEST"
    http_status = 400


class ValidationError(DomainError):
    error_code = "VALIDATION_ERROR"
    http_status = 422


class IdempotencyKeyMismatch(DomainError):
    error_code = "IDEMPOTENCY_KEY_MISMATCH"
    http_status = 422


class PayloadTooLarge(DomainError):
    error_code = "PAYLOAD_TOO_LARGE"
    http_status = 413


class UnsupportedMediaType(DomainError):
    error_code = "UNSUPPORTED_MEDIA_TYPE"
    http_status = 415


class NotFound(DomainError):
    error_code = "NOT_FOUND"
    http_status = 404


class Conflict(DomainError):
    """Base of the 409s: the request is valid but the documents' state forbids it."""

    http_status = 409


class InvalidStatus(Conflict):
    error_code = "INVALID_STATUS"


class InsufficientBalance(Conflict):
    error_code = "INSUFFICIENT_BALANCE"


class CurrencyMismatch(Conflict):
    error_code = "CURRENCY_MISMATCH"


class AccountMismatch(Conflict):
    error_code = "ACCOUNT_MISMATCH"


class LevelMismatch(Conflict):
    error_code = "LEVEL_MISMATCH"


class AlreadyUnapplied(Conflict):
    error_code = "ALREADY_UNAPPLIED"


class AlreadyConverted(Conflict):
    error_code = "ALREADY_CONVERTED"


class HasActiveApplications(Conflict):
    error_code = "HAS_ACTIVE_APPLICATIONS"


class ConcurrentUpdate(Conflict):
    error_code = "CONCURRENT_UPDATE"
    retryable = True


class IdempotencyKeyInUse(Conflict):
    error_code = "IDEMPOTENCY_KEY_IN_USE"
    retryable = True


class ServiceUnavailable(DomainError):
    """DynamoDB throttled or timed out after the SDK's own retries: safe to retry."""

    error_code = "SERVICE_UNAVAILABLE"
    http_status = 503
    retryable = True


class MethodNotAllowed(DomainError):
    error_code = "METHOD_NOT_ALLOWED"
    http_status = 405


class InternalError(DomainError):
    """Anything unexpected. Its message never carries internals."""

    error_code = "INTERNAL_ERROR"
    http_status = 500
