"""A function's routes on Powertools' ``APIGatewayRestResolver``: the OpenAPI document's source.

Never imported by a handler at run time. ``python -m infra.openapi`` asks each function's
:class:`~credit_memos.api.routing.HttpRouter` for its document, which this module generates by
registering the same declarations (path, method, summary, description, responses, operation id,
parameters with their markers translated to Powertools' ``Path``/``Query``/``Header``/``Body``) on
Powertools' validating resolver. With today's exception handlers, that resolver also answers
requests exactly as the handlers did before the router replaced it: the benchmark measures it
beside the router (``make bench``, section cold_start).
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler import Response as PowertoolsResponse
from aws_lambda_powertools.event_handler.openapi import params as powertools_params
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
)
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestValidationError as PowertoolsValidationError,
)

from credit_memos.api import routing
from credit_memos.api.error_responses import error_response, handle_error
from credit_memos.api.errors import UnsupportedMediaType

_MARKERS: dict[type[routing.Param], Callable[..., Any]] = {
    routing.Path: powertools_params.Path,
    routing.Query: powertools_params.Query,
    routing.Header: powertools_params.Header,
    routing.Body: powertools_params.Body,
}


def _translate(annotation: Any) -> Any:
    """``Annotated[T, routing.X(...)]`` -> ``Annotated[T, powertools X(...)]``; Response likewise."""
    if typing.get_origin(annotation) is typing.Annotated:
        base, *metadata = typing.get_args(annotation)
        translated = [
            _MARKERS[type(m)](**({"alias": m.alias} if m.alias else {}), **m.constraints)
            if isinstance(m, routing.Param)
            else m
            for m in metadata
        ]
        return typing.Annotated[(base, *translated)]
    if typing.get_origin(annotation) is routing.Response:
        return PowertoolsResponse[typing.get_args(annotation)]  # type: ignore[misc]
    if annotation is routing.Response:
        return PowertoolsResponse
    return annotation


def _as_powertools_route(route: routing.HttpRoute, call: Callable[..., Any]) -> Callable[..., Any]:
    """``call`` under the route function's name and signature, annotated for Powertools."""
    function = route.function
    hints = typing.get_type_hints(function, include_extras=True)
    signature = inspect.signature(function)
    parameters = [p.replace(annotation=_translate(hints[p.name])) for p in signature.parameters.values()]

    @functools.wraps(function, assigned=("__module__", "__name__", "__qualname__", "__doc__"), updated=())
    def powertools_route(**kwargs: Any) -> Any:
        return call(**kwargs)

    powertools_route.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=parameters, return_annotation=_translate(hints.get("return", signature.empty))
    )
    return powertools_route


def _to_powertools(response: routing.Response[str]) -> PowertoolsResponse[str]:
    return PowertoolsResponse(response.status_code, None, response.body, headers=response.headers)


def powertools_resolver(router: routing.HttpRouter, enable_validation: bool = True) -> APIGatewayRestResolver:
    """``router``'s routes on Powertools' resolver. With validation (the default): Powertools'
    OpenAPI layer validates, as the handlers did before the router; without: Powertools only
    routes, and the router's own validation runs inside each route."""
    app = APIGatewayRestResolver(
        enable_validation=enable_validation, json_body_deserializer=router.powertools_body_reader
    )
    for route in router.routes:
        if enable_validation:
            call: Callable[..., Any] = functools.partial(_call_validated, route.function)
        else:
            call = functools.partial(_call_unvalidated, app, router, route)
        app.route(route.path, route.method, **route.options)(_as_powertools_route(route, call))

    @app.exception_handler(PowertoolsValidationError)
    def _invalid(error: PowertoolsValidationError) -> PowertoolsResponse[str]:
        return _to_powertools(handle_error(routing.RequestValidationError(list(error.errors()))))

    @app.exception_handler(RequestUnsupportedContentType)
    def _not_json(error: RequestUnsupportedContentType) -> PowertoolsResponse[str]:
        return _to_powertools(
            error_response(UnsupportedMediaType("the request body must be application/json"))
        )

    @app.not_found
    def _not_found(_: Exception) -> PowertoolsResponse[str]:
        return _to_powertools(handle_error(routing.RouteNotFound()))

    @app.exception_handler(Exception)
    def _other(error: Exception) -> PowertoolsResponse[str]:
        return _to_powertools(handle_error(error))

    return app


def _call_validated(function: Callable[..., routing.Response[str]], **kwargs: Any) -> PowertoolsResponse[str]:
    return _to_powertools(function(**kwargs))


def _call_unvalidated(
    app: APIGatewayRestResolver, router: routing.HttpRouter, route: routing.HttpRoute, **path_values: str
) -> PowertoolsResponse[str]:
    arguments = routing.validated_arguments(route, path_values, app.current_event.raw_event, router.read_body)
    return _to_powertools(route.function(**arguments))
