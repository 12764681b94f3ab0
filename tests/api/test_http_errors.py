"""Every errorCode the API produces, over HTTP (and a few by direct invocation).

Each failing request is checked for its status, its errorCode, the body's shape, and that
no document or application history changed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from credit_memos.api.fields import ID_RE

from infra.local.api_gateway import build_event
from infra.local.lambda_runtime import FakeLambdaContext
from infra.local.template import Route
from tests.builders import ACCOUNT, apply_memo, create_invoice, create_memo
from tests.harness import TABLE_NAME, Api, HttpResult, handler_for, invoke, template

# ---------------------------------------------------------------- helpers


def state(api: Api, docs: tuple[dict, ...]) -> dict[str, Any]:
    """Everything a user could see about ``docs``: the documents and their histories."""
    seen: dict[str, Any] = {}
    for doc in docs:
        kind = "credit-memos" if doc["id"].startswith("cm_") else "invoices"
        got = api.get(f"/{kind}/{doc['id']}")
        history = api.get(f"/{kind}/{doc['id']}/applications", query={"limit": 100})
        assert got.status == 200 and history.status == 200, (got, history)
        seen[doc["id"]] = (got.body, history.body)
    return seen


def assert_error_body(r: HttpResult, status: int, code: str) -> None:
    assert r.status == status, r
    assert isinstance(r.body, dict), r
    assert r.body["errorCode"] == code, r
    assert set(r.body) <= {"errorCode", "message", "details"}, r
    assert isinstance(r.body["message"], str) and r.body["message"]
    if "details" in r.body:
        assert isinstance(r.body["details"], list)
    text = json.dumps(r.body).lower()
    for leak in ("traceback", TABLE_NAME.lower(), "botocore", "boto3", "dynamodb", 'file "', ".py"):
        assert leak not in text, (leak, r)
    assert r.headers.get("Content-Type", "").startswith("application/json")


@contextmanager
def unchanged(api: Api, *docs: dict) -> Iterator[None]:
    before = state(api, docs)
    yield
    assert state(api, docs) == before, "a failed request changed a document or its history"


def expect_error(api: Api, status: int, code: str, docs: tuple[dict, ...], send: Any) -> HttpResult:
    with unchanged(api, *docs):
        r = send()
        assert_error_body(r, status, code)
    return r


# ---------------------------------------------------------------- BAD_REQUEST


def test_bad_request_malformed_json_on_create(api: Api) -> None:
    for raw in ('{"billingAccountId": ', "not json", '{"a": 1,}', "[" * 40 + "]" * 40):
        r = api.post("/invoices", raw_body=raw)
        assert_error_body(r, 400, "BAD_REQUEST")
    assert api.get("/invoices", query={"billingAccountId": ACCOUNT}).body["items"] == []


def test_bad_request_malformed_json_on_apply_changes_nothing(api: Api) -> None:
    memo, inv = create_memo(api), create_invoice(api)
    expect_error(
        api,
        400,
        "BAD_REQUEST",
        (memo, inv),
        lambda: api.post(
            f"/credit-memos/{memo['id']}/actions/apply", raw_body='{"applications": [{"invoiceId": '
        ),
    )


# ---------------------------------------------------------------- VALIDATION_ERROR


SCHEMA_ERRORS = [
    ({"currency": "USD", "lines": [{"chargeAmount": "1.00"}]}, "billingAccountId"),
    ({"billingAccountId": ACCOUNT, "currency": "USD", "lines": []}, "lines"),
    (
        {"billingAccountId": ACCOUNT, "currency": "USD", "lines": [{"chargeAmount": "1.00", "x": 1}]},
        "lines[0].x",
    ),
    (
        {"billingAccountId": ACCOUNT, "currency": "USD", "lines": [{"chargeAmount": "ten"}]},
        "lines[0].chargeAmount",
    ),
    (
        {"billingAccountId": ACCOUNT, "currency": "USD", "lines": [{"chargeAmount": True}]},
        "lines[0].chargeAmount",
    ),
    ({"billingAccountId": ACCOUNT, "currency": "usd", "lines": [{"chargeAmount": "1.00"}]}, "currency"),
    (
        {"billingAccountId": ACCOUNT, "currency": "USD", "status": "Paid", "lines": [{"chargeAmount": "1"}]},
        "status",
    ),
    (
        {
            "billingAccountId": ACCOUNT,
            "currency": "USD",
            "invoiceDate": "2026-02-30",
            "lines": [{"chargeAmount": "1"}],
        },
        "invoiceDate",
    ),
    (
        {"billingAccountId": "bad account!", "currency": "USD", "lines": [{"chargeAmount": "1"}]},
        "billingAccountId",
    ),
]


def test_validation_error_schema(api: Api) -> None:
    for body, field in SCHEMA_ERRORS:
        r = api.post("/invoices", body)
        assert_error_body(r, 422, "VALIDATION_ERROR")
        assert any(d.get("field") == field for d in r.body.get("details", [])), (field, r)
    assert api.get("/invoices", query={"billingAccountId": ACCOUNT}).body["items"] == []


def test_validation_error_precision_on_create(api: Api) -> None:
    for currency, amount in [
        ("USD", "1.001"),
        ("USD", "0.001"),
        ("JPY", "1.5"),
        ("KWD", "1.0001"),
        ("USD", 1.001),
    ]:
        r = api.post(
            "/invoices",
            {"billingAccountId": ACCOUNT, "currency": currency, "lines": [{"chargeAmount": amount}]},
        )
        assert_error_body(r, 422, "VALIDATION_ERROR")
        assert r.body["details"] == [{"field": "lines[0].chargeAmount"}], r
    assert api.get("/invoices", query={"billingAccountId": ACCOUNT}).body["items"] == []


def test_validation_error_precision_on_apply_changes_nothing(api: Api) -> None:
    memo, inv = create_memo(api), create_invoice(api)
    r = expect_error(api, 422, "VALIDATION_ERROR", (memo, inv), lambda: apply_memo(api, memo, (inv, "1.001")))
    assert r.body["details"] == [{"field": "applications[0].amount"}]


def test_validation_error_non_finite_or_huge_json_numbers(api: Api) -> None:
    for raw_amount in ("NaN", "Infinity", "-Infinity", "1e400", "1000000000000000", '"1e400"', '"NaN"'):
        line = f'{{"chargeAmount": {raw_amount}}}'
        raw = f'{{"billingAccountId": "{ACCOUNT}", "currency": "USD", "lines": [{line}]}}'
        assert_error_body(api.post("/invoices", raw_body=raw), 422, "VALIDATION_ERROR")
    assert api.get("/invoices", query={"billingAccountId": ACCOUNT}).body["items"] == []


def test_validation_error_limits(api: Api) -> None:
    r = api.post(
        "/invoices",
        {"billingAccountId": ACCOUNT, "currency": "USD", "lines": [{"chargeAmount": "1.00"}] * 301},
    )
    assert_error_body(r, 422, "VALIDATION_ERROR")
    r = api.post(
        "/credit-memos",
        {
            "billingAccountId": ACCOUNT,
            "currency": "USD",
            "charges": [{"chargeAmount": "1.00", "productName": "p"}] * 301,
        },
    )
    assert_error_body(r, 422, "VALIDATION_ERROR")
    memo, inv = create_memo(api, "100.00"), create_invoice(api, "100.00")
    expect_error(
        api, 422, "VALIDATION_ERROR", (memo, inv), lambda: apply_memo(api, memo, *[(inv, "0.01")] * 26)
    )
    expect_error(
        api,
        422,
        "VALIDATION_ERROR",
        (memo, inv),
        lambda: api.post(f"/credit-memos/{memo['id']}/actions/apply", {"applications": []}),
    )
    for limit in (0, 101, "x"):
        r = api.get("/invoices", query={"billingAccountId": ACCOUNT, "limit": limit})
        assert_error_body(r, 422, "VALIDATION_ERROR")
    assert_error_body(api.get("/credit-memos", query={}), 422, "VALIDATION_ERROR")  # billingAccountId


def test_validation_error_unknown_currency(api: Api) -> None:
    for currency in ("XYZ", "XAU", "XTS"):
        r = api.post(
            "/credit-memos",
            {
                "billingAccountId": ACCOUNT,
                "currency": currency,
                "charges": [{"chargeAmount": "1", "productName": "p"}],
            },
        )
        assert_error_body(r, 422, "VALIDATION_ERROR")
        assert r.body["details"] == [{"field": "currency"}], r
    assert api.get("/credit-memos", query={"billingAccountId": ACCOUNT}).body["items"] == []


def test_validation_error_line_not_on_the_invoice(api: Api) -> None:
    inv = create_invoice(api, "100.00", level="InvoiceLine")
    other = create_invoice(api, "100.00", level="InvoiceLine")
    memo = create_memo(api, "50.00")
    foreign_line = other["lines"][0]["id"]
    r = expect_error(
        api,
        422,
        "VALIDATION_ERROR",
        (inv, other, memo),
        lambda: api.post(
            f"/invoices/{inv['id']}/actions/credit",
            {
                "taxStrategy": "Ignore",
                "invoiceLines": [{"invoiceLineId": foreign_line, "amountToCredit": "1"}],
            },
        ),
    )
    assert r.body["details"] == [{"field": "invoiceLines[0]"}]
    expect_error(
        api,
        422,
        "VALIDATION_ERROR",
        (inv, other, memo),
        lambda: api.post(
            f"/credit-memos/{memo['id']}/lines/{memo['lines'][0]['id']}/actions/apply",
            {"applications": [{"invoiceId": inv["id"], "invoiceLineId": foreign_line, "amount": "1.00"}]},
        ),
    )
    expect_error(
        api,
        422,
        "VALIDATION_ERROR",
        (inv, other),
        lambda: api.post(
            f"/invoices/{inv['id']}/actions/convert-to-credit", {"invoiceLineIds": [foreign_line]}
        ),
    )


def test_validation_error_convert_line_not_negative(api: Api) -> None:
    inv = create_invoice(api, "300.00", "-100.00")
    r = expect_error(
        api,
        422,
        "VALIDATION_ERROR",
        (inv,),
        lambda: api.post(
            f"/invoices/{inv['id']}/actions/convert-to-credit", {"invoiceLineIds": [inv["lines"][0]["id"]]}
        ),
    )
    assert r.body["details"] == [{"field": "invoiceLineIds[0]"}]
    positive = create_invoice(api, "300.00")
    expect_error(
        api,
        422,
        "VALIDATION_ERROR",
        (positive,),
        lambda: api.post(f"/invoices/{positive['id']}/actions/convert-to-credit", {}),
    )


@pytest.mark.parametrize("amount", ["0.00", "-1.00"])
def test_validation_error_amount_not_positive(api: Api, amount: str) -> None:
    memo, inv = create_memo(api), create_invoice(api, level="InvoiceLine")
    expect_error(api, 422, "VALIDATION_ERROR", (memo, inv), lambda: apply_memo(api, memo, (inv, amount)))
    expect_error(
        api,
        422,
        "VALIDATION_ERROR",
        (memo, inv),
        lambda: api.post(
            f"/credit-memos/{memo['id']}/lines/{memo['lines'][0]['id']}/actions/apply",
            {
                "applications": [
                    {"invoiceId": inv["id"], "invoiceLineId": inv["lines"][0]["id"], "amount": amount}
                ]
            },
        ),
    )
    expect_error(
        api,
        422,
        "VALIDATION_ERROR",
        (inv,),
        lambda: api.post(
            f"/invoices/{inv['id']}/actions/credit",
            {
                "taxStrategy": "Ignore",
                "invoiceLines": [{"invoiceLineId": inv["lines"][0]["id"], "amountToCredit": amount}],
            },
        ),
    )
    r = api.post(
        "/credit-memos",
        {
            "billingAccountId": ACCOUNT,
            "currency": "USD",
            "charges": [{"chargeAmount": amount, "productName": "p"}],
        },
    )
    assert_error_body(r, 422, "VALIDATION_ERROR")


def test_validation_error_invalid_next_token(api: Api) -> None:
    create_invoice(api)
    for token in ("garbage", "eyJwIjoieCIsImsiOnt9fQ"):
        r = api.get("/invoices", query={"billingAccountId": ACCOUNT, "nextToken": token})
        assert_error_body(r, 422, "VALIDATION_ERROR")
    # A token of another account's query is not valid here.
    for _ in range(2):
        create_invoice(api, account="acct-2")
    page = api.get("/invoices", query={"billingAccountId": "acct-2", "limit": 1}).body
    assert page["nextToken"]
    r = api.get("/invoices", query={"billingAccountId": ACCOUNT, "nextToken": page["nextToken"]})
    assert_error_body(r, 422, "VALIDATION_ERROR")
    r = api.get("/credit-memos", query={"billingAccountId": "acct-2", "nextToken": page["nextToken"]})
    assert_error_body(r, 422, "VALIDATION_ERROR")


# ---------------------------------------------------------------- NOT_FOUND


def test_not_found_memo(api: Api) -> None:
    inv = create_invoice(api)
    missing = "cm_00000000000000000000000000"
    assert_error_body(api.get(f"/credit-memos/{missing}"), 404, "NOT_FOUND")
    assert_error_body(api.get(f"/credit-memos/{missing}/applications"), 404, "NOT_FOUND")
    assert_error_body(api.post(f"/credit-memos/{missing}/actions/post", {}), 404, "NOT_FOUND")
    assert_error_body(api.post(f"/credit-memos/{missing}/actions/void", {}), 404, "NOT_FOUND")
    expect_error(api, 404, "NOT_FOUND", (inv,), lambda: apply_memo(api, {"id": missing}, (inv, "1.00")))
    # An id that could never have been issued does not exist either.
    assert_error_body(api.get("/credit-memos/%20bad%20id"), 404, "NOT_FOUND")
    assert_error_body(api.get("/credit-memos/" + "x" * 200), 404, "NOT_FOUND")


def test_not_found_invoice(api: Api) -> None:
    memo = create_memo(api)
    real = create_invoice(api)
    missing = {"id": "inv_00000000000000000000000000"}
    assert_error_body(api.get(f"/invoices/{missing['id']}"), 404, "NOT_FOUND")
    assert_error_body(api.get(f"/invoices/{missing['id']}/applications"), 404, "NOT_FOUND")
    assert_error_body(api.post(f"/invoices/{missing['id']}/actions/post", {}), 404, "NOT_FOUND")
    assert_error_body(api.post(f"/invoices/{missing['id']}/actions/convert-to-credit", {}), 404, "NOT_FOUND")
    r = api.post(
        f"/invoices/{missing['id']}/actions/credit",
        {"taxStrategy": "Ignore", "invoiceLines": [{"invoiceLineId": "invl_1", "amountToCredit": "1"}]},
    )
    assert_error_body(r, 404, "NOT_FOUND")
    # An invoice named in the body: the whole request fails, the real invoice gets nothing.
    expect_error(
        api, 404, "NOT_FOUND", (memo, real), lambda: apply_memo(api, memo, (real, "1.00"), (missing, "1.00"))
    )


def test_not_found_application(api: Api) -> None:
    memo, inv = create_memo(api), create_invoice(api)
    applied = apply_memo(api, memo, (inv, "5.00")).body["applications"][0]
    entry = applied["id"].rsplit(".", 1)[0]
    for app_id in ("app_00000000000000000000000000.1", f"{entry}.7", "no-dot-here", "x" * 200):
        for level in ("credit-memo-applications", "credit-memo-line-applications"):
            expect_error(
                api,
                404,
                "NOT_FOUND",
                (memo, inv),
                lambda a=app_id, lv=level: api.post(f"/{lv}/{a}/actions/unapply", {}),
            )


def test_not_found_memo_line(api: Api) -> None:
    memo, inv = create_memo(api), create_invoice(api, level="InvoiceLine")
    expect_error(
        api,
        404,
        "NOT_FOUND",
        (memo, inv),
        lambda: api.post(
            f"/credit-memos/{memo['id']}/lines/cml_00000000000000000000000000/actions/apply",
            {"applications": [{"invoiceId": inv["id"], "invoiceLineId": inv["lines"][0]["id"]}]},
        ),
    )


def test_not_found_unknown_route(api: Api) -> None:
    # The router (as API Gateway) knows no such resource.
    assert api.get("/no-such-thing").status == 404
    assert api.get("/credit-memos/x/y/z").status == 404
    # A function asked for a path it does not serve answers the contract's NOT_FOUND body.
    route = Route("GET", "/invoices/{invoiceId}/nothing", "ReadInvoicesFunction", "x", None, "Prod")
    event = build_event(
        route=route,
        path_parameters={"invoiceId": "inv_1"},
        method="GET",
        raw_path="/invoices/inv_1/nothing",
        query="",
        headers=[("Content-Type", "application/json")],
        body=b"",
        source_ip="127.0.0.1",
    )
    result = handler_for("ReadInvoicesFunction")(
        event, FakeLambdaContext(template().find_function("ReadInvoicesFunction"))
    )
    r = HttpResult(result["statusCode"], result.get("headers") or {}, json.loads(result["body"]))
    r.headers.setdefault("Content-Type", "application/json")
    assert_error_body(r, 404, "NOT_FOUND")


# ---------------------------------------------------------------- INVALID_STATUS


def test_invalid_status_post_posted_documents(api: Api) -> None:
    inv, memo = create_invoice(api), create_memo(api)
    expect_error(
        api, 409, "INVALID_STATUS", (inv,), lambda: api.post(f"/invoices/{inv['id']}/actions/post", {})
    )
    expect_error(
        api, 409, "INVALID_STATUS", (memo,), lambda: api.post(f"/credit-memos/{memo['id']}/actions/post", {})
    )


def test_invalid_status_apply_from_draft_memo(api: Api) -> None:
    memo, inv = create_memo(api, status="Draft"), create_invoice(api)
    expect_error(api, 409, "INVALID_STATUS", (memo, inv), lambda: apply_memo(api, memo, (inv, "1.00")))
    expect_error(api, 409, "INVALID_STATUS", (memo, inv), lambda: apply_memo(api, memo, (inv, None)))


def test_invalid_status_apply_to_draft_invoice(api: Api) -> None:
    memo, inv = create_memo(api), create_invoice(api, status="Draft", level="InvoiceLine")
    expect_error(api, 409, "INVALID_STATUS", (memo, inv), lambda: apply_memo(api, memo, (inv, "1.00")))
    expect_error(
        api,
        409,
        "INVALID_STATUS",
        (memo, inv),
        lambda: api.post(
            f"/credit-memos/{memo['id']}/lines/{memo['lines'][0]['id']}/actions/apply",
            {"applications": [{"invoiceId": inv["id"], "invoiceLineId": inv["lines"][0]["id"]}]},
        ),
    )
    expect_error(
        api,
        409,
        "INVALID_STATUS",
        (inv,),
        lambda: api.post(
            f"/invoices/{inv['id']}/actions/credit",
            {
                "taxStrategy": "Ignore",
                "invoiceLines": [{"invoiceLineId": inv["lines"][0]["id"], "amountToCredit": "1"}],
            },
        ),
    )


def test_invalid_status_void_voided_or_draft_memo(api: Api) -> None:
    memo = create_memo(api)
    assert api.post(f"/credit-memos/{memo['id']}/actions/void", {}).status == 200
    expect_error(
        api, 409, "INVALID_STATUS", (memo,), lambda: api.post(f"/credit-memos/{memo['id']}/actions/void", {})
    )
    expect_error(
        api, 409, "INVALID_STATUS", (memo,), lambda: api.post(f"/credit-memos/{memo['id']}/actions/post", {})
    )
    draft = create_memo(api, status="Draft")
    expect_error(
        api,
        409,
        "INVALID_STATUS",
        (draft,),
        lambda: api.post(f"/credit-memos/{draft['id']}/actions/void", {}),
    )


def test_invalid_status_convert_draft_invoice(api: Api) -> None:
    inv = create_invoice(api, "300.00", "-100.00", status="Draft")
    expect_error(
        api,
        409,
        "INVALID_STATUS",
        (inv,),
        lambda: api.post(f"/invoices/{inv['id']}/actions/convert-to-credit", {}),
    )


# ---------------------------------------------------------------- INSUFFICIENT_BALANCE


def test_insufficient_balance_above_memo_balance(api: Api) -> None:
    memo, inv = create_memo(api, "30.00"), create_invoice(api, "100.00")
    expect_error(api, 409, "INSUFFICIENT_BALANCE", (memo, inv), lambda: apply_memo(api, memo, (inv, "30.01")))


def test_insufficient_balance_above_invoice_balance(api: Api) -> None:
    memo, inv = create_memo(api, "300.00"), create_invoice(api, "100.00")
    expect_error(
        api, 409, "INSUFFICIENT_BALANCE", (memo, inv), lambda: apply_memo(api, memo, (inv, "100.01"))
    )
    assert apply_memo(api, memo, (inv, None)).status == 200  # settles the invoice
    expect_error(api, 409, "INSUFFICIENT_BALANCE", (memo, inv), lambda: apply_memo(api, memo, (inv, None)))


def test_insufficient_balance_second_target_applies_nothing_at_all(api: Api) -> None:
    memo = create_memo(api, "100.00")
    first, second = create_invoice(api, "80.00"), create_invoice(api, "80.00")
    expect_error(
        api,
        409,
        "INSUFFICIENT_BALANCE",
        (memo, first, second),
        lambda: apply_memo(api, memo, (first, "60.00"), (second, "40.01")),
    )
    assert api.get(f"/credit-memos/{memo['id']}").body["balance"] == "100.00"
    assert api.get(f"/credit-memos/{memo['id']}/applications").body["items"] == []
    assert api.get(f"/invoices/{first['id']}").body["balance"] == "80.00"


def test_insufficient_balance_at_invoice_line(api: Api) -> None:
    memo, inv = create_memo(api, "100.00"), create_invoice(api, "20.00", "50.00", level="InvoiceLine")
    line = inv["lines"][0]["id"]
    expect_error(
        api,
        409,
        "INSUFFICIENT_BALANCE",
        (memo, inv),
        lambda: api.post(
            f"/credit-memos/{memo['id']}/lines/{memo['lines'][0]['id']}/actions/apply",
            {"applications": [{"invoiceId": inv["id"], "invoiceLineId": line, "amount": "20.01"}]},
        ),
    )


# ---------------------------------------------------------------- mismatches


def test_currency_mismatch(api: Api) -> None:
    memo, inv = create_memo(api, "30.00", currency="EUR"), create_invoice(api)
    expect_error(api, 409, "CURRENCY_MISMATCH", (memo, inv), lambda: apply_memo(api, memo, (inv, "1.00")))
    jpy = create_memo(api, "3000", currency="JPY")
    expect_error(api, 409, "CURRENCY_MISMATCH", (jpy, inv), lambda: apply_memo(api, jpy, (inv, None)))


def test_account_mismatch(api: Api) -> None:
    memo, inv = create_memo(api, account="acct-other"), create_invoice(api, level="InvoiceLine")
    expect_error(api, 409, "ACCOUNT_MISMATCH", (memo, inv), lambda: apply_memo(api, memo, (inv, "1.00")))
    expect_error(
        api,
        409,
        "ACCOUNT_MISMATCH",
        (memo, inv),
        lambda: api.post(
            f"/credit-memos/{memo['id']}/lines/{memo['lines'][0]['id']}/actions/apply",
            {"applications": [{"invoiceId": inv["id"], "invoiceLineId": inv["lines"][0]["id"]}]},
        ),
    )


def test_level_mismatch_line_apply_to_invoice_level_invoice(api: Api) -> None:
    memo, inv = create_memo(api), create_invoice(api, level="Invoice")
    expect_error(
        api,
        409,
        "LEVEL_MISMATCH",
        (memo, inv),
        lambda: api.post(
            f"/credit-memos/{memo['id']}/lines/{memo['lines'][0]['id']}/actions/apply",
            {
                "applications": [
                    {"invoiceId": inv["id"], "invoiceLineId": inv["lines"][0]["id"], "amount": "1"}
                ]
            },
        ),
    )


def test_level_mismatch_unapply_via_the_other_endpoint(api: Api) -> None:
    memo = create_memo(api, "50.00")
    line_inv, flat_inv = create_invoice(api, level="InvoiceLine"), create_invoice(api, level="Invoice")
    line_record = apply_memo(api, memo, (line_inv, "10.00")).body["applications"][0]
    flat_record = apply_memo(api, memo, (flat_inv, "10.00")).body["applications"][0]
    assert line_record["level"] == "InvoiceLine" and flat_record["level"] == "Invoice"
    expect_error(
        api,
        409,
        "LEVEL_MISMATCH",
        (memo, line_inv),
        lambda: api.post(f"/credit-memo-applications/{line_record['id']}/actions/unapply", {}),
    )
    expect_error(
        api,
        409,
        "LEVEL_MISMATCH",
        (memo, flat_inv),
        lambda: api.post(f"/credit-memo-line-applications/{flat_record['id']}/actions/unapply", {}),
    )


# ---------------------------------------------------------------- once-only actions


def test_already_unapplied_at_both_levels(api: Api) -> None:
    memo = create_memo(api, "50.00")
    flat, lined = create_invoice(api), create_invoice(api, level="InvoiceLine")
    for inv, path in ((flat, "credit-memo-applications"), (lined, "credit-memo-line-applications")):
        record = apply_memo(api, memo, (inv, "10.00")).body["applications"][0]
        assert api.post(f"/{path}/{record['id']}/actions/unapply", {}).status == 200
        expect_error(
            api,
            409,
            "ALREADY_UNAPPLIED",
            (memo, inv),
            lambda p=path, rid=record["id"]: api.post(f"/{p}/{rid}/actions/unapply", {}),
        )


def test_already_converted(api: Api) -> None:
    inv = create_invoice(api, "300.00", "-100.00", "-20.00")
    r = api.post(f"/invoices/{inv['id']}/actions/convert-to-credit", {"applyToInvoice": False})
    assert r.status == 201, r
    expect_error(
        api,
        409,
        "ALREADY_CONVERTED",
        (inv,),
        lambda: api.post(f"/invoices/{inv['id']}/actions/convert-to-credit", {}),
    )
    expect_error(
        api,
        409,
        "ALREADY_CONVERTED",
        (inv,),
        lambda: api.post(
            f"/invoices/{inv['id']}/actions/convert-to-credit", {"invoiceLineIds": [inv["lines"][2]["id"]]}
        ),
    )


def test_has_active_applications_void(api: Api) -> None:
    memo, inv = create_memo(api), create_invoice(api)
    record = apply_memo(api, memo, (inv, "1.00")).body["applications"][0]
    expect_error(
        api,
        409,
        "HAS_ACTIVE_APPLICATIONS",
        (memo, inv),
        lambda: api.post(f"/credit-memos/{memo['id']}/actions/void", {}),
    )
    assert api.post(f"/credit-memo-applications/{record['id']}/actions/unapply", {}).status == 200
    assert api.post(f"/credit-memos/{memo['id']}/actions/void", {}).status == 200


def test_has_active_applications_convert(api: Api) -> None:
    memo, inv = create_memo(api), create_invoice(api, "300.00", "-100.00")
    apply_memo(api, memo, (inv, "1.00"))
    expect_error(
        api,
        409,
        "HAS_ACTIVE_APPLICATIONS",
        (memo, inv),
        lambda: api.post(f"/invoices/{inv['id']}/actions/convert-to-credit", {}),
    )


# ---------------------------------------------------------------- direct invocation


def _pascal(code: str) -> str:
    return "".join(part.capitalize() for part in code.split("_"))


def _raised(logical_id: str, payload: dict[str, Any]) -> Exception:
    with pytest.raises(Exception) as caught:
        invoke(logical_id, payload)
    return caught.value


def test_direct_invocation_raises_pascal_case_errors(api: Api) -> None:
    memo = invoke(
        "CreateCreditMemoFunction",
        {
            "billingAccountId": ACCOUNT,
            "currency": "USD",
            "charges": [{"chargeAmount": "30.00", "productName": "p"}],
        },
    )
    inv = invoke(
        "CreateInvoiceFunction",
        {"billingAccountId": ACCOUNT, "currency": "USD", "lines": [{"chargeAmount": "100.00"}]},
    )
    before = state(api, (memo, inv))
    cases = [
        (
            "ApplyCreditMemoFunction",
            {"creditMemoId": memo["id"], "applications": [{"invoiceId": inv["id"], "amount": "30.01"}]},
            "INSUFFICIENT_BALANCE",
        ),
        (
            "ApplyCreditMemoFunction",
            {"creditMemoId": memo["id"], "applications": [{"invoiceId": inv["id"], "amount": 1.001}]},
            "VALIDATION_ERROR",
        ),
        (
            "ApplyCreditMemoFunction",
            {"creditMemoId": memo["id"], "applications": [{"invoiceId": "inv_0000000000000000000000000"}]},
            "NOT_FOUND",
        ),
        ("ReadCreditMemosFunction", {"creditMemoId": "cm_00000000000000000000000000"}, "NOT_FOUND"),
        ("ReadInvoicesFunction", {"invoiceId": "bad id!"}, "NOT_FOUND"),
        (
            "CreateInvoiceFunction",
            {"billingAccountId": ACCOUNT, "currency": "USD", "lines": []},
            "VALIDATION_ERROR",
        ),
        (
            "CreateInvoiceFunction",
            {"billingAccountId": ACCOUNT, "currency": "XYZ", "lines": [{"chargeAmount": 1}]},
            "VALIDATION_ERROR",
        ),
        ("PostInvoiceFunction", {"invoiceId": inv["id"]}, "INVALID_STATUS"),
        (
            "ApplyCreditMemoLineFunction",
            {
                "creditMemoId": memo["id"],
                "creditMemoLineId": memo["lines"][0]["id"],
                "applications": [{"invoiceId": inv["id"], "invoiceLineId": inv["lines"][0]["id"]}],
            },
            "LEVEL_MISMATCH",
        ),
        ("ConvertNegativeInvoiceLinesFunction", {"invoiceId": inv["id"]}, "VALIDATION_ERROR"),
        ("ApplyCreditMemoFunction", {"applications": [{"invoiceId": inv["id"]}]}, "VALIDATION_ERROR"),
    ]
    for logical_id, payload, code in cases:
        error = _raised(logical_id, payload)
        assert type(error).__name__ == _pascal(code), (logical_id, payload, error)
        assert getattr(error, "error_code", None) == code
        assert "Traceback" not in str(error) and TABLE_NAME not in str(error)
    assert state(api, (memo, inv)) == before
    # A success returns the HTTP body; then once-only actions raise by name.
    result = invoke(
        "ApplyCreditMemoFunction", {"creditMemoId": memo["id"], "applications": [{"invoiceId": inv["id"]}]}
    )
    record = result["applications"][0]
    assert result["creditMemo"]["balance"] == "0.00" and record["amount"] == "30.00"
    assert (
        type(_raised("VoidCreditMemoFunction", {"creditMemoId": memo["id"]})).__name__
        == "HasActiveApplications"
    )
    invoke("UnapplyCreditMemoApplicationFunction", {"applicationId": record["id"]})
    error = _raised("UnapplyCreditMemoApplicationFunction", {"applicationId": record["id"]})
    assert type(error).__name__ == "AlreadyUnapplied"
    other = invoke(
        "CreateCreditMemoFunction",
        {
            "billingAccountId": "acct-9",
            "currency": "USD",
            "charges": [{"chargeAmount": 5, "productName": "p"}],
        },
    )
    error = _raised(
        "ApplyCreditMemoFunction", {"creditMemoId": other["id"], "applications": [{"invoiceId": inv["id"]}]}
    )
    assert type(error).__name__ == "AccountMismatch"


def test_path_ids_are_checked_against_the_id_pattern() -> None:
    # The NOT_FOUND tests above rely on these ids being syntactically impossible.
    assert not ID_RE.match(" bad id") and not ID_RE.match("x" * 200) and not ID_RE.match("bad id!")


def test_a_document_whose_total_reaches_10_to_the_15_is_a_422(api: Api) -> None:
    """Each line below the limit, the sum at or above it; nothing is stored."""
    half = "500000000000000.00"
    r = api.post(
        "/invoices",
        {"billingAccountId": "acct-big", "currency": "USD", "lines": [{"chargeAmount": half}] * 2},
    )
    assert (r.status, r.body["errorCode"], r.body["details"]) == (
        422,
        "VALIDATION_ERROR",
        [{"field": "lines"}],
    )
    r = api.post(
        "/invoices",
        {
            "billingAccountId": "acct-big",
            "currency": "USD",
            "lines": [{"chargeAmount": "999999999999999.99", "taxAmount": "0.01"}],
        },
    )
    assert (r.status, r.body["details"]) == (422, [{"field": "lines[0]"}]), r
    r = api.post(
        "/credit-memos",
        {
            "billingAccountId": "acct-big",
            "currency": "USD",
            "charges": [{"chargeAmount": half, "productName": "p"}] * 2,
        },
    )
    assert (r.status, r.body["errorCode"], r.body["details"]) == (
        422,
        "VALIDATION_ERROR",
        [{"field": "charges"}],
    )
    assert api.get("/invoices", query={"billingAccountId": "acct-big"}).body["items"] == []
    assert api.get("/credit-memos", query={"billingAccountId": "acct-big"}).body["items"] == []
    ok = api.post(
        "/invoices",
        {
            "billingAccountId": "acct-big",
            "currency": "USD",
            "lines": [{"chargeAmount": "999999999999999.98"}, {"chargeAmount": "0.01"}],
        },
    )
    assert ok.status == 201 and ok.body["totalAmountWithTax"] == "999999999999999.99", ok
