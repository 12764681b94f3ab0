"""Hostile input: every answer is a clear 4xx, nothing leaks, nothing half-writes."""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3
import pytest

from tests.builders import invoice_body
from tests.harness import TABLE_NAME, Api

ACCOUNT = "acct-hostile"


def _item_count() -> int:
    return boto3.client("dynamodb", region_name="us-east-1").scan(TableName=TABLE_NAME, Select="COUNT")[
        "Count"
    ]


def _invoice_body(**overrides: Any) -> dict[str, Any]:
    return invoice_body("10.00", account=ACCOUNT, **overrides)


def _assert_clean_error(result: Any, status: int, code: str) -> None:
    assert result.status == status, result
    assert result.body["errorCode"] == code, result
    text = json.dumps(result.body)
    for leak in ("Traceback", "botocore", TABLE_NAME, 'File "', "dynamodb"):
        assert leak not in text, (leak, text)


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        ("x" * 1_100_000, 413, "PAYLOAD_TOO_LARGE"),
        ("[" * 5000 + "]" * 5000, 400, "BAD_REQUEST"),
        ('{"billingAccountId": "a", ' * 3, 400, "BAD_REQUEST"),
        ("", 422, "VALIDATION_ERROR"),
        ("null", 422, "VALIDATION_ERROR"),
        ("[]", 422, "VALIDATION_ERROR"),
        ('"just a string"', 422, "VALIDATION_ERROR"),
    ],
    ids=["huge", "deep", "truncated", "empty", "null", "array", "string"],
)
def test_malformed_bodies(api: Api, raw: str, status: int, code: str) -> None:
    before = _item_count()
    _assert_clean_error(api.post("/invoices", raw_body=raw), status, code)
    assert _item_count() == before


@pytest.mark.parametrize(
    "amount",
    [
        "NaN",
        "Infinity",
        "-Infinity",
        "1e400",
        "1E+15",
        "1000000000000000",
        "0x10",
        "1,00",
        " 1.00",
        "1.001",
        "",
        True,
    ],
)
def test_bad_amounts_are_422(api: Api, amount: Any) -> None:
    before = _item_count()
    _assert_clean_error(
        api.post("/invoices", _invoice_body(lines=[{"chargeAmount": amount}])), 422, "VALIDATION_ERROR"
    )
    assert _item_count() == before


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400"])
def test_non_finite_json_numbers_are_422(api: Api, literal: str) -> None:
    raw = f'{{"billingAccountId": "{ACCOUNT}", "currency": "USD", "lines": [{{"chargeAmount": {literal}}}]}}'
    _assert_clean_error(api.post("/invoices", raw_body=raw), 422, "VALIDATION_ERROR")


def test_negative_zero_is_zero(api: Api) -> None:
    r = api.post(
        "/invoices",
        _invoice_body(lines=[{"chargeAmount": "-0.00", "taxAmount": "-0"}, {"chargeAmount": "1"}]),
    )
    assert r.status == 201, r
    assert r.body["lines"][0]["chargeAmount"] == "0.00" and r.body["lines"][0]["balance"] == "0.00"
    memo = api.post(
        "/credit-memos",
        {
            "billingAccountId": ACCOUNT,
            "currency": "USD",
            "charges": [{"chargeAmount": "-0", "productId": "p"}],
        },
    )
    _assert_clean_error(memo, 422, "VALIDATION_ERROR")


def test_ten_thousand_lines_are_rejected_whole(api: Api) -> None:
    before = _item_count()
    lines = [{"chargeAmount": "1.00"}] * 10_000
    _assert_clean_error(api.post("/invoices", _invoice_body(lines=lines)), 422, "VALIDATION_ERROR")
    assert _item_count() == before


def test_unicode_round_trips_and_control_characters_are_refused(api: Api) -> None:
    text = "Gutschrift für Ärger \u2013 返金 🧾 \u202ertl"  # en dash, right-to-left override
    ok = api.post("/invoices", _invoice_body(lines=[{"chargeAmount": "5.00", "description": text}]))
    assert ok.status == 201 and ok.body["lines"][0]["description"] == text
    assert api.get(f"/invoices/{ok.body['id']}").body["lines"][0]["description"] == text
    for bad in ["bell\x07", "nul\x00", "esc\x1b[31m", "\ud800 lone surrogate"]:
        r = api.post("/invoices", _invoice_body(lines=[{"chargeAmount": "5.00", "description": bad}]))
        _assert_clean_error(r, 422, "VALIDATION_ERROR")


