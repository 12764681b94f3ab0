"""The published OpenAPI document is generated from the handlers and kept in sync."""

from __future__ import annotations

import json

import pytest

from infra.local.template import Template
from infra.openapi import OUTPUT, build_document, function_documents, render

ERROR_REF = "#/components/schemas/ErrorResponse"


def test_committed_openapi_matches_the_code() -> None:
    assert OUTPUT.read_text() == render(build_document()), (
        "openapi.json is stale: run `python -m infra.openapi`"
    )


@pytest.fixture(scope="module")
def template() -> Template:
    return Template.load()


def test_every_route_of_the_template_is_documented(template: Template) -> None:
    paths = json.loads(OUTPUT.read_text())["paths"]
    documented = {(method.upper(), path) for path, operations in paths.items() for method in operations}
    assert documented == {(route.method, route.path) for route in template.routes()}


def test_each_function_declares_exactly_its_template_routes(template: Template) -> None:
    # What API Gateway sends a function (template.yaml) is what its resolver routes: a route
    # missing from either side would answer 404 from inside the function, or never be reached.
    documents = function_documents(template)
    assert set(documents) == {route.function for route in template.routes()}
    for function, document in documents.items():
        declared = {(m.upper(), path) for path, operations in document["paths"].items() for m in operations}
        expected = {(route.method, route.path) for route in template.routes() if route.function == function}
        assert declared == expected, function


def test_every_error_response_is_declared_with_the_error_body() -> None:
    paths = json.loads(OUTPUT.read_text())["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            responses = operation["responses"]
            errors = {code for code in responses if code.startswith(("4", "5"))}
            required = {"500", "503"}
            if "{" in path:
                required.add("404")
            if method == "post":
                required |= {"400", "413", "415", "422"}
            assert required <= errors, (method, path, sorted(errors))
            for code in errors:
                schema = responses[code]["content"]["application/json"]["schema"]
                assert schema == {"$ref": ERROR_REF}, (method, path, code)
            if method == "post" and path != "/invoices" and path != "/credit-memos":
                assert "409" in errors, (method, path)
