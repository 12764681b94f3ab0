"""The DynamoDB client every function uses."""

from __future__ import annotations

from typing import Any


def create_client(endpoint_url: str | None, region: str) -> Any:
    """A DynamoDB client with bounded timeouts and the SDK's standard retries."""
    from botocore.config import Config

    from credit_memos.adapters.aws import DYNAMODB
    from credit_memos.adapters.aws import create_client as create_aws_client

    config = Config(
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=2,
        read_timeout=5,
        tcp_keepalive=True,
        parameter_validation=False,
    )
    return create_aws_client(DYNAMODB, region=region, endpoint_url=endpoint_url, config=config)