@pytest.mark.parametrize(
    "value",
    [
        "' OR 1=1 --",
        '{"$ne": null}',
        "acct#INVOICE",
        "../../etc/passwd",
        "a" * 129,
        "",
        " acct",
        12345,
        None,
        ["a"],
    ],
)
def test_hostile_billing_account_ids(api: Api, value: Any) -> None:
    before = _item_count()
    _assert_clean_error(api.post("/invoices", _invoice_body(billingAccountId=value)), 422, "VALIDATION_ERROR")
    assert _item_count() == before
    listing = api.get("/invoices", query={"billingAccountId": str(value)})
    assert listing.status == 422 or listing.body["items"] == [], listing


def test_injection_looking_text_is_just_text(api: Api) -> None:
    text = '\'; DROP TABLE invoices; -- {"$where": "1==1"} ${jndi:ldap://x}'
    r = api.post("/invoices", _invoice_body(lines=[{"chargeAmount": "1.00", "productName": text}]))
    assert r.status == 201 and r.body["lines"][0]["productName"] == text


@pytest.mark.parametrize(
    "path",
    [
        "/invoices/%27%20OR%201%3D1",
        "/invoices/" + "x" * 300,
        "/credit-memos/%24ne",
        "/credit-memos/..%2F..%2Fetc",
        "/credit-memo-applications/123/actions/unapply",
        "/credit-memo-applications/app_x.notanumber/actions/unapply",
    ],
)
def test_ids_of_other_shapes_are_not_found(api: Api, path: str) -> None:
    method = "POST" if path.endswith("unapply") else "GET"
    _assert_clean_error(api.request(method, path, {} if method == "POST" else None), 404, "NOT_FOUND")


def test_ids_of_other_types_in_bodies_are_422(api: Api) -> None:
    memo = api.post(
        "/credit-memos",
        {
            "billingAccountId": ACCOUNT,
            "currency": "USD",
            "charges": [{"chargeAmount": "5", "productId": "p"}],
        },
    ).body
    for invoice_id in [123, None, {"id": "x"}, ["x"], True]:
        r = api.post(
            f"/credit-memos/{memo['id']}/actions/apply", {"applications": [{"invoiceId": invoice_id}]}
        )
        _assert_clean_error(r, 422, "VALIDATION_ERROR")
    assert api.get(f"/credit-memos/{memo['id']}").body["balance"] == "5.00"


def test_unknown_fields_are_refused(api: Api) -> None:
    _assert_clean_error(api.post("/invoices", _invoice_body(balance="-999")), 422, "VALIDATION_ERROR")


def test_binary_body_that_is_not_utf8_is_400(api: Api) -> None:
    from infra.local.lambda_runtime import FakeLambdaContext
    from tests.harness import handler_for, template

    event = {
        "resource": "/invoices",
        "path": "/invoices",
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"Content-Type": ["application/json"]},
        "queryStringParameters": None,
        "pathParameters": None,
        "requestContext": {
            "requestId": "r1",
            "stage": "v1",
            "resourcePath": "/invoices",
            "httpMethod": "POST",
        },
        "body": base64.b64encode(b"\xff\xfe{}").decode(),
        "isBase64Encoded": True,
    }
    result = handler_for("CreateInvoiceFunction")(
        event, FakeLambdaContext(template().find_function("CreateInvoiceFunction"))
    )
    assert result["statusCode"] == 400 and json.loads(result["body"])["errorCode"] == "BAD_REQUEST"


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "multipart/form-data",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded",
    ],
)
def test_bodies_that_are_not_json_are_415(api: Api, content_type: str) -> None:
    invoice = api.post("/invoices", _invoice_body()).body
    for path in (
        "/invoices",
        f"/invoices/{invoice['id']}/actions/post",
        f"/invoices/{invoice['id']}/actions/credit",
    ):
        r = api.post(path, raw_body="{}", headers={"Content-Type": content_type})
        _assert_clean_error(r, 415, "UNSUPPORTED_MEDIA_TYPE")
