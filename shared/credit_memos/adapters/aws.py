"""The AWS services this package calls, and the one way it creates their clients.

``SERVICES`` is also what the built layer keeps of botocore's service models
(``infra/build/layer.py``): creating any client makes botocore list every model directory it ships
to check the service's name. A client for a service not listed here cannot be created from the
built layer: add it here (``tests/unit/test_aws_clients.py`` checks that the package names no
other service, ``tests/artifact`` that the layer can create each one).

Clients come from a botocore session, not from boto3: ``boto3.client`` adds nothing for these
low-level clients but imports boto3's resource layer and s3transfer on every cold start.

This module imports nothing at import time: the layer build reads ``SERVICES`` with the standard
library alone.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

DYNAMODB = "dynamodb"
EVENTBRIDGE = "events"
# The document archive (the document function) and the change archive (the invariant checker).
S3 = "s3"
# Not called by this package: Powertools' Tracer (aws-xray-sdk) creates an X-Ray client for its
# sampling rules when it runs outside Lambda's environment.
XRAY = "xray"
SERVICES = (DYNAMODB, EVENTBRIDGE, S3, XRAY)
# The operations the package calls, per service: the built layer keeps only these of a service's
# model (and the shapes they reach), without documentation, as botocore parses a client's whole
# model when it creates the client. None keeps the whole model (X-Ray's client is Powertools',
# outside Lambda only). tests/unit/test_aws_clients.py checks that the package calls no other
# operation of these services; tests/artifact that the layer's clients have these.
OPERATIONS: dict[str, tuple[str, ...] | None] = {
    DYNAMODB: (
        "BatchGetItem",
        "DescribeEndpoints",  # botocore's endpoint discovery names it; kept so the model stays whole
        "GetItem",
        "PutItem",
        "Query",
        "TransactWriteItems",
        "UpdateItem",
    ),
    EVENTBRIDGE: ("PutEvents",),
    S3: ("GetObject", "ListObjectsV2", "PutObject"),
    XRAY: None,
}


@lru_cache(maxsize=1)
def _session() -> Any:
    """One botocore session per process: its loader caches the models its clients share."""
    from botocore.session import get_session

    return get_session()


def create_client(service: str, *, region: str, endpoint_url: str | None, config: Any) -> Any:
    """A low-level client for ``service`` (one of ``SERVICES``), as ``boto3.client`` would make it."""
    if service not in SERVICES:
        raise ValueError(f"{service!r} is not in credit_memos.adapters.aws.SERVICES")
    return _session().create_client(service, region_name=region, endpoint_url=endpoint_url, config=config)
