"""API Gateway REST API (payload v1, Lambda proxy integration) behaviour for the local server.

- :class:`Router`: picks the route like API Gateway does: the most specific *resource* whose path
  template matches (segment by segment, a literal beats ``{param}``, which beats ``{proxy+}``), then the
  method on that resource (its own method, else ``ANY``). A matching resource without the method is a
  405 here (API Gateway itself answers 403 "Missing Authentication Token" there).
- :func:`build_event`: the proxy event (``resource``, ``path``, ``httpMethod``, ``headers``,
  ``multiValueHeaders``, ``queryStringParameters``, ``multiValueQueryStringParameters``,
  ``pathParameters``, ``stageVariables``, ``requestContext``, ``body``, ``isBase64Encoded``).
- :func:`response_from_result`: the HTTP response for a handler's result, merging ``headers`` and
  ``multiValueHeaders`` as API Gateway does; a malformed result is a 502.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import uuid
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from infra.local.template import LOCAL_ACCOUNT_ID, Route

LITERAL, PARAMETER, GREEDY = 0, 1, 2
LOCAL_API_ID = "local"


@dataclass(frozen=True)
class RouteMatch:
    route: Route
    path_parameters: dict[str, str]


@dataclass(frozen=True)
class MethodNotAllowed:
    resource: str
    allowed: tuple[str, ...]


@dataclass(frozen=True)
class _Resource:
    path: str
    segments: tuple[str, ...]
    kinds: tuple[int, ...]
    routes: dict[str, Route] = field(default_factory=dict)  # method -> route


def _segment_kind(segment: str) -> int:
    if segment.startswith("{") and segment.endswith("+}"):
        return GREEDY
    if segment.startswith("{") and segment.endswith("}"):
        return PARAMETER
    return LITERAL


def _split(path: str) -> tuple[str, ...]:
    stripped = path.strip("/")
    return tuple(stripped.split("/")) if stripped else ()


class Router:
    def __init__(self, routes: Iterable[Route]) -> None:
        self._resources: dict[str, _Resource] = {}
        for route in routes:
            segments = _split(route.path)
            kinds = tuple(_segment_kind(segment) for segment in segments)
            if GREEDY in kinds[:-1]:
                raise ValueError(f"{route.path}: a greedy {{name+}} segment must be the last one")
            resource = self._resources.setdefault(route.path, _Resource(route.path, segments, kinds))
            if route.method in resource.routes:
                other = resource.routes[route.method].function
                raise ValueError(
                    f"{route.method} {route.path} is routed to both {other} and {route.function}"
                )
            resource.routes[route.method] = route

    @property
    def routes(self) -> list[Route]:
        return [route for resource in self._resources.values() for route in resource.routes.values()]

    def match(self, method: str, raw_path: str) -> RouteMatch | MethodNotAllowed | None:
        """Match a request; ``raw_path`` is the path as sent (percent-encoded, without the query)."""
        raw_segments = _split(raw_path)
        if any(segment == "" for segment in raw_segments):
            return None
        segments = tuple(unquote(segment) for segment in raw_segments)
        best: tuple[tuple[int, ...], _Resource, dict[str, str]] | None = None
        for resource in self._resources.values():
            parameters = _match_segments(resource, segments)
            if parameters is not None and (best is None or resource.kinds < best[0]):
                best = (resource.kinds, resource, parameters)
        if best is None:
            return None
        _, resource, parameters = best
        route = resource.routes.get(method.upper()) or resource.routes.get("ANY")
        if route is None:
            return MethodNotAllowed(resource.path, tuple(sorted(resource.routes)))
        return RouteMatch(route, parameters)


def _match_segments(resource: _Resource, segments: Sequence[str]) -> dict[str, str] | None:
    parameters: dict[str, str] = {}
    for index, (template, kind) in enumerate(zip(resource.segments, resource.kinds, strict=True)):
        if kind == GREEDY:
            rest = segments[index:]
            if not rest:
                return None
            parameters[template[1:-2]] = "/".join(rest)
            return parameters
        if index >= len(segments):
            return None
        if kind == PARAMETER:
            parameters[template[1:-1]] = segments[index]
        elif template != segments[index]:
            return None
    return parameters if len(segments) == len(resource.segments) else None


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


# The header naming the caller's IAM principal on the local server (see build_event).
LOCAL_PRINCIPAL_HEADER = "X-Local-Principal"


def build_event(
    *,
    route: Route,
    path_parameters: Mapping[str, str],
    method: str,
    raw_path: str,
    query: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    source_ip: str,
    request_id: str | None = None,
    now: datetime | None = None,
    account_id: str = LOCAL_ACCOUNT_ID,
    protocol: str = "HTTP/1.1",
) -> dict[str, Any]:
    """The REST API (v1) Lambda proxy event for one request."""
    now = now or datetime.now(UTC)
    request_id = request_id or str(uuid.uuid4())
    single_headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    names: dict[str, str] = {}  # lower-case -> first spelling seen
    for name, value in headers:
        name = names.setdefault(name.lower(), name)
        single_headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    host = single_headers.get(names.get("host", "Host"), "localhost")
    port = host.rsplit(":", 1)[1] if ":" in host else "80"
    for name, value in (
        ("X-Forwarded-For", source_ip),
        ("X-Forwarded-Port", port),
        ("X-Forwarded-Proto", "http"),
    ):
        if name.lower() not in names:
            names[name.lower()] = name
            single_headers[name] = value
            multi_headers[name] = [value]

    pairs = parse_qsl(query, keep_blank_values=True)
    single_query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for key, value in pairs:
        single_query[key] = value  # API Gateway keeps the last value
        multi_query.setdefault(key, []).append(value)

    body_text: str | None
    is_base64 = False
    if not body:
        body_text = None
    else:
        try:
            body_text = body.decode("utf-8")
        except UnicodeDecodeError:
            body_text, is_base64 = base64.b64encode(body).decode("ascii"), True

    path = unquote(raw_path)
    user_agent = single_headers.get(names.get("user-agent", "User-Agent"))
    # Local only, and only from this machine: a developer names the calling IAM principal to try
    # the access policy's roles (API Gateway takes it from the request's signature instead).
    local_principal = single_headers.get(names.get(LOCAL_PRINCIPAL_HEADER.lower(), LOCAL_PRINCIPAL_HEADER))
    if not _is_loopback(source_ip):
        local_principal = None
    return {
        "resource": route.path,
        "path": path,
        "httpMethod": method,
        "headers": single_headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": single_query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": dict(path_parameters) or None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": format(zlib.crc32(route.path.encode()) & 0xFFFFFF, "06x"),
            "resourcePath": route.path,
            "httpMethod": method,
            "extendedRequestId": request_id,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "path": f"/{route.stage}{path}",
            "accountId": account_id,
            "protocol": protocol,
            "stage": route.stage,
            "domainPrefix": host.split(":", 1)[0].split(".", 1)[0],
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "requestId": request_id,
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": None,
                "cognitoIdentityId": None,
                # The local server's caller (spec section 7: createdBy "local").
                "caller": local_principal or "local",
                "sourceIp": source_ip,
                "principalOrgId": None,
                "accessKey": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": local_principal,
                "userAgent": user_agent,
                "user": None,
            },
            "domainName": host.split(":", 1)[0],
            "apiId": LOCAL_API_ID,
        },
        "body": body_text,
        "isBase64Encoded": is_base64,
    }


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def json_response(
    status: int, payload: Mapping[str, Any], headers: Iterable[tuple[str, str]] = ()
) -> HttpResponse:
    body = json.dumps(payload).encode()
    return HttpResponse(status, [("Content-Type", "application/json"), *headers], body)


def bad_gateway() -> HttpResponse:
    """What API Gateway answers when the function fails or returns a malformed proxy response."""
    return json_response(502, {"message": "Internal server error"})


def response_from_result(result: Any) -> HttpResponse:
    """Turn a handler's Lambda proxy result into an HTTP response (502 if malformed)."""
    if not isinstance(result, dict):
        raise MalformedProxyResponse(f"result is a {type(result).__name__}, not an object")
    try:
        status = int(result.get("statusCode", 200))
    except (TypeError, ValueError):
        raise MalformedProxyResponse(f"bad statusCode {result.get('statusCode')!r}") from None
    if not 100 <= status <= 599:
        raise MalformedProxyResponse(f"bad statusCode {status}")
    headers: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    multi = result.get("multiValueHeaders") or {}
    single = result.get("headers") or {}
    if not isinstance(multi, dict) or not isinstance(single, dict):
        raise MalformedProxyResponse("headers and multiValueHeaders must be objects")
    for name, values in multi.items():
        if not isinstance(values, list):
            raise MalformedProxyResponse(f"multiValueHeaders[{name!r}] is not a list")
        for value in values:
            headers.append((str(name), _header_text(value)))
            seen.add((str(name).lower(), _header_text(value)))
    for name, value in single.items():
        if (str(name).lower(), _header_text(value)) not in seen:
            headers.append((str(name), _header_text(value)))
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    raw_body = result.get("body")
    if raw_body is None:
        body = b""
    elif not isinstance(raw_body, str):
        raise MalformedProxyResponse(f"body is a {type(raw_body).__name__}, not a string")
    elif result.get("isBase64Encoded"):
        try:
            body = base64.b64decode(raw_body, validate=True)
        except binascii.Error:
            raise MalformedProxyResponse("isBase64Encoded but the body is not base64") from None
    else:
        body = raw_body.encode("utf-8")
    return HttpResponse(status, headers, body)


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class MalformedProxyResponse(ValueError):
    """The handler's result is not a valid Lambda proxy response (API Gateway answers 502)."""
