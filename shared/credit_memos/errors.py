"""Domain errors. Each carries the contract's errorCode; none knows HTTP.

The exception *class name* is the errorCode in PascalCase, so Step Functions can
Catch and Retry by name on direct invocation (spec section 5). The HTTP status of
each is decided at the edge (``credit_memos.api.errors``).

A ``ValidationError`` names the offending field as a path in the terms of the command
(``("lines", 0, "charge_amount")``); the edge turns it into the request's own name
(``lines[0].chargeAmount``).
"""

from __future__ import annotations

from typing import ClassVar, TypeAlias

# A field of a command: attribute names and list indexes, outermost first.
FieldPath: TypeAlias = tuple[str | int, ...]


class DomainError(Exception):
    error_code: ClassVar[str] = "INTERNAL_ERROR"
    # Transient: the same request, unchanged, may succeed later. Such a failure is never stored
    # under an idempotency key, and callers are told to retry.
    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, field: FieldPath | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        # True when the error is the stored outcome of an earlier request under the same key.
        self.replayed = False


class ValidationError(DomainError):
    error_code = "VALIDATION_ERROR"


class IdempotencyKeyMismatch(DomainError):
    error_code = "IDEMPOTENCY_KEY_MISMATCH"


class NotFound(DomainError):
    error_code = "NOT_FOUND"


class Conflict(DomainError):
    """Base of the conflicts: the request is valid but the documents' state forbids it."""


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


class HasActiveRefunds(Conflict):
    error_code = "HAS_ACTIVE_REFUNDS"


class DuplicateReference(Conflict):
    """A payment (refund) reference already held by an unreversed payment of the same invoice (refund
    of the same memo)."""

    error_code = "DUPLICATE_REFERENCE"


class AlreadyReversed(Conflict):
    error_code = "ALREADY_REVERSED"


class PeriodClosed(Conflict):
    """A money movement dated in a closed accounting period (spec section 11)."""

    error_code = "PERIOD_CLOSED"


class ConcurrentUpdate(Conflict):
    error_code = "CONCURRENT_UPDATE"
    retryable = True


class IdempotencyKeyInUse(Conflict):
    error_code = "IDEMPOTENCY_KEY_IN_USE"
    retryable = True


class ServiceUnavailable(DomainError):
    """DynamoDB throttled or timed out after the SDK's own retries: safe to retry."""

    error_code = "SERVICE_UNAVAILABLE"
    retryable = True


class InternalError(DomainError):
    """Anything unexpected. Its message never carries internals."""

    error_code = "INTERNAL_ERROR"


class ProfileIncomplete(Conflict):
    """A document needs a party's detail that is not set (the message names each)."""

    error_code = "PROFILE_INCOMPLETE"
