"""What every handler shares: the router, the one error mapping, direct invocation.

A handler module builds its router with ``make_resolver()``, declares its routes
(``credit_memos.api.routing``: Powertools' declarations, served without Powertools' event
handler), and exposes ``lambda_handler = make_lambda_handler(app, direct=...)``. API Gateway
events go to the router; any other JSON object is a direct invocation (spec
section 5), answered with the same body or a raised exception named after the
errorCode.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

import credit_memos
from credit_memos import snapstart
from credit_memos.api.errors import (
    BadRequest,
    PayloadTooLarge,
    UnsupportedMediaType,
    error_body,
    http_status,
)
from credit_memos.api.fields import ID_RE, IDEMPOTENCY_KEY_PATTERN
from credit_memos.api.observability import logger, metrics, tracer
from credit_memos.api.routing import (
    RequestValidationError,
    Response,
    RouteNotFound,
    Router,
    UnsupportedContentType,
)
from credit_memos.api.runtime import get_access_policy, get_service
from credit_memos.api.schemas import ErrorResponse
from credit_memos.commands import Command
from credit_memos.domain.views import json_text
from credit_memos.errors import DomainError, InternalError, NotFound, ValidationError
from credit_memos.limits import MAX_ACTOR_LENGTH, MAX_BODY_BYTES, MAX_IDEMPOTENCY_KEY_LENGTH, MAX_JSON_DEPTH
from credit_memos.usecases import Outcome

REPLAY_HEADER = "Idempotent-Replayed"
OpenAPIResponse = dict[str, Any]  # one entry of a route's ``responses`` (Powertools' OpenAPIResponse)
_KEY_RE = re.compile(IDEMPOTENCY_KEY_PATTERN)

# ---------------------------------------------------------------- JSON


def _reject_constant(name: str) -> Any:
    # NaN/Infinity are not JSON; read them as non-finite decimals so the amount
    # check answers 422 with a field path rather than a parse error.
    return Decimal(name)


def parse_json(text: str) -> Any:
    """JSON with exact decimals. Depth and size are bounded; errors are BadRequest."""
    if len(text) > MAX_BODY_BYTES:
        raise BadRequest(f"the request body exceeds {MAX_BODY_BYTES} bytes")
    depth = max_depth = 0
    in_string = escaped = False
    for ch in text:  # cheap pre-scan: the json module recurses and can overflow the stack
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            max_depth = max(max_depth, depth)
            if max_depth > MAX_JSON_DEPTH:
                raise BadRequest(f"the request body nests deeper than {MAX_JSON_DEPTH} levels")
        elif ch in "]}":
            depth -= 1
    try:
        return json.loads(text, parse_float=Decimal, parse_int=Decimal, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise BadRequest("the request body is not valid JSON") from None


def _json_body_deserializer(text: str) -> Any:
    try:
        return parse_json(text)
    except BadRequest as error:
        raise json.JSONDecodeError(error.message, text, 0) from None


def _load_body(text: str) -> Any:
    """A route's JSON body; a bad one is the request's validation error ``json_invalid`` (400)."""
    try:
        return parse_json(text)
    except BadRequest as error:
        problem = {"type": "json_invalid", "loc": ("body", 0), "msg": "JSON decode error", "input": {}}
        raise RequestValidationError([{**problem, "ctx": {"error": error.message}}]) from None


def _dumps(body: Any) -> str:
    return json_text(body)


# ---------------------------------------------------------------- errors


def _error_headers(error: DomainError) -> dict[str, str] | None:
    headers = {"Retry-After": "1"} if error.retryable else {}
    if error.replayed:
        headers[REPLAY_HEADER] = "true"
    return headers or None


def error_response(error: DomainError, details: list[dict[str, Any]] | None = None) -> Response[str]:
    body = _dumps(error_body(error, details))
    return Response(http_status(error), "application/json", body, headers=_error_headers(error))


def _validation_details(errors: Any) -> list[dict[str, Any]]:
    details = []
    for err in errors:
        field = ""
        for part in err.get("loc", ()):
            if part in ("body", "query", "path", "header"):
                continue
            field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
        message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        details.append({"field": field or None, "message": message})
    return details


def _request_validation_response(error: RequestValidationError) -> Response[str]:
    errors = list(error.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        # Our deserializer's own message (size, depth, syntax) is safe to show.
        reason = next(
            (e.get("ctx", {}).get("error") for e in errors if e.get("type") == "json_invalid"), None
        )
        return error_response(
            BadRequest(reason if isinstance(reason, str) else "the request body is not valid JSON")
        )
    return error_response(ValidationError("the request is not valid"), _validation_details(errors))


def handle_error(error: Exception) -> Response[str]:
    """The response to anything a request raised: domain errors by the one map (api/errors.py),
    invalid requests 422 (400 for bad JSON), no route 404, anything else 500 without internals."""
    if isinstance(error, DomainError):
        status = http_status(error)
        if status >= 500:
            logger.warning("request failed", extra={"error_code": error.error_code})
        metrics.add_metric(name=f"Error{status}", unit=MetricUnit.Count, value=1)
        return error_response(error)
    if isinstance(error, RequestValidationError):
        return _request_validation_response(error)
    if isinstance(error, UnsupportedContentType):
        return error_response(UnsupportedMediaType("the request body must be application/json"))
    if isinstance(error, RouteNotFound):
        return error_response(NotFound("no such resource"))
    logger.exception("unexpected error")
    return error_response(InternalError("internal error"))


def make_resolver() -> Router:
    """A function's router (its routes are declared on it with ``@app.get`` / ``@app.post``)."""
    return Router(handle_error, load_json=_load_body, json_body_deserializer=_json_body_deserializer)


