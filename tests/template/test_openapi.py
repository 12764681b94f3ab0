"""The published OpenAPI document is generated from the handlers and kept in sync."""

from __future__ import annotations

import json

from infra.openapi import OUTPUT, build_document, render

ERROR_REF = "#/components/schemas/ErrorResponse"


def test_committed_openapi_matches_the_code() -> None:
    assert OUTPUT.read_text() == render(build_document()), (
        "openapi.json is stale: run `python -m infra.openapi`"
    )


def test_every_route_of_the_contract_is_documented() -> None:
    paths = json.loads(OUTPUT.read_text())["paths"]
    expected = {
        ("post", "/invoices"),
        ("get", "/invoices"),
        ("get", "/invoices/{invoiceId}"),
        ("post", "/invoices/{invoiceId}/actions/post"),
        ("post", "/invoices/{invoiceId}/actions/credit"),
        ("post", "/invoices/{invoiceId}/actions/convert-to-credit"),
        ("get", "/invoices/{invoiceId}/applications"),
        ("post", "/credit-memos"),
        ("get", "/credit-memos"),
        ("get", "/credit-memos/{creditMemoId}"),
        ("post", "/credit-memos/{creditMemoId}/actions/post"),
        ("post", "/credit-memos/{creditMemoId}/actions/void"),
        ("post", "/credit-memos/{creditMemoId}/actions/apply"),
        ("post", "/credit-memos/{creditMemoId}/lines/{creditMemoLineId}/actions/apply"),
        ("get", "/credit-memos/{creditMemoId}/applications"),
        ("post", "/credit-memo-applications/{applicationId}/actions/unapply"),
        ("post", "/credit-memo-line-applications/{applicationId}/actions/unapply"),
    }
    documented = {(method, path) for path, operations in paths.items() for method in operations}
    assert documented == expected


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
