"""The DynamoDB client every function uses: bounded attempts, each one started only if it can end
before the request's deadline (``credit_memos.deadline``)."""

from __future__ import annotations

from typing import Any

from credit_memos import deadline

# Seconds. DynamoDB answers in milliseconds; an attempt without an answer in this long is given up
# and retried by the SDK (up to MAX_ATTEMPTS) if the deadline still has room for a whole one.
CONNECT_TIMEOUT_S = 1
READ_TIMEOUT_S = 5
MAX_ATTEMPTS = 3
# The longest one attempt can take: what the deadline must still hold before each attempt starts.
ATTEMPT_SECONDS = CONNECT_TIMEOUT_S + READ_TIMEOUT_S


def _within_deadline(**_: Any) -> None:
    """Before every attempt (the SDK's retries too): 503 rather than an attempt that could outlive
    the function."""
    current = deadline.current()
    if current is not None:
        current.require(ATTEMPT_SECONDS)


def create_client(endpoint_url: str | None, region: str) -> Any:
    """A DynamoDB client with bounded timeouts, the SDK's standard retries, and the deadline check."""
    from botocore.config import Config

    from credit_memos.adapters.aws import DYNAMODB
    from credit_memos.adapters.aws import create_client as create_aws_client

    config = Config(
        retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        tcp_keepalive=True,
        parameter_validation=False,
    )
    return within_deadlines(
        create_aws_client(DYNAMODB, region=region, endpoint_url=endpoint_url, config=config)
    )


def within_deadlines(client: Any) -> Any:
    """``client``, checking the request's deadline before every attempt."""
    client.meta.events.register("before-send.dynamodb", _within_deadline, unique_id="request-deadline")
    return client