def error_responses(*statuses: int) -> dict[int, OpenAPIResponse]:
    """OpenAPI declarations of the error bodies a route can return (403 and 500 always can)."""
    statuses = tuple(sorted({*statuses, 403, 500}))
    described = {
        400: "Malformed JSON (BAD_REQUEST)",
        403: "The access policy does not allow it (FORBIDDEN, SELF_APPROVAL, APPROVAL_LIMIT_EXCEEDED)",
        404: "A document named in the path or body does not exist (NOT_FOUND)",
        409: "The documents' state forbids the change",
        413: "Body too large (PAYLOAD_TOO_LARGE)",
        415: "The body is not application/json (UNSUPPORTED_MEDIA_TYPE)",
        422: "Invalid request (VALIDATION_ERROR, IDEMPOTENCY_KEY_MISMATCH)",
        500: "Unexpected error (INTERNAL_ERROR); no internals are disclosed",
        503: "The database is busy; retry (SERVICE_UNAVAILABLE)",
    }
    return {
        status: {
            "description": described[status],
            "content": {"application/json": {"model": ErrorResponse}},
        }
        for status in statuses
    }


def success_response(status: int, model: type[BaseModel], description: str) -> dict[int, OpenAPIResponse]:
    return {status: {"description": description, "content": {"application/json": {"model": model}}}}


# ---------------------------------------------------------------- who asks (spec section 7)

# The caller of the invocation being handled: set by the handler, put on every mutation's command
# by ``execute``. Never read from a request body (request models forbid unknown fields).
_actor: ContextVar[str | None] = ContextVar("actor", default=None)
_ACTOR_RE = re.compile(rf"^[\x21-\x7e][\x20-\x7e]{{0,{MAX_ACTOR_LENGTH - 1}}}$")


def api_gateway_actor(event: dict[str, Any]) -> str | None:
    """The caller's IAM identity from API Gateway's request context: userArn, caller, accountId."""
    identity = (event.get("requestContext") or {}).get("identity") or {}
    for name in ("userArn", "caller", "accountId"):
        value = identity.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def direct_actor(payload: dict[str, Any], context: Any) -> str | None:
    """A direct invocation's ``actor`` (taken out of the payload), else ``lambda:<function name>``."""
    value = payload.pop("actor", None)
    if value is not None:
        if not isinstance(value, str) or not _ACTOR_RE.fullmatch(value):
            raise ValidationError(
                f"must be 1 to {MAX_ACTOR_LENGTH} printable ASCII characters", field=("actor",)
            )
        return value
    name = getattr(context, "function_name", None)
    return f"lambda:{name}" if isinstance(name, str) and name else None


@contextmanager
def acting_as(actor: str | None) -> Iterator[None]:
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


# ---------------------------------------------------------------- outcomes


def execute(command: Command, idempotency_key: str | None = None) -> Outcome:
    """Carry out one command; a first success (not a replay) emits the command's business metric."""
    if idempotency_key is not None and not _KEY_RE.fullmatch(idempotency_key):
        raise ValidationError(
            f"must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters", field=("Idempotency-Key",)
        )
    actor = _actor.get()
    command = dataclasses.replace(command, actor=actor, caller=get_access_policy().caller(actor))
    outcome = get_service().execute(command, idempotency_key)
    if command.metric is not None and not outcome.replayed:
        metrics.add_metric(name=command.metric, unit=MetricUnit.Count, value=1)
    return outcome


