"""AWS errors as domain errors: nothing AWS-specific leaks upward."""

from __future__ import annotations

import logging

from botocore.exceptions import BotoCoreError, ClientError

from credit_memos.errors import ConcurrentUpdate, InternalError, ServiceUnavailable, ValidationError

logger = logging.getLogger(__name__)

RETRYABLE_CODES = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "LimitExceededException",
}


def _is_retryable_transport(error: BaseException) -> bool:
    name = type(error).__name__
    return name in {
        "ReadTimeoutError",
        "ConnectTimeoutError",
        "EndpointConnectionError",
        "ConnectionClosedError",
        "ConnectionError",
    }


def translate(error: Exception) -> Exception:
    """An AWS error that is neither a conflict nor a condition failure, as a domain error."""
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        if code in RETRYABLE_CODES:
            return ServiceUnavailable("the database is busy; retry the request")
        if code in ("TransactionConflictException", "TransactionInProgressException"):
            return ConcurrentUpdate("the documents are being changed by other requests; retry later")
        message = error.response.get("Error", {}).get("Message", "")
        if code == "ValidationException" and ("size" in message.lower() or "exceed" in message.lower()):
            return ValidationError(
                "the request is too large to store atomically; split it into smaller requests"
            )
    if isinstance(error, BotoCoreError) and _is_retryable_transport(error):
        return ServiceUnavailable("the database did not answer in time; retry the request")
    logger.error("unexpected DynamoDB error", extra={"error_type": type(error).__name__})
    return InternalError("internal error")
