"""The DynamoDB client every function uses."""

from __future__ import annotations

from typing import Any

# Seconds: a request that gets no answer in this long is retried by the SDK (template.yaml's
# RETRY_BUDGET_SECONDS leaves room for one more attempt before the functions' Timeout).
CONNECT_TIMEOUT_S = 2
READ_TIMEOUT_S = 5


def create_client(endpoint_url: str | None, region: str) -> Any:
    """A DynamoDB client with bounded timeouts and the SDK's standard retries."""
    from botocore.config import Config

    from credit_memos.adapters.aws import DYNAMODB
    from credit_memos.adapters.aws import create_client as create_aws_client

    config = Config(
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        tcp_keepalive=True,
        parameter_validation=False,
    )
    return create_aws_client(DYNAMODB, region=region, endpoint_url=endpoint_url, config=config)