def respond(outcome: Outcome) -> Response[str]:
    headers = {REPLAY_HEADER: "true"} if outcome.replayed else None
    text = outcome.text if outcome.text is not None else _dumps(outcome.body)
    return Response(outcome.status_code, "application/json", text, headers=headers)


def path_id(value: str, what: str) -> str:
    """Ids are opaque, but one that could never have been issued cannot exist."""
    if not ID_RE.match(value):
        raise NotFound(f"{what} {value[:64]!r} does not exist")
    return value


# ---------------------------------------------------------------- entry point

DirectHandler = Callable[[dict[str, Any]], Outcome]


def make_lambda_handler(app: Router, direct: DirectHandler) -> Callable[[dict[str, Any], Any], Any]:
    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: Any) -> Any:
        if isinstance(event, dict) and "httpMethod" in event and "requestContext" in event:
            body = event.get("body")
            if isinstance(body, str) and len(body) > MAX_BODY_BYTES:
                return _api_gateway_error(PayloadTooLarge(f"the request body exceeds {MAX_BODY_BYTES} bytes"))
            if body and not _is_json_content_type(event.get("headers") or {}):
                # Checked before routing, which (as Powertools did) would read forms and multipart.
                return _api_gateway_error(UnsupportedMediaType("the request body must be application/json"))
            if event.get("isBase64Encoded") and isinstance(body, str):
                # A binary body must still be UTF-8 JSON; decode it here so a bad one is a 400.
                try:
                    text = base64.b64decode(body).decode("utf-8")
                    event = {**event, "body": text, "isBase64Encoded": False}
                except (binascii.Error, UnicodeDecodeError):
                    return _api_gateway_error(BadRequest("the request body is not UTF-8 encoded JSON"))
            with acting_as(api_gateway_actor(event)):
                return app.resolve(event, context)
        return _invoke_directly(direct, event, context)

    snapstart.before_snapshot(app.prepare)  # the routes' validators, before a SnapStart snapshot
    credit_memos.end_of_init()  # the collector as it was before init (credit_memos/__init__.py)
    return lambda_handler


def make_direct_handler(direct: DirectHandler) -> Callable[[dict[str, Any], Any], Any]:
    """A handler for direct invocation only (Step Functions tasks): no HTTP routes."""

    @logger.inject_lambda_context(log_event=False)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: Any) -> Any:
        return _invoke_directly(direct, event, context)

    credit_memos.end_of_init()  # the collector as it was before init (credit_memos/__init__.py)
    return lambda_handler


def _is_json_content_type(headers: dict[str, Any]) -> bool:
    value = next((str(v) for k, v in headers.items() if k.lower() == "content-type"), "")
    media_type = value.split(";", 1)[0].strip().lower()
    return media_type in ("", "application/json") or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def _api_gateway_error(error: DomainError) -> dict[str, Any]:
    return {
        "statusCode": http_status(error),
        "headers": {"Content-Type": "application/json"},
        "body": _dumps(error_body(error)),
        "isBase64Encoded": False,
    }


def _invoke_directly(direct: DirectHandler, event: Any, context: Any = None) -> Any:
    if not isinstance(event, dict):
        raise BadRequest("a direct invocation takes a JSON object")
    payload = dict(event)
    try:
        with acting_as(direct_actor(payload, context)):
            result = direct(payload)
    except PydanticValidationError as error:
        problems = "; ".join(f"{d['field']}: {d['message']}" for d in _validation_details(error.errors()))
        raise ValidationError(f"the request is not valid ({problems})"[:1000]) from None
    except DomainError as error:
        if error.field is None:
            raise
        # Step Functions sees only the class name and the message: the message names the field.
        named = type(error)(error_body(error)["message"])
        named.replayed = error.replayed
        raise named from None
    except Exception:
        logger.exception("unexpected error")
        raise InternalError("internal error") from None
    return result.body


def take(payload: dict[str, Any], name: str, what: str) -> str:
    """A path id from a direct-invocation payload."""
    value = payload.pop(name, None)
    if not isinstance(value, str) or not value:
        raise ValidationError("is required", field=(name,))
    return path_id(value, what)


def take_key(payload: dict[str, Any]) -> str | None:
    value = payload.pop("idempotencyKey", None)
    if value is not None and not isinstance(value, str):
        raise ValidationError("must be a string", field=("idempotencyKey",))
    return value
