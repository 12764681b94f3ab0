"""The DynamoDB client every function uses."""

from __future__ import annotations

from typing import Any


def create_client(endpoint_url: str | None, region: str) -> Any:
    """A DynamoDB client with bounded timeouts and the SDK's standard retries."""
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=2,
        read_timeout=5,
        tcp_keepalive=True,
        parameter_validation=False,
    )
    return boto3.client("dynamodb", endpoint_url=endpoint_url, region_name=region, config=config)
