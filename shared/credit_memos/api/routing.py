"""The handlers' HTTP router: route declarations once, served without Powertools' event handler.

A function declares its routes exactly as it would on Powertools' ``APIGatewayRestResolver`` (the
same decorator arguments, parameters annotated ``Annotated[T, Path()]``, ``Query(...)``,
``Header(alias=...)``, ``Body()``), with the markers and ``Response`` of this module. At run time
:class:`HttpRouter` matches the path template and method, reads path, query, header and JSON body
values the way Powertools' OpenAPI validation reads them (JSON bodies only: forms and multipart
bodies are refused), validates each with pydantic, and calls the route: same statuses, bodies and
headers, without importing ``aws_lambda_powertools.event_handler`` (docs/design.md).
:meth:`HttpRouter.openapi_resolver` registers the same declarations on Powertools' validating resolver
at build and test time, which generates the OpenAPI document (``python -m infra.openapi``).

Each route's parameters are analysed and their validators built on the route's first request,
not at import: a function only pays for the routes it serves.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

RouteFunction = TypeVar("RouteFunction", bound=Callable[..., Any])
# A route's body from the event's body text and headers (None without one); raises what refuses it.
BodyReader = Callable[[str | None, Mapping[str, Any]], Any]

# Powertools' dynamic segment: <name> matches RFC 3986's safe and unsafe characters and \w, never "/"
# (aws_lambda_powertools.event_handler.api_gateway._NAMED_GROUP_BOUNDARY_PATTERN).
_DYNAMIC_SEGMENT = re.compile(r"(<\w+>)")
_SEGMENT_VALUE = r"(?P\1[-._~()'!*:@,;=+&$%<> \[\]{}|^\\w]+)"


# ---------------------------------------------------------------- declarations


class Param:
    """Where a route parameter comes from, its name there (``alias``) and pydantic constraints."""

    source = ""

    def __init__(self, alias: str | None = None, **constraints: Any) -> None:
        self.alias = alias
        self.constraints = constraints

    def __repr__(self) -> str:
        return f"{type(self).__name__}(alias={self.alias!r}, **{self.constraints!r})"


class Path(Param):
    source = "path"


class Query(Param):
    source = "query"


class Header(Param):
    source = "header"


class Body(Param):
    source = "body"


class Response[T]:
    """A route's answer (Powertools' ``Response`` arguments); a ``str`` body is sent as it is, a
    ``bytes`` body base64-encoded with ``isBase64Encoded`` (API Gateway's binary responses), as
    Powertools sends it."""

    def __init__(
        self,
        status_code: int,
        content_type: str | None = None,
        body: T | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status_code = status_code
        self.body = body
        self.headers: dict[str, str] = dict(headers) if headers else {}
        if content_type:
            self.headers.setdefault("Content-Type", content_type)

    def proxy_result(self) -> dict[str, Any]:
        """The API Gateway REST proxy result, as Powertools builds it (multi-value headers)."""
        body: Any = self.body
        binary = isinstance(body, bytes)
        if binary:
            import base64

            body = base64.b64encode(body).decode("ascii")
        return {
            "statusCode": self.status_code,
            "body": body,
            "isBase64Encoded": binary,
            "multiValueHeaders": {name: [value] for name, value in self.headers.items()},
        }


class RequestValidationError(Exception):
    """The request's parameters or body failed validation: pydantic's error dicts, ``loc`` first
    naming the source (``body``, ``query``, ``path``, ``header``), as Powertools reports them."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("request validation failed")
        self._errors = errors

    def errors(self) -> list[dict[str, Any]]:
        return self._errors


class RouteNotFound(Exception):
    """No route has this method and path."""


# ---------------------------------------------------------------- routes


@dataclass
class _Parameter:
    """One argument of a route function and where its value comes from (path, query, header, body)."""

    name: str  # the route function's argument
    source: str
    alias: str  # the name in the path template, query string or headers
    required: bool
    default: Any
    annotation: Any
    constraints: dict[str, Any]
    _adapter: Any = None

    def adapter(self) -> Any:
        """The parameter's pydantic validator, built on first use."""
        if self._adapter is None:
            from pydantic import Field, TypeAdapter

            annotation = self.annotation
            if self.constraints:
                annotation = typing.Annotated[annotation, Field(**self.constraints)]
            self._adapter = TypeAdapter(annotation)
        return self._adapter

    def validate(self, value: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
        adapter = self.adapter()
        from pydantic import ValidationError

        try:
            return adapter.validate_python(value, from_attributes=True)
        except ValidationError as error:
            errors.extend({**e, "loc": loc + tuple(e.get("loc", ()))} for e in error.errors())
            return None


@dataclass
class HttpRoute:
    """A method and path template, the function that serves it, and its options for the OpenAPI document."""

    method: str
    path: str  # Powertools' template: /invoices/<invoiceId>
    function: Callable[..., Any]
    options: dict[str, Any]  # summary, description, responses, operation_id (for the document)
    pattern: re.Pattern[str] = field(init=False)
    _parameters: list[_Parameter] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.pattern = re.compile(f"^{_DYNAMIC_SEGMENT.sub(_SEGMENT_VALUE, self.path)}$")

    @property
    def dynamic(self) -> bool:
        return "<" in self.path

    def parameters(self) -> list[_Parameter]:
        """The route function's parameters, read from its annotations (on first use)."""
        if self._parameters is None:
            self._parameters = list(_analyse(self.function))
        return self._parameters


def _analyse(function: Callable[..., Any]) -> Iterator[_Parameter]:
    hints = typing.get_type_hints(function, include_extras=True)
    for name, parameter in inspect.signature(function).parameters.items():
        annotation = hints[name]
        marker = None
        if typing.get_origin(annotation) is typing.Annotated:
            base, *metadata = typing.get_args(annotation)
            markers = [m for m in metadata if isinstance(m, Param)]
            if markers:
                marker = markers[0]
                rest = [m for m in metadata if not isinstance(m, Param)]
                annotation = typing.Annotated[(base, *rest)] if rest else base
        if marker is None:
            raise TypeError(
                f"{function.__name__}({name}): annotate it Annotated[T, Path()|Query()|Header()|Body()]"
            )
        required = parameter.default is inspect.Parameter.empty
        yield _Parameter(
            name=name,
            source=marker.source,
            alias=marker.alias or name,
            required=required,
            default=None if required else parameter.default,
            annotation=annotation,
            constraints=marker.constraints,
        )


# ---------------------------------------------------------------- reading a request


class _Headers:
    """Case-insensitive lookup, as HTTP headers are (Powertools' CaseInsensitiveDict)."""

    def __init__(self, raw: Any) -> None:
        self._values = {str(k).lower(): v for k, v in (raw or {}).items()}

    def get(self, name: str, default: Any = None) -> Any:
        return self._values.get(name.lower(), default)

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._values

    def __bool__(self) -> bool:
        return bool(self._values)


def _scalar(value: Any, native_multi: bool) -> Any:
    """Powertools' scalar normalisation: a split string is rejoined, a one-item list unwrapped."""
    if (
        isinstance(value, list)
        and len(value) > 1
        and not native_multi
        and all(isinstance(v, str) for v in value)
    ):
        value = ",".join(value)
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value


def _query_values(event: Mapping[str, Any]) -> tuple[dict[str, Any], set[str]]:
    single = {k: v.split(",") for k, v in (event.get("queryStringParameters") or {}).items()}
    multi = event.get("multiValueQueryStringParameters") or {}
    return {**single, **multi}, set(multi)


def _header_values(event: Mapping[str, Any]) -> tuple[_Headers, _Headers]:
    multi = _Headers(event.get("multiValueHeaders"))
    return (multi if multi else _Headers(event.get("headers"))), multi


def _missing(loc: tuple[Any, ...]) -> dict[str, Any]:
    return {"type": "missing", "loc": loc, "msg": "Field required", "input": None}


def validated_arguments(
    route: HttpRoute, values: Mapping[str, str], event: Mapping[str, Any], read_body: BodyReader
) -> dict[str, Any]:
    """Validated keyword arguments for ``route``; raises RequestValidationError with every problem."""
    parameters = route.parameters()
    errors: list[dict[str, Any]] = []
    arguments: dict[str, Any] = {}
    query = headers = None
    for source in ("path", "query", "header"):
        for parameter in (p for p in parameters if p.source == source):
            # Powertools reports a header under its lower-cased name (headers are case-insensitive)
            loc = (source, parameter.alias.lower() if source == "header" else parameter.alias)
            if source == "path":
                value: Any = values.get(parameter.alias)
            elif source == "query":
                if query is None:
                    query = _query_values(event)
                found, natives = query
                value = found.get(parameter.alias)
                value = None if value is None else _scalar(value, parameter.alias in natives)
            else:
                if headers is None:
                    headers = _header_values(event)
                found_headers, multi = headers
                value = found_headers.get(parameter.alias)
                value = None if value is None else _scalar(value, parameter.alias in multi)
            if value is None:
                if parameter.required:
                    errors.append(_missing(loc))
                else:
                    arguments[parameter.name] = parameter.default
                continue
            arguments[parameter.name] = parameter.validate(value, loc, errors)
    for parameter in (p for p in parameters if p.source == "body"):
        # may raise: a bad body answers before other problems
        body = read_body(event.get("body"), event.get("headers") or {})
        if isinstance(body, list) and body:
            body = body[0]  # Powertools hands a non-sequence parameter a list's first item
        if body is None:
            if parameter.required:
                errors.append(_missing(("body",)))
            else:
                arguments[parameter.name] = parameter.default
            continue
        arguments[parameter.name] = parameter.validate(body, ("body",), errors)
    if errors:
        raise RequestValidationError(errors)
    return arguments


# ---------------------------------------------------------------- the router


class HttpRouter:
    """Routes declared with ``@app.get`` / ``@app.post`` / ``@app.put``; :meth:`resolve` answers an
    API Gateway REST proxy event. ``handle_error`` turns any exception (RouteNotFound, RequestValidationError,
    what a route raised) into the response; ``read_body`` reads a route's body."""

    def __init__(
        self,
        handle_error: Callable[[Exception], Response[str]],
        read_body: BodyReader,
        powertools_body_reader: Callable[[str], Any] | None = None,
    ) -> None:
        self.routes: list[HttpRoute] = []
        self._handle_error = handle_error
        self.read_body = read_body
        self.powertools_body_reader = powertools_body_reader  # for the document's resolver
        self._delegate: Any = None

    def route(self, path: str, method: str, **options: Any) -> Callable[[RouteFunction], RouteFunction]:
        def register(function: RouteFunction) -> RouteFunction:
            self.routes.append(HttpRoute(method.upper(), path, function, options))
            return function

        return register

    def get(self, path: str, **options: Any) -> Callable[[RouteFunction], RouteFunction]:
        return self.route(path, "GET", **options)

    def post(self, path: str, **options: Any) -> Callable[[RouteFunction], RouteFunction]:
        return self.route(path, "POST", **options)

    def put(self, path: str, **options: Any) -> Callable[[RouteFunction], RouteFunction]:
        return self.route(path, "PUT", **options)

    def match(self, method: str, path: str) -> tuple[HttpRoute, dict[str, str]] | None:
        # Powertools tries static routes before dynamic ones, each in declaration order.
        for route in sorted(self.routes, key=lambda r: r.dynamic):
            if route.method == method:
                found = route.pattern.match(path)
                if found:
                    return route, found.groupdict()
        return None

    def resolve(self, event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
        if self._delegate is not None:
            return dict(self._delegate.resolve(event, context))
        matched = self.match(str(event["httpMethod"]).upper(), event["path"])
        try:
            if matched is None:
                raise RouteNotFound(event["path"])
            route, values = matched
            response = route.function(**validated_arguments(route, values, event, self.read_body))
        except Exception as error:
            response = self._handle_error(error)
        return response.proxy_result()

    def prepare(self) -> None:
        """Analyse every route and build its validators now rather than on its first request
        (the SnapStart warm-up: a restored environment then builds none)."""
        for route in self.routes:
            for parameter in route.parameters():
                parameter.adapter()

    def serve_with(self, resolver: Any) -> None:
        """Answer requests through ``resolver`` instead (the benchmark's comparison with Powertools)."""
        self._delegate = resolver

    # ------------------------------------------------------------ the OpenAPI document

    def openapi_resolver(self, enable_validation: bool = True) -> Any:
        """Powertools' resolver with these routes and today's error mapping (build and test time)."""
        from credit_memos.api.openapi import powertools_resolver

        return powertools_resolver(self, enable_validation=enable_validation)

    def get_openapi_json_schema(self, **kwargs: Any) -> str:
        return str(self.openapi_resolver().get_openapi_json_schema(**kwargs))
