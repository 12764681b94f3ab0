"""The Salesforce-compatible surface over HTTP (spec section 13): Revenue Cloud Billing's documented
example requests, with this service's ids substituted, answer the documented envelopes, and the
balances and records they produce are checked through the native API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.builders import create_invoice, create_memo
from tests.harness import Api, HttpResult

V = "/services/data/v67.0"
INVOICING = f"{V}/commerce/invoicing"


def post_raw(api: Api, path: str, text: str, **kwargs: Any) -> HttpResult:
    """A body sent as written: JSON numbers stay numbers."""
    return api.post(path, raw_body=text, **kwargs)


def memo_of(api: Api, memo_id: str) -> dict[str, Any]:
    r = api.get(f"/credit-memos/{memo_id}")
    assert r.status == 200, r
    return r.body


def invoice_of(api: Api, invoice_id: str) -> dict[str, Any]:
    r = api.get(f"/invoices/{invoice_id}")
    assert r.status == 200, r
    return r.body


# ---------------------------------------------------------------- the apply page's worked example


def test_ten_tablets_six_defective_a_3000_memo_applied(api: Api) -> None:
    invoice = create_invoice(
        api, {"chargeAmount": "5000.00", "productName": "Tablet", "description": "10 tablets at 500"}
    )
    generate = post_raw(
        api,
        f"{INVOICING}/credit-memos/actions/generate",
        json.dumps(
            {
                "billingAccountId": "acct-1",
                "type": "Posted",
                "description": "6 defective tablets",
                "currencyIsoCode": "USD",
                "taxStrategy": "Ignore",
                "charges": [{"chargeAmount": 3000, "productId": "tablet"}],
            }
        ),
    )
    assert generate.status == 201, generate
    memo_id = generate.body["creditMemoId"]
    assert generate.body == {
        "success": True,
        "requestIdentifier": memo_id,
        "errors": None,
        "creditMemoId": memo_id,
    }
    assert memo_of(api, memo_id)["balance"] == "3000.00"

    apply = post_raw(
        api,
        f"{INVOICING}/credit-memos/{memo_id}/actions/apply",
        json.dumps(
            {"applications": [{"appliedToId": invoice["id"], "amount": 3000, "description": "defective"}]}
        ),
    )
    assert apply.status == 200, apply
    [result] = apply.body["applyCreditResults"]
    assert result["appliedToId"] == invoice["id"] and result["success"] is True and result["errors"] is None
    assert invoice_of(api, invoice["id"])["balance"] == "2000.00"
    assert memo_of(api, memo_id)["balance"] == "0.00"
    history = api.get(f"/credit-memos/{memo_id}/applications").body["items"]
    assert [(r["id"], r["amount"], r["type"]) for r in history] == [(result["id"], "3000.00", "Applied")]


# ---------------------------------------------------------------- each resource's documented example


def test_generate_manual_override_reads_7_25_exactly(api: Api) -> None:
    body = (
        '{"billingAccountId": "acct-1", "description": "creditmemo-1", "currencyIsoCode": "USD",'
        ' "taxStrategy": "ManualOverride",'
        ' "charges": [{"productId": "01tDU000000EpKkYAK", "chargeAmount": 1000,'
        ' "taxes": [{"taxAmount": 7.25, "taxCode": "CA-94121", "taxName": "CALIFORNIA", "taxRate": 0.25}]}]}'
    )
    r = post_raw(api, f"{INVOICING}/credit-memos/actions/generate", body)
    assert r.status == 201, r
    memo = memo_of(api, r.body["creditMemoId"])
    assert memo["totalTaxAmount"] == "7.25" and memo["totalAmountWithTax"] == "1007.25"
    assert memo["lines"][0]["taxes"][0]["taxRate"] == "0.25"


def test_generate_accepts_manual_override_with_a_space_and_ignores_salesforce_only_fields(api: Api) -> None:
    r = api.post(
        f"{INVOICING}/credit-memos/actions/generate",
        {
            "billingAccountId": "acct-1",
            "currencyIsoCode": "USD",
            "taxStrategy": "Manual Override",
            "type": "DRAFT",
            "billToContactId": "003xx",
            "externalReferenceDataSource": "ERP",
            "taxEffectiveDate": "2024-07-20",
            "charges": [
                {"chargeAmount": "10", "productId": "p", "treatmentId": "1tt", "taxes": [{"taxAmount": "1"}]}
            ],
        },
    )
    assert r.status == 201, r
    memo = memo_of(api, r.body["creditMemoId"])
    assert memo["status"] == "Draft" and memo["totalAmountWithTax"] == "11.00"


def test_generate_ignore_drops_the_taxes(api: Api) -> None:
    r = api.post(
        f"{INVOICING}/credit-memos/actions/generate",
        {
            "billingAccountId": "acct-1",
            "currencyIsoCode": "USD",
            "taxStrategy": "Ignore",
            "charges": [{"chargeAmount": "10", "productId": "p", "taxes": [{"taxAmount": "1"}]}],
        },
    )
    assert r.status == 201, r
    assert memo_of(api, r.body["creditMemoId"])["totalAmountWithTax"] == "10.00"


def test_credit_copy_from_invoice_line_example(api: Api) -> None:
    invoice = create_invoice(api, ("100.00", "10.00"))
    line_id = invoice["lines"][0]["id"]
    r = api.post(
        f"{INVOICING}/invoices/{invoice['id']}/actions/credit",
        {
            "type": "POSTED",
            "taxStrategy": "CopyFromInvoiceLine",
            "effectiveDate": "2020-05-22",
            "description": "Credit Invoice",
            "invoiceLines": [
                {"invoiceLineId": line_id, "amountToCredit": "5", "taxStrategy": "CopyFromInvoiceLine"}
            ],
        },
    )
    assert r.status == 201, r
    memo_id = r.body["creditMemoId"]
    assert r.body == {
        "success": True,
        "requestIdentifier": memo_id,
        "statusURL": f"{V}/sobjects/AsyncOperationTracker/{memo_id}",
        "errors": [],
        "referenceLineType": "InvoiceLine",
        "referenceLineErrorResults": [],
        "creditMemoId": memo_id,
    }
    assert memo_of(api, memo_id)["totalAmountWithTax"] == "5.50"
    assert invoice_of(api, invoice["id"])["balance"] == "104.50"

    status = api.get(r.body["statusURL"])
    assert status.status == 200, status
    assert status.body["Status"] == "Completed" and status.body["creditMemoId"] == memo_id


def test_credit_refuses_calculate_naming_the_tax_engine(api: Api) -> None:
    invoice = create_invoice(api, "100.00")
    r = post_raw(
        api,
        f"{INVOICING}/invoices/{invoice['id']}/actions/credit",
        json.dumps(
            {
                "type": "POSTED",
                "taxStrategy": "Calculate",
                "invoiceLines": [{"invoiceLineId": invoice["lines"][0]["id"], "amountToCredit": 5}],
            }
        ),
    )
    assert r.status == 422, r
    assert r.body["success"] is False and r.body["creditMemoId"] is None and r.body["statusURL"] == ""
    [error] = r.body["errors"]
    assert error["errorCode"] == "VALIDATION_ERROR" and "tax engine" in error["message"]
    assert invoice_of(api, invoice["id"])["balance"] == "100.00"


def test_credit_over_the_line_groups_the_error_under_the_invoice_line(api: Api) -> None:
    invoice = create_invoice(api, "100.00")
    line_id = invoice["lines"][0]["id"]
    r = post_raw(
        api,
        f"{INVOICING}/invoices/{invoice['id']}/actions/credit",
        json.dumps(
            {"taxStrategy": "Ignore", "invoiceLines": [{"invoiceLineId": line_id, "amountToCredit": 5.001}]}
        ),
    )
    assert r.status == 422, r
    assert r.body["referenceLineErrorResults"][0]["referenceLineId"] == line_id
    assert invoice_of(api, invoice["id"])["balance"] == "100.00"


def test_apply_example_two_invoices_in_order(api: Api) -> None:
    first, second = create_invoice(api, "50.00"), create_invoice(api, "200.00")
    memo = create_memo(api, "300.00")
    r = post_raw(
        api,
        f"{INVOICING}/credit-memos/{memo['id']}/actions/apply",
        json.dumps(
            {
                "applications": [
                    {
                        "appliedToId": first["id"],
                        "amount": 10,
                        "description": "Apply to invoice for refund",
                        "effectiveDate": "2024-07-01",
                    },
                    {"appliedToId": second["id"], "amount": 100},
                ]
            }
        ),
    )
    assert r.status == 200, r
    results = r.body["applyCreditResults"]
    assert [(x["appliedToId"], x["success"], x["errors"]) for x in results] == [
        (first["id"], True, None),
        (second["id"], True, None),
    ]
    assert invoice_of(api, first["id"])["balance"] == "40.00"
    assert invoice_of(api, second["id"])["balance"] == "100.00"
    assert memo_of(api, memo["id"])["balance"] == "190.00"


def test_line_apply_example_and_line_unapply(api: Api) -> None:
    invoice = create_invoice(api, "50.00", "80.00", level="InvoiceLine")
    memo = create_memo(api, "100.00")
    memo_line = f"{memo['id']}.{memo['lines'][0]['id']}"
    lines = [f"{invoice['id']}.{line['id']}" for line in invoice["lines"]]
    r = post_raw(
        api,
        f"{INVOICING}/credit-memo-lines/{memo_line}/actions/apply",
        json.dumps(
            {
                "applyCreditDetails": [
                    {
                        "invoiceLineId": lines[0],
                        "appliedAmount": 5,
                        "description": "Apply to invoice line 1",
                        "effectiveDate": "2024-07-01",
                    },
                    {
                        "invoiceLineId": lines[1],
                        "appliedAmount": 10,
                        "description": "Apply to invoice line 2",
                        "effectiveDate": "2024-07-01",
                    },
                ]
            }
        ),
    )
    assert r.status == 200, r
    responses = r.body["appliedCreditResponses"]
    assert [(x["invoiceLineId"], x["success"]) for x in responses] == [(lines[0], True), (lines[1], True)]
    lines_after = invoice_of(api, invoice["id"])["lines"]
    assert [line["balance"] for line in lines_after] == ["45.00", "70.00"]

    record_id = responses[1]["creditMemoLineInvoiceLineId"]
    u = api.post(
        f"{INVOICING}/credit-memo-line-invoice-line/{record_id}/actions/unapply",
        {"description": "Unapply a credit memo line from invoice line 1", "effectiveDate": "2024-07-01"},
    )
    assert u.status == 200, u
    assert u.body["success"] is True and u.body["errors"] == []
    assert (
        api.get(f"/credit-memo-line-applications/{u.body['creditMemoLineInvoiceLineId']}").body["type"]
        == "Unapplied"
    )
    assert invoice_of(api, invoice["id"])["balance"] == "125.00"  # 130 - 15 + 10


def test_unapply_example(api: Api) -> None:
    invoice = create_invoice(api, "100.00")
    memo = create_memo(api, "30.00")
    applied = api.post(
        f"{INVOICING}/credit-memos/{memo['id']}/actions/apply",
        {"applications": [{"appliedToId": invoice["id"], "amount": "30"}]},
    ).body["applyCreditResults"][0]["id"]
    r = api.post(
        f"{INVOICING}/credit-memo-inv-applications/{applied}/actions/unapply",
        {"description": "Unapply credit memo from invoice to revert an error", "effectiveDate": "2024-07-01"},
    )
    assert r.status == 200, r
    assert r.body["success"] is True and r.body["errors"] == [] and r.body["id"] != applied
    assert api.get(f"/credit-memo-applications/{r.body['id']}").body["type"] == "Unapplied"
    assert invoice_of(api, invoice["id"])["balance"] == "100.00"
    assert memo_of(api, memo["id"])["balance"] == "30.00"

    again = api.post(f"{INVOICING}/credit-memo-inv-applications/{applied}/actions/unapply", {})
    assert again.status == 409, again
    assert again.body == {"id": None, "success": False, "errors": [again.body["errors"][0]]}
    assert again.body["errors"][0]["errorCode"] == "ALREADY_UNAPPLIED"


def test_convert_example(api: Api) -> None:
    invoice = create_invoice(api, "300.00", "-100.00")
    negative = invoice["lines"][1]["id"]
    r = api.post(
        f"{INVOICING}/invoices/{invoice['id']}/actions/convert-to-credit",
        {
            "invoiceLines": [negative],
            "description": "Convert negative invoice lines into credit",
            "effectiveDate": "2022-05-18",
        },
    )
    assert r.status == 201, r
    assert r.body["success"] is True and r.body["errors"] == []
    memo = memo_of(api, r.body["id"])
    assert memo["sourceAction"] == "NegativeInvoiceLineConversion" and memo["totalAmountWithTax"] == "100.00"
    assert invoice_of(api, invoice["id"])["balance"] == "200.00"


def test_post_example_then_void_without_a_debit_memo(api: Api) -> None:
    draft = create_memo(api, "25.00", status="Draft")
    r = api.post(f"{INVOICING}/credit/collection/actions/post", {"creditMemoIds": [draft["id"]]})
    assert r.status == 200, r
    assert r.body == {
        "success": True,
        "requestIdentifier": draft["id"],
        "statusURL": f"{V}/sobjects/AsyncOperationTracker/{draft['id']}",
        "errors": [],
    }
    assert memo_of(api, draft["id"])["status"] == "Posted"

    v = api.post(f"{V}/commerce/billing/credit-memos/{draft['id']}/actions/void")
    assert v.status == 200, v
    assert v.body == {
        "success": True,
        "statusURL": f"{V}/sobjects/AsyncOperationTracker/{draft['id']}",
        "debitMemoId": None,
        "errors": None,
    }
    memo = memo_of(api, draft["id"])
    assert memo["status"] == "Voided" and memo["balance"] == "0.00"
    assert api.get(v.body["statusURL"]).body["creditMemoStatus"] == "Voided"


# ---------------------------------------------------------------- error envelopes


def test_post_refuses_more_than_one_memo(api: Api) -> None:
    a, b = create_memo(api, "1.00", status="Draft"), create_memo(api, "1.00", status="Draft")
    r = api.post(f"{INVOICING}/credit/collection/actions/post", {"creditMemoIds": [a["id"], b["id"]]})
    assert r.status == 422, r
    assert r.body["success"] is False and r.body["statusURL"] == "" and r.body["requestIdentifier"] is None
    assert r.body["errors"][0]["errorCode"] == "VALIDATION_ERROR"
    assert memo_of(api, a["id"])["status"] == "Draft"


def test_void_of_a_draft_is_invalid_status_in_the_void_envelope(api: Api) -> None:
    draft = create_memo(api, "1.00", status="Draft")
    r = api.post(f"{V}/commerce/billing/credit-memos/{draft['id']}/actions/void")
    assert r.status == 409, r
    assert r.body == {"success": False, "statusURL": "", "debitMemoId": None, "errors": r.body["errors"]}
    assert r.body["errors"][0]["errorCode"] == "INVALID_STATUS"


def test_apply_of_a_missing_memo_is_not_found_per_application(api: Api) -> None:
    invoice = create_invoice(api, "10.00")
    r = api.post(
        f"{INVOICING}/credit-memos/cm_missing/actions/apply",
        {"applications": [{"appliedToId": invoice["id"], "amount": "1"}]},
    )
    assert r.status == 404, r
    [result] = r.body["applyCreditResults"]
    assert result["appliedToId"] == invoice["id"] and result["success"] is False and result["id"] is None
    assert result["errors"][0]["errorCode"] == "NOT_FOUND"


def test_apply_over_the_balance_is_insufficient_balance_and_nothing_is_applied(api: Api) -> None:
    first, second = create_invoice(api, "10.00"), create_invoice(api, "10.00")
    memo = create_memo(api, "15.00")
    r = api.post(
        f"{INVOICING}/credit-memos/{memo['id']}/actions/apply",
        {
            "applications": [
                {"appliedToId": first["id"], "amount": "10"},
                {"appliedToId": second["id"], "amount": "10"},
            ]
        },
    )
    assert r.status == 409, r
    assert [x["success"] for x in r.body["applyCreditResults"]] == [False, False]
    assert r.body["applyCreditResults"][0]["errors"][0]["errorCode"] == "INSUFFICIENT_BALANCE"
    assert (
        invoice_of(api, first["id"])["balance"] == "10.00" and memo_of(api, memo["id"])["balance"] == "15.00"
    )


def test_line_apply_needs_qualified_line_ids(api: Api) -> None:
    memo = create_memo(api, "10.00")
    r = api.post(
        f"{INVOICING}/credit-memo-lines/{memo['lines'][0]['id']}/actions/apply",
        {"applyCreditDetails": [{"invoiceLineId": "inv_1.invl_1", "appliedAmount": 1}]},
    )
    assert r.status == 422, r
    [result] = r.body["appliedCreditResponses"]
    assert result["success"] is False and "{documentId}.{lineId}" in result["errors"][0]["message"]


def test_line_unapply_envelope_on_not_found(api: Api) -> None:
    r = api.post(f"{INVOICING}/credit-memo-line-invoice-line/app_missing.0/actions/unapply", {})
    assert r.status == 404, r
    assert r.body["creditMemoLineInvoiceLineId"] is None and r.body["success"] is False
    assert r.body["errors"][0]["errorCode"] == "NOT_FOUND"


def test_convert_of_a_positive_line_is_refused_in_its_envelope(api: Api) -> None:
    invoice = create_invoice(api, "300.00", "-100.00")
    r = api.post(
        f"{INVOICING}/invoices/{invoice['id']}/actions/convert-to-credit",
        {"invoiceLines": [invoice["lines"][0]["id"]]},
    )
    assert r.status == 422, r
    assert r.body["id"] is None and r.body["success"] is False
    assert r.body["errors"][0]["errorCode"] == "VALIDATION_ERROR"


def test_generate_errors(api: Api) -> None:
    path = f"{INVOICING}/credit-memos/actions/generate"
    bad_json = post_raw(api, path, '{"billingAccountId": ')
    assert bad_json.status == 400, bad_json
    assert bad_json.body == {
        "success": False,
        "requestIdentifier": None,
        "errors": bad_json.body["errors"],
        "creditMemoId": None,
    }
    assert bad_json.body["errors"][0]["errorCode"] == "BAD_REQUEST"

    too_precise = post_raw(
        api,
        path,
        '{"billingAccountId": "acct-1", "currencyIsoCode": "USD", "taxStrategy": "Ignore",'
        ' "charges": [{"chargeAmount": 10.005, "productId": "p"}]}',
    )
    assert too_precise.status == 422, too_precise
    assert too_precise.body["errors"][0]["errorCode"] == "VALIDATION_ERROR"

    media = api.post(path, {"billingAccountId": "acct-1"}, headers={"Content-Type": "text/plain"})
    assert media.status == 415 and media.body["errors"][0]["errorCode"] == "UNSUPPORTED_MEDIA_TYPE"
    assert api.get("/credit-memos", query={"billingAccountId": "acct-1"}).body["items"] == []


@pytest.mark.parametrize("version", ["v61.0", "v69.0", "latest"])
def test_versions_outside_62_to_68_are_not_found(api: Api, version: str) -> None:
    r = api.post(
        f"/services/data/{version}/commerce/invoicing/credit/collection/actions/post",
        {"creditMemoIds": ["cm_1"]},
    )
    assert r.status == 404, r
    assert r.body["errors"][0]["errorCode"] == "NOT_FOUND"


@pytest.mark.parametrize("number", range(62, 69))
def test_every_version_from_62_to_68_is_served(api: Api, number: int) -> None:
    draft = create_memo(api, "1.00", status="Draft")
    r = api.post(
        f"/services/data/v{number}.0/commerce/invoicing/credit/collection/actions/post",
        {"creditMemoIds": [draft["id"]]},
    )
    assert r.status == 200, r
    assert r.body["statusURL"] == f"/services/data/v{number}.0/sobjects/AsyncOperationTracker/{draft['id']}"


def test_status_of_an_unknown_request_is_salesforces_error_list(api: Api) -> None:
    r = api.get(f"{V}/sobjects/AsyncOperationTracker/cm_missing")
    assert r.status == 404, r
    assert r.body == [{"errorCode": "NOT_FOUND", "message": r.body[0]["message"]}]


def test_a_retry_with_the_same_key_replays_the_envelope(api: Api) -> None:
    invoice = create_invoice(api, "100.00")
    memo = create_memo(api, "30.00")
    path, body = (
        f"{INVOICING}/credit-memos/{memo['id']}/actions/apply",
        {"applications": [{"appliedToId": invoice["id"], "amount": "10"}]},
    )
    first = api.post(path, body, headers={"Idempotency-Key": "sf-apply-1"})
    again = api.post(path, body, headers={"Idempotency-Key": "sf-apply-1"})
    assert first.status == again.status == 200 and first.body == again.body
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert invoice_of(api, invoice["id"])["balance"] == "90.00"


# ---------------------------------------------------------------- OAuth callers


def post_as_oauth_client(api: Api, client_id: str, path: str, body: Any) -> HttpResult:
    """A request as API Gateway passes it after the Cognito authorizer admitted ``client_id``."""
    from infra.local.api_gateway import RouteMatch, Router, build_event
    from infra.local.lambda_runtime import FakeLambdaContext
    from tests.harness import handler_for, template

    match = Router(template().routes()).match("POST", path)
    assert isinstance(match, RouteMatch)
    event = build_event(
        route=match.route,
        path_parameters=match.path_parameters,
        method="POST",
        raw_path=path,
        query="",
        headers=[("Content-Type", "application/json"), ("Authorization", "Bearer token")],
        body=json.dumps(body).encode(),
        source_ip="203.0.113.10",
    )
    event["requestContext"]["identity"].update(caller=None, userArn=None)
    event["requestContext"]["authorizer"] = {"claims": {"client_id": client_id, "token_use": "access"}}
    function = match.route.function
    result = handler_for(function)(event, FakeLambdaContext(template().find_function(function)))
    return HttpResult(result["statusCode"], {}, json.loads(result["body"]))


@pytest.fixture
def oauth_policy(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """An access policy for OAuth clients, for this test only (the runtime caches the policy)."""
    from credit_memos.api import runtime

    policy = {
        "principals": [
            {"match": "oauth:sync-*", "role": "Operator", "billingAccounts": ["acct-1"]},
            {"match": "oauth:reporting", "role": "Reader", "billingAccounts": ["*"]},
            {"match": "local", "role": "Approver", "billingAccounts": ["*"]},
        ]
    }
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(policy))
    monkeypatch.setenv("ACCESS_POLICY_FILE", str(path))
    runtime.reset()
    yield
    monkeypatch.delenv("ACCESS_POLICY_FILE")
    runtime.reset()


def test_an_oauth_client_is_the_principal_oauth_client_id(api: Api, oauth_policy: None) -> None:
    generate = f"{INVOICING}/credit-memos/actions/generate"
    body = {
        "billingAccountId": "acct-1",
        "currencyIsoCode": "USD",
        "taxStrategy": "Ignore",
        "charges": [{"chargeAmount": "5", "productId": "p"}],
    }

    made = post_as_oauth_client(api, "sync-1", generate, body)
    assert made.status == 201, made
    assert memo_of(api, made.body["creditMemoId"])["createdBy"] == "oauth:sync-1"

    refused = post_as_oauth_client(api, "reporting", generate, body)
    assert refused.status == 403, refused
    assert refused.body["success"] is False and refused.body["errors"][0]["errorCode"] == "FORBIDDEN"
    other_account = post_as_oauth_client(api, "sync-1", generate, {**body, "billingAccountId": "acct-9"})
    assert other_account.status == 403 and other_account.body["errors"][0]["errorCode"] == "FORBIDDEN"


def test_make_run_takes_any_bearer_token(api: Api) -> None:
    draft = create_memo(api, "1.00", status="Draft")
    r = api.post(
        f"{INVOICING}/credit/collection/actions/post",
        {"creditMemoIds": [draft["id"]]},
        headers={"Authorization": "Bearer anything-at-all"},
    )
    assert r.status == 200, r
    assert memo_of(api, draft["id"])["postedBy"] == "local"
