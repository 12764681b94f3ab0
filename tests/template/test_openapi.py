"""The published OpenAPI document is generated from the handlers and kept in sync."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from credit_memos.api.fields import IdempotencyKey
from credit_memos.api.fields import _to_decimal as to_decimal
from credit_memos.api.schemas import MemoChargeRequest, UnapplyRequest
from credit_memos.domain import inputs, memos
from credit_memos.errors import ValidationError
from credit_memos.money import MAX_MINOR_UNITS, minor_units, parse_amount
from jsonschema import Draft202012Validator
from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from infra.local.template import Template
from infra.openapi import OUTPUT, TAGS, build_document, function_documents, render
from tests.harness import base_environment, environment

ERROR_REF = "#/components/schemas/ErrorResponse"
SALESFORCE_ERROR_REF = "#/components/schemas/SalesforceErrorBody"


def test_committed_openapi_matches_the_code() -> None:
    # Building the document imports the handlers; under the functions' environment, so that a
    # handler test that later runs in this process finds them configured (Powertools' Metrics
    # reads its namespace when credit_memos.api.observability is first imported).
    with environment(base_environment()):
        document = build_document()
    assert OUTPUT.read_text() == render(document), "openapi.json is stale: run `python -m infra.openapi`"


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
            if "{" in path and not path.startswith(("/billing-accounts/", "/accounting-periods/")):
                # A document named in the path may not exist; a billing account or a period is not
                # stored (every well-formed id has a summary, every month a status): a bad one is a 422.
                required.add("404")
            if method == "post":
                required |= {"400", "413", "415", "422"}
            assert required <= errors, (method, path, sorted(errors))
            # The Salesforce-compatible routes answer refusals in Salesforce's envelopes.
            error_ref = SALESFORCE_ERROR_REF if path.startswith("/services/data/") else ERROR_REF
            for code in errors:
                schema = responses[code]["content"]["application/json"]["schema"]
                assert schema == {"$ref": error_ref}, (method, path, code)
            if method == "post" and path != "/invoices" and path != "/credit-memos":
                assert "409" in errors, (method, path)


# ---------------------------------------------------------------- what a client generator needs


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    paths = json.loads(OUTPUT.read_text())["paths"]
    return [(method, path, op) for path, operations in paths.items() for method, op in operations.items()]


def test_each_operation_id_is_the_operations_name_in_the_template(template: Template) -> None:
    # The template's event names are the operations' names (CreateInvoice, ApplyCreditMemo, ...):
    # a generated client's method names, stable as long as the template's are.
    by_route = {(route.method.lower(), route.path): route.event_name for route in template.routes()}
    ids = [operation["operationId"] for _, _, operation in _operations()]
    assert len(set(ids)) == len(ids)
    for method, path, operation in _operations():
        assert operation["operationId"] == by_route[method, path]
        assert re.fullmatch(r"[A-Z][A-Za-z]+", operation["operationId"]), operation["operationId"]


def test_an_operation_id_a_route_declares_is_the_templates_name(template: Template) -> None:
    # The document takes every operationId from the template; one declared in the code (a name,
    # not Powertools' derived snake_case id) must say the same.
    by_route = {(route.method.lower(), route.path): route.event_name for route in template.routes()}
    for document in function_documents(template).values():
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                if "_" not in operation["operationId"]:
                    assert operation["operationId"] == by_route[method, path], (method, path)


def test_every_operation_has_one_declared_tag_a_description_and_security() -> None:
    document = json.loads(OUTPUT.read_text())
    assert [tag["name"] for tag in document["tags"]] == list(TAGS)
    assert document["security"] == [{"sigv4": []}]
    schemes = document["components"]["securitySchemes"]
    assert schemes["sigv4"]["x-amazon-apigateway-authtype"] == "awsSigv4"
    scopes = schemes["cognito"]["flows"]["clientCredentials"]["scopes"]
    used = set()
    for method, path, operation in _operations():
        assert len(operation["tags"]) == 1 and operation["tags"][0] in TAGS, (method, path)
        assert operation["description"].strip(), (method, path)
        if path.startswith("/services/data/"):  # the Salesforce-compatible routes: OAuth only
            (oauth,) = operation["security"]
        else:
            sigv4, oauth = operation["security"]
            assert sigv4 == {"sigv4": []}, (method, path)
        (scope,) = oauth["cognito"]
        assert scope in scopes, (method, path)
        assert scope.endswith("/read") == (method == "get"), (method, path)
        used.add(scope)
    assert used == set(scopes)
    assert {tag for _, _, operation in _operations() for tag in operation["tags"]} == set(TAGS)


def test_the_replay_and_retry_headers_are_declared_where_they_are_sent() -> None:
    headers = json.loads(OUTPUT.read_text())["components"]["headers"]
    assert set(headers) == {"Idempotent-Replayed", "Dry-Run", "Retry-After"}
    for method, path, operation in _operations():
        for status, response in operation["responses"].items():
            declared = set(response.get("headers", {}))
            if method == "post" and status.startswith("2"):
                # every POST moves money, so every one takes dryRun
                assert declared == {"Idempotent-Replayed", "Dry-Run"}, (method, path, status)
            elif status in {"409", "429", "503"}:
                assert declared == {"Retry-After"}, (method, path, status)
            else:
                assert not declared, (method, path, status)


REPO = Path(__file__).resolve().parents[2]
SPECTRAL = REPO / ".local" / "spectral" / "node_modules" / ".bin" / "spectral"


@pytest.mark.slow
def test_spectrals_openapi_ruleset_finds_nothing() -> None:
    # What `make lint` runs (Spectral comes from npm with `make tools`; without npm, lint says so).
    if not SPECTRAL.exists():
        pytest.skip("Spectral is not installed (`make tools` installs it where npm exists)")
    run = subprocess.run(
        [str(SPECTRAL), "lint", str(OUTPUT), "--ruleset", ".spectral.yaml", "-f", "json", "-q"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert json.loads(run.stdout or "null") == [], run.stdout + run.stderr


def test_the_servers_are_the_local_one_and_a_deployed_stage(template: Template) -> None:
    local, deployed = json.loads(OUTPUT.read_text())["servers"]
    assert local["url"] == "http://127.0.0.1:3000"
    assert deployed["url"] == "https://{restApiId}.execute-api.{region}.amazonaws.com/{stage}"
    assert deployed["variables"]["stage"]["default"] == template.parameter_defaults()["StageName"]


# ---------------------------------------------------------------- the document states the rules
# Each rule is read from the committed document and compared with the code that enforces it
# (spec section 6; the schemathesis run in tests/fuzz checks the whole document the same way).

_DOCUMENT = json.loads(OUTPUT.read_text())
_SCHEMAS = _DOCUMENT["components"]["schemas"]


def _string_schema(field: dict[str, Any]) -> dict[str, Any]:
    return next(option for option in field.get("anyOf", [field]) if option.get("type") == "string")


def _documented(pattern: str, value: str) -> bool:
    """ECMA-262 semantics, as JSON Schema means them: \\d is ASCII, "$" is the end of the text."""
    return re.search(pattern, value, re.ASCII) is not None and "\n" not in value


def test_every_post_declares_the_idempotency_key_the_service_accepts() -> None:
    keys = ["a", "K-1:2/3", "~" * 255, "", "a" * 256, "with space", "tab\t", "ключ", "é", "a\x7f", "a\n"]
    for path, operations in _DOCUMENT["paths"].items():
        if "post" not in operations:
            continue
        (header,) = [p for p in operations["post"]["parameters"] if p["name"].lower() == "idempotency-key"]
        schema = _string_schema(header["schema"])
        assert (schema["minLength"], schema["maxLength"]) == (1, 255), path
        for key in keys:
            try:  # the header's validator (a direct invocation's key: the same pattern)
                TypeAdapter(IdempotencyKey).validate_python(key)
                accepted = True
            except PydanticValidationError:
                accepted = False
            assert _documented(schema["pattern"], key) == accepted, (path, key)


def test_the_documented_date_is_exactly_a_calendar_date_the_service_accepts() -> None:
    field = _string_schema(_SCHEMAS["UnapplyRequest"]["properties"]["effectiveDate"])
    assert field["format"] == "date"
    years = ["0000", "0001", "0004", "0100", "0400", "1900", "2000", "2024", "2026", "2100", "9999"]
    candidates = [f"{y}-{m:02d}-{d:02d}" for y in years for m in range(14) for d in range(33)]
    candidates += ["2026-1-01", "20261125", "2026-11-25T00:00", "2026-W48-3", "2026-11-25\n", "١٢٣٤-11-25"]
    for value in candidates:
        try:
            UnapplyRequest.model_validate({"effectiveDate": value})
            accepted = True
        except PydanticValidationError:
            accepted = False
        assert _documented(field["pattern"], value) == accepted, value


def _money_accepted(value: str, sign: str) -> bool:
    """Whether the service takes ``value`` for the currency with the most decimals, with ``sign``."""
    try:
        amount = parse_amount(to_decimal(value), "CLF")
    except (ValueError, ValidationError):
        return False
    return {"any": True, "nonnegative": amount >= 0, "positive": amount > 0}[sign]


# Forms a client writes, each documented exactly when the service takes it ...
_MONEY_TEXTS = [
    "0", "+0", "1", "+1", "-1", "1.", ".5", "0.0001", "0.00001", "0.00010", "1.50000000000000000000",
    "999999999999999.9999", "1000000000000000", "-999999999999999", "0000000000000000000000001",
    "1e5", "NaN", "Infinity", " 1", "1 ", "", ".", "+-1", "0.0000", "12.345", "\u0661", "1.5\n",
]  # fmt: skip
# ... and forms the service takes that the document leaves out (stricter is harmless; looser is not).
_UNDOCUMENTED_MONEY = ["-0", "-0.00", "0" * 26 + "1"]


def test_the_documented_amounts_are_amounts_the_service_accepts() -> None:
    fields = {
        "any": _SCHEMAS["InvoiceLineRequest"]["properties"]["chargeAmount"],
        "nonnegative": _SCHEMAS["TaxRequest"]["properties"]["taxAmount"],
        "positive": _SCHEMAS["MemoChargeRequest"]["properties"]["chargeAmount"],
    }
    for sign, field in fields.items():
        pattern = _string_schema({"anyOf": field["oneOf"]})["pattern"]
        for value in _MONEY_TEXTS:
            assert _documented(pattern, value) == _money_accepted(value, sign), (sign, value)
        for value in _UNDOCUMENTED_MONEY:
            assert not _documented(pattern, value) or _money_accepted(value, sign), (sign, value)


def test_the_largest_minor_unit_count_is_the_iso_tables() -> None:
    from iso4217 import Currency

    assert max(c.exponent for c in Currency if c.exponent is not None) == MAX_MINOR_UNITS


def test_the_documented_currencies_are_those_the_service_accepts() -> None:
    from iso4217 import Currency

    documented = set(_SCHEMAS["CreateCreditMemoRequest"]["properties"]["currency"]["enum"])
    assert documented == set(_SCHEMAS["CreateInvoiceRequest"]["properties"]["currency"]["enum"])
    for code in {c.code for c in Currency} | {"XYZ"}:
        try:
            minor_units(code)
            accepted = True
        except ValidationError:
            accepted = False
        assert (code in documented) == accepted, code


def test_a_documented_charge_names_its_product_as_the_service_requires() -> None:
    validator = Draft202012Validator(
        {"$ref": "#/components/schemas/MemoChargeRequest", "components": {"schemas": _SCHEMAS}}
    )
    charges = [
        {"chargeAmount": "1"},
        {"chargeAmount": "1", "productId": "p-1"},
        {"chargeAmount": "1", "productName": "Widget"},
        {"chargeAmount": "1", "productId": None, "productName": "Widget"},
        {"chargeAmount": "1", "productId": None, "productName": None},
    ]
    for charge in charges:
        request = MemoChargeRequest.model_validate(charge)
        try:
            memos.build_memo_line(
                line_id="l",
                currency="USD",
                charge=inputs.MemoChargeInput(
                    request.chargeAmount, request.productId, request.productName, request.description
                ),
                field=("charges", 0),
            )
            accepted = True
        except ValidationError:
            accepted = False
        assert validator.is_valid(charge) == accepted, charge
