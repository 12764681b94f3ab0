"""The Salesforce functions' HTTP edge: API versions, answers in Salesforce's envelopes, and every
refusal (before routing, in validation, in the domain) rewritten into the resource's error envelope
with the native HTTP status and errorCode.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, RootModel

from credit_memos.api.direct_invocation import DirectHandler
from credit_memos.api.error_responses import REPLAY_HEADER
from credit_memos.api.execution import DRY_RUN_HEADER
from credit_memos.api.json_body import parse_json
from credit_memos.api.lambda_handlers import LambdaHandler, make_lambda_handler
from credit_memos.api.openapi_responses import OpenAPIResponse, error_responses
from credit_memos.api.routing import HttpRouter, Response
from credit_memos.errors import DomainError, NotFound
from credit_memos.salesforce import envelopes
from credit_memos.usecases import Outcome
from credit_memos.views import json_text

# Revenue Cloud Billing's Connect REST API versions this surface answers (spec section 13).
VERSIONS = tuple(f"v{number}.0" for number in range(62, 69))
PREFIX = "/services/data/<version>"
VERSION_PATTERN = r"^v(6[2-8])\.0$"
_VERSION_RE = re.compile(VERSION_PATTERN)
# The path's version as the OpenAPI document states it (the route answers another one 404).
VERSION_SCHEMA = {"pattern": VERSION_PATTERN, "examples": ["v67.0"]}


class SalesforceError(BaseModel, defer_build=True):
    errorCode: str
    message: str


class SalesforceErrorBody(RootModel[list[SalesforceError] | dict[str, Any]], defer_build=True):
    """A refusal: the resource's envelope with ``success: false`` (each result's, for apply) and
    ``errors: [{errorCode, message}]``, or Salesforce's error list (docs/salesforce.md "Responses")."""


def salesforce_error_responses(*statuses: int) -> dict[int, OpenAPIResponse]:
    """The native routes' error statuses, each answered in Salesforce's envelopes."""
    return {
        status: {**response, "content": {"application/json": {"model": SalesforceErrorBody}}}
        for status, response in error_responses(*statuses).items()
    }


def checked_version(version: str) -> str:
    """The path's API version; one this surface does not answer does not exist."""
    if not _VERSION_RE.fullmatch(version):
        raise NotFound(f"API version {version[:16]!r} is not served here (v62.0 to v68.0)")
    return version


def answer(outcome: Outcome, body: Any) -> Response[str]:
    """A success in Salesforce's envelope, with the native status (a replay and a dry run say so)."""
    headers = {REPLAY_HEADER: "true"} if outcome.replayed else {}
    if outcome.dry_run:
        headers[DRY_RUN_HEADER] = "true"
    return Response(outcome.status_code, "application/json", json_text(body), headers=headers)


def native_body(outcome: Outcome) -> dict[str, Any]:
    body = outcome.body
    return json.loads(outcome.text) if body is None and outcome.text is not None else body


def _request_body(event: Mapping[str, Any]) -> Any:
    text = event.get("body")
    if not isinstance(text, str) or not text or event.get("isBase64Encoded"):
        return None
    try:
        return parse_json(text)
    except DomainError:
        return None


def make_salesforce_handler(
    app: HttpRouter, direct: DirectHandler, kind_of: Callable[[str], str]
) -> LambdaHandler:
    """The function's handler: the native edge (``make_lambda_handler``), its HTTP refusals rewritten
    into the envelope of the route's resource kind (``kind_of(resource path)``)."""
    handler = make_lambda_handler(app, direct)

    def lambda_handler(event: Any, context: Any) -> Any:
        result = handler(event, context)
        is_http = isinstance(event, dict) and "httpMethod" in event and "requestContext" in event
        if not is_http or result.get("statusCode", 200) < 400 or not result.get("body"):
            return result
        try:
            error = json.loads(result["body"])
        except ValueError:
            return result
        if not isinstance(error, dict) or "errorCode" not in error:
            return result
        kind = kind_of(str(event.get("resource") or ""))
        return {**result, "body": json_text(envelopes.failure(kind, error, _request_body(event)))}

    return lambda_handler
