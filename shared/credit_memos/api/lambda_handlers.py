"""The Lambda entry points a handler module builds: API Gateway requests to its router, anything else direct.

A handler module builds its router with ``new_router()``, declares its routes on it (``@app.get`` /
``@app.post``, credit_memos.api.routing), and exposes ``lambda_handler = make_lambda_handler(app,
direct)``. Checks that do not depend on the route (body size, content type, encoding) answer here,
before routing.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.logging import correlation_paths

import credit_memos
from credit_memos import snapstart
from credit_memos.api.actor import acting_as, api_gateway_actor
from credit_memos.api.direct_invocation import DirectHandler, invoke_directly
from credit_memos.api.error_responses import handle_error, proxy_error_result
from credit_memos.api.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from credit_memos.api.json_body import is_json_content_type, read_body_for_powertools, read_route_body
from credit_memos.api.observability import logged_request, logger, metrics, tracer
from credit_memos.api.routing import HttpRouter
from credit_memos.deadline import request_deadline
from credit_memos.errors import DomainError
from credit_memos.limits import MAX_BODY_BYTES

LambdaHandler = Callable[[dict[str, Any], Any], Any]


def new_router() -> HttpRouter:
    """A function's router (its routes are declared on it with ``@app.get`` / ``@app.post``)."""
    return HttpRouter(
        handle_error, read_body=read_route_body, powertools_body_reader=read_body_for_powertools
    )


def _with_checked_body(event: dict[str, Any]) -> dict[str, Any]:
    """The API Gateway event with its body as JSON text; raises the error refusing it (413, 415, 400).
    Checked for every route, before routing: a GET route, which reads no body, refuses one too."""
    body = event.get("body")
    if not body:
        return event
    if isinstance(body, str) and len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"the request body exceeds {MAX_BODY_BYTES} bytes")
    if not is_json_content_type(event.get("headers") or {}):
        raise UnsupportedMediaType("the request body must be application/json")
    if event.get("isBase64Encoded") and isinstance(body, str):
        # A binary body must still be UTF-8 JSON; decode it here so a bad one is a 400.
        try:
            text = base64.b64decode(body).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise BadRequest("the request body is not UTF-8 encoded JSON") from None
        return {**event, "body": text, "isBase64Encoded": False}
    return event


def _answer_http(app: HttpRouter, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The API Gateway result of a request, logged: the route names it until a command does."""
    actor = api_gateway_actor(event)
    route = f"{event.get('httpMethod')} {event.get('resource') or event.get('path')}"
    with logged_request(route, actor) as request, request_deadline(context):
        try:
            event = _with_checked_body(event)
        except DomainError as refusal:
            return proxy_error_result(refusal)
        with acting_as(actor):
            result = app.resolve(event, context)
        request.status = result["statusCode"]
        return result


def _answer_directly(direct: DirectHandler, event: Any, context: Any) -> Any:
    """A direct invocation's answer, logged with the status its error maps to (200 for success)."""
    with logged_request(getattr(context, "function_name", None) or "direct"), request_deadline(context):
        return invoke_directly(direct, event, context)


def make_lambda_handler(app: HttpRouter, direct: DirectHandler) -> LambdaHandler:
    """The ``lambda_handler`` of a function with HTTP routes and a direct invocation."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: Any) -> Any:
        if isinstance(event, dict) and "httpMethod" in event and "requestContext" in event:
            return _answer_http(app, event, context)
        return _answer_directly(direct, event, context)

    snapstart.before_snapshot(app.prepare)  # the routes' validators, before a SnapStart snapshot
    credit_memos.end_of_init()  # the collector as it was before init (credit_memos/__init__.py)
    return lambda_handler


def make_direct_handler(direct: DirectHandler) -> LambdaHandler:
    """A handler for direct invocation only (Step Functions tasks): no HTTP routes."""

    @logger.inject_lambda_context(log_event=False)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: Any) -> Any:
        return _answer_directly(direct, event, context)

    credit_memos.end_of_init()  # the collector as it was before init (credit_memos/__init__.py)
    return lambda_handler
