"""Every response body is an instance of the model its route declares in openapi.json.

The view models (credit_memos.views) are the one definition of a response: the handlers
build them, openapi.json is generated from them, and this test reads the declared model of each
route from openapi.json and validates the real bodies against it, so a field added to a model but
not filled in (or filled in but not declared) fails here without any other edit.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from credit_memos import views
from pydantic import BaseModel

from infra.openapi import OUTPUT as OPENAPI_PATH
from tests.harness import Api, environment

DOCUMENT = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))


def declared_model(method: str, template_path: str, status: int) -> type[BaseModel]:
    operation = DOCUMENT["paths"][template_path][method.lower()]
    schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
    model = getattr(views, schema["$ref"].rsplit("/", 1)[-1])
    assert issubclass(model, views.View)
    return model


def check(model: type[BaseModel], body: Any) -> None:
    model.model_validate(body)  # required fields, types, enums
    _no_undeclared_fields(model, body)


def _no_undeclared_fields(model: type[BaseModel], body: dict[str, Any]) -> None:
    declared = {field.alias or name for name, field in model.model_fields.items()}  # the JSON names
    assert set(body) <= declared, (model.__name__, set(body) - declared)
    for name, field in model.model_fields.items():
        value = body.get(field.alias or name)
        inner = _model_of(field.annotation)
        if inner is not None and isinstance(value, list):
            for item in value:
                _no_undeclared_fields(inner, item)
        elif inner is not None and isinstance(value, dict):
            _no_undeclared_fields(inner, value)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def test_every_route_answers_with_its_declared_model(
    api: Api, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: set[tuple[str, str]] = set()

    def call(method: str, template_path: str, path: str, status: int, body: Any = None) -> dict[str, Any]:
        path, _, query = path.partition("?")
        params = dict(part.split("=", 1) for part in query.split("&")) if query else None
        if method == "GET":
            r = api.get(path, query=params)
        else:
            r = api.put(path, body) if method == "PUT" else api.post(path, body)
        assert r.status == status, (path, r)
        check(declared_model(method, template_path, status), r.body)
        seen.add((method, template_path))
        return r.body

    account = "acct-models"
    lines = [{"chargeAmount": "100.00", "taxAmount": "10.00", "productName": "p"}, {"chargeAmount": "-20.00"}]
    inv = call(
        "POST",
        "/invoices",
        "/invoices",
        201,
        {"billingAccountId": account, "currency": "USD", "lines": lines},
    )
    line_inv = call(
        "POST",
        "/invoices",
        "/invoices",
        201,
        {
            "billingAccountId": account,
            "currency": "USD",
            "settlementLevel": "InvoiceLine",
            "lines": lines[:1],
        },
    )
    draft = call(
        "POST",
        "/invoices",
        "/invoices",
        201,
        {"billingAccountId": account, "currency": "USD", "status": "Draft", "lines": lines[:1]},
    )
    call("POST", "/invoices/{invoiceId}/actions/post", f"/invoices/{draft['id']}/actions/post", 200, {})
    charges = [
        {
            "chargeAmount": "30.00",
            "productName": "c",
            "taxes": [{"taxAmount": "3.00", "taxCode": "VAT", "taxRate": "0.1"}],
        }
    ]
    memo = call(
        "POST",
        "/credit-memos",
        "/credit-memos",
        201,
        {"billingAccountId": account, "currency": "USD", "charges": charges},
    )
    draft_memo = call(
        "POST",
        "/credit-memos",
        "/credit-memos",
        201,
        {"billingAccountId": account, "currency": "USD", "type": "Draft", "charges": charges},
    )
    call(
        "POST",
        "/credit-memos/{creditMemoId}/actions/post",
        f"/credit-memos/{draft_memo['id']}/actions/post",
        200,
        {},
    )
    applied = call(
        "POST",
        "/credit-memos/{creditMemoId}/actions/apply",
        f"/credit-memos/{memo['id']}/actions/apply",
        200,
        {"applications": [{"invoiceId": inv["id"], "amount": "5.00"}]},
    )
    call(
        "POST",
        "/credit-memo-applications/{applicationId}/actions/unapply",
        f"/credit-memo-applications/{applied['applications'][0]['id']}/actions/unapply",
        200,
        {},
    )
    line_applied = call(
        "POST",
        "/credit-memos/{creditMemoId}/lines/{creditMemoLineId}/actions/apply",
        f"/credit-memos/{memo['id']}/lines/{memo['lines'][0]['id']}/actions/apply",
        200,
        {
            "applications": [
                {"invoiceId": line_inv["id"], "invoiceLineId": line_inv["lines"][0]["id"], "amount": "1.00"}
            ]
        },
    )
    call(
        "POST",
        "/credit-memo-line-applications/{applicationId}/actions/unapply",
        f"/credit-memo-line-applications/{line_applied['applications'][0]['id']}/actions/unapply",
        200,
        {},
    )
    call(
        "POST",
        "/invoices/{invoiceId}/actions/credit",
        f"/invoices/{inv['id']}/actions/credit",
        201,
        {
            "taxStrategy": "CopyFromInvoiceLine",
            "invoiceLines": [{"invoiceLineId": inv["lines"][0]["id"], "amountToCredit": "10.00"}],
        },
    )
    call(
        "POST",
        "/credit-memos/{creditMemoId}/actions/void",
        f"/credit-memos/{draft_memo['id']}/actions/void",
        200,
        {},
    )
    call("GET", "/invoices/{invoiceId}", f"/invoices/{inv['id']}", 200)
    call("GET", "/credit-memos/{creditMemoId}", f"/credit-memos/{memo['id']}", 200)
    call("GET", "/invoices", f"/invoices?billingAccountId={account}", 200)
    call("GET", "/credit-memos", f"/credit-memos?billingAccountId={account}", 200)
    call("GET", "/invoices/{invoiceId}/applications", f"/invoices/{inv['id']}/applications", 200)
    call("GET", "/credit-memos/{creditMemoId}/applications", f"/credit-memos/{memo['id']}/applications", 200)
    call(
        "GET",
        "/credit-memo-applications/{applicationId}",
        f"/credit-memo-applications/{applied['applications'][0]['id']}",
        200,
    )
    call(
        "GET",
        "/credit-memo-line-applications/{applicationId}",
        f"/credit-memo-line-applications/{line_applied['applications'][0]['id']}",
        200,
    )
    unapplied = api.get(f"/credit-memos/{memo['id']}/applications").body["items"]
    assert {"appliedDate", "unappliedDate"} & set(unapplied[-1])
    # Convert last: it needs an invoice with no active applications.
    fresh = call(
        "POST",
        "/invoices",
        "/invoices",
        201,
        {"billingAccountId": account, "currency": "USD", "lines": lines},
    )
    call(
        "POST",
        "/invoices/{invoiceId}/actions/convert-to-credit",
        f"/invoices/{fresh['id']}/actions/convert-to-credit",
        201,
        {},
    )
    # Nothing has fed the stream consumer here: the summary is the empty one, in its model.
    call("GET", "/billing-accounts/{billingAccountId}/summary", f"/billing-accounts/{account}/summary", 200)
    # Payments (spec section 8), at both levels (lineAllocations only at InvoiceLine).
    for target, reference in ((fresh, "wire-1"), (line_inv, "wire-2")):
        payment = call(
            "POST",
            "/invoices/{invoiceId}/actions/record-payment",
            f"/invoices/{target['id']}/actions/record-payment",
            201,
            {"amount": "2.00", "paymentReference": reference, "description": "wire"},
        )
        call(
            "POST",
            "/invoice-payments/{paymentId}/actions/reverse",
            f"/invoice-payments/{payment['id']}/actions/reverse",
            200,
            {"reasonCode": "BillingError"},
        )
        listed = call(
            "GET", "/invoices/{invoiceId}/payments", f"/invoices/{target['id']}/payments?limit=1", 200
        )
        assert listed["nextToken"] is not None
    # Profiles and the document (spec section 12); the document is binary, in a declared type.
    from tests.api.test_documents import SELLER, fake_render
    from tests.builders import profile_body

    profile_route = "/billing-accounts/{billingAccountId}"
    call("PUT", profile_route, f"/billing-accounts/{account}", 200, profile_body())
    call("GET", profile_route, f"/billing-accounts/{account}", 200)
    call("GET", profile_route + "/profile-revisions", f"/billing-accounts/{account}/profile-revisions", 200)
    monkeypatch.setattr("credit_memos.documents.render.render", fake_render)
    document_route = "/credit-memos/{creditMemoId}/document"
    with environment(dict(SELLER, DOCUMENT_ARCHIVE_DIR=str(tmp_path))):
        r = api.get(f"/credit-memos/{memo['id']}/document")
    declared = DOCUMENT["paths"][document_route]["get"]["responses"]["200"]["content"]
    assert r.status == 200 and r.headers["Content-Type"] in declared, r
    seen.add(("GET", document_route))
    # Money out (spec section 10): a refund and its reversal, a write-off.
    refunded = call(
        "POST",
        "/credit-memos",
        "/credit-memos",
        201,
        {
            "billingAccountId": account,
            "currency": "USD",
            "charges": [{"chargeAmount": "5.00", "productName": "p"}],
        },
    )
    refund = call(
        "POST",
        "/credit-memos/{creditMemoId}/actions/refund",
        f"/credit-memos/{refunded['id']}/actions/refund",
        201,
        {"amount": "2.00", "refundReference": "chq-1"},
    )
    call("GET", "/credit-memo-refunds/{refundId}", f"/credit-memo-refunds/{refund['id']}", 200)
    call("GET", "/credit-memos/{creditMemoId}/refunds", f"/credit-memos/{refunded['id']}/refunds", 200)
    call(
        "POST",
        "/credit-memo-refunds/{refundId}/actions/reverse",
        f"/credit-memo-refunds/{refund['id']}/actions/reverse",
        200,
        {},
    )
    call(
        "POST",
        "/invoices/actions/write-off",
        "/invoices/actions/write-off",
        200,
        {"invoices": [{"invoiceId": fresh["id"], "reasonCode": "BadDebt"}]},
    )
    # The books.
    call(
        "GET",
        "/journal-entries",
        f"/journal-entries?from=2000-01-01&to=2099-12-31&billingAccountId={account}",
        200,
    )
    call(
        "GET",
        "/trial-balance",
        f"/trial-balance?currency=USD&billingAccountId={account}&asOf=2099-12-31",
        200,
    )
    call(
        "POST",
        "/accounting-periods/{period}/actions/close",
        "/accounting-periods/2001-01/actions/close",
        200,
        {},
    )
    call("GET", "/accounting-periods/{period}", "/accounting-periods/2001-01", 200)
    call(
        "POST",
        "/accounting-periods/{period}/actions/reopen",
        "/accounting-periods/2001-01/actions/reopen",
        200,
        {"reasonCode": "Other"},
    )
    # The Salesforce-compatible routes answer Salesforce's envelopes: tests/api/test_salesforce*.py.
    native = {p: ops for p, ops in DOCUMENT["paths"].items() if not p.startswith("/services/data/")}
    assert seen == {(m.upper(), p) for p, ops in native.items() for m in ops}, "a route was not exercised"
