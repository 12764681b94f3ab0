"""Reading a request body: which content types are JSON, and JSON with exact decimals and bounded nesting."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from credit_memos.api.errors import BadRequest, UnsupportedMediaType
from credit_memos.api.routing import RequestValidationError
from credit_memos.limits import MAX_JSON_DEPTH

APPLICATION_JSON = "application/json"


def is_json_content_type(headers: Mapping[str, Any]) -> bool:
    """The one content-type rule: a body is JSON when its Content-Type is absent or application/json
    (with parameters), as Powertools reads it. A route refuses anything else (415), even with no body."""
    value = next((str(v) for k, v in headers.items() if k.lower() == "content-type"), "")
    content_type = value.strip()
    return not content_type or content_type.startswith(APPLICATION_JSON)


def _non_finite(name: str) -> Any:
    # NaN/Infinity are not JSON; read them as non-finite decimals so the amount
    # check answers 422 with a field path rather than a parse error.
    return Decimal(name)


def parse_json(text: str) -> Any:
    """JSON with exact decimals; nesting is bounded; errors are BadRequest (the size is checked before)."""
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
        return json.loads(text, parse_float=Decimal, parse_int=Decimal, parse_constant=_non_finite)
    except (ValueError, RecursionError):
        raise BadRequest("the request body is not valid JSON") from None


def read_route_body(text: str | None, headers: Mapping[str, Any]) -> Any:
    """A route's JSON body, or None without one. A bad body is the request's validation error
    ``json_invalid`` (400); a body route with another content type is refused (415)."""
    if not is_json_content_type(headers):
        raise UnsupportedMediaType("the request body must be application/json")
    if not text:
        return None
    try:
        return parse_json(text)
    except BadRequest as error:
        problem = {"type": "json_invalid", "loc": ("body", 0), "msg": "JSON decode error", "input": {}}
        raise RequestValidationError([{**problem, "ctx": {"error": error.message}}]) from None


def read_body_for_powertools(text: str) -> Any:
    """``parse_json`` as Powertools' resolver wants its deserializer to fail (the OpenAPI document's)."""
    try:
        return parse_json(text)
    except BadRequest as error:
        raise json.JSONDecodeError(error.message, text, 0) from None
