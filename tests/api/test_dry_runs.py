"""Dry runs over HTTP (spec section 10): the header, null ids and numbers, the same refusals, and
a table exactly as it was (no document, number, idempotency record or outbox item)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest
from credit_memos.errors import ValidationError
from jsonschema import Draft202012Validator

from tests.builders import create_invoice, create_memo, invoice_body, memo_body
from tests.harness import TABLE_NAME, Api, invoke

DRY = {"dryRun": "true"}


def _table() -> list[dict[str, Any]]:
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(TABLE_NAME)
    return sorted(table.scan()["Items"], key=lambda item: (item["pk"], item["sk"]))


_DIFFERING = ("id", "documentNumber", "appliedDate", "unappliedDate")


def _aside(body: Any) -> Any:
    """``body`` with its ids, document number and times null (a dry run and a real call differ there)."""
    if isinstance(body, dict):
        return {
            name: None if name in _DIFFERING or name.endswith("At") else _aside(value)
            for name, value in body.items()
        }
    if isinstance(body, list):
        return [_aside(value) for value in body]
    return body


def _success_schema(path: str) -> Draft202012Validator:
    """The OpenAPI document's schema of the 2xx answer of POST ``path`` (a concrete path)."""
    document = json.loads((Path(__file__).resolve().parents[2] / "openapi.json").read_text())
    for template, item in document["paths"].items():
        if "post" in item and re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path):
            (success,) = [r for status, r in item["post"]["responses"].items() if status.startswith("2")]
            schema = success["content"]["application/json"]["schema"]
            return Draft202012Validator({**schema, "components": document["components"]})
    raise AssertionError(f"no POST route for {path}")


def test_a_dry_create_answers_200_with_null_ids_and_writes_nothing(api: Api) -> None:
    before = _table()
    dry = api.post("/credit-memos", memo_body("30.00", "12.50"), query=DRY)
    assert dry.status == 200, dry
    assert dry.headers.get("Dry-Run") == "true"
    assert dry.body["id"] is None and dry.body["documentNumber"] is None
    assert [line["id"] for line in dry.body["lines"]] == [None, None]
    assert _table() == before
    real = api.post("/credit-memos", memo_body("30.00", "12.50"))
    assert real.status == 201 and "Dry-Run" not in real.headers
    assert _aside(dry.body) == _aside(real.body)


def test_a_dry_posting_takes_no_number(api: Api) -> None:
    first = create_memo(api, "10.00")
    draft = create_memo(api, "20.00", status="Draft")
    before = _table()
    dry = api.post(f"/credit-memos/{draft['id']}/actions/post", query=DRY)
    assert dry.status == 200 and dry.headers.get("Dry-Run") == "true"
    assert dry.body["status"] == "Posted" and dry.body["id"] == draft["id"]
    assert dry.body["documentNumber"] is None
    assert _table() == before
    real = api.post(f"/credit-memos/{draft['id']}/actions/post")
    assert real.status == 200
    assert int(real.body["documentNumber"][-6:]) == int(first["documentNumber"][-6:]) + 1
    assert _aside(real.body) == _aside(dry.body)


def test_a_dry_apply_under_a_key_stores_no_record_and_the_key_stays_unused(api: Api) -> None:
    invoice, memo = create_invoice(api, "100.00"), create_memo(api, "30.00")
    body = {"applications": [{"invoiceId": invoice["id"], "amount": "20.00"}]}
    path = f"/credit-memos/{memo['id']}/actions/apply"
    key = {"Idempotency-Key": "dry-apply-1"}
    before = _table()
    dry = api.post(path, body, headers=key, query=DRY)
    assert dry.status == 200 and dry.headers.get("Dry-Run") == "true"
    assert "Idempotent-Replayed" not in dry.headers
    assert [record["id"] for record in dry.body["applications"]] == [None]
    assert dry.body["creditMemo"]["balance"] == "10.00"
    assert _table() == before
    real = api.post(path, body, headers=key)
    assert real.status == 200 and "Idempotent-Replayed" not in real.headers  # a first use, not a replay
    assert _aside(real.body) == _aside(dry.body)
    # Now that the key is used, a dry run answers what the call would: its replay.
    again = api.post(path, body, headers=key, query=DRY)
    assert again.status == 200 and again.body == real.body
    assert again.headers.get("Idempotent-Replayed") == "true" and again.headers.get("Dry-Run") == "true"


def test_a_refusal_is_the_real_calls_and_a_dry_refusal_stores_nothing(api: Api) -> None:
    invoice, memo = create_invoice(api, "100.00"), create_memo(api, "30.00")
    body = {"applications": [{"invoiceId": invoice["id"], "amount": "50.00"}]}
    path = f"/credit-memos/{memo['id']}/actions/apply"
    before = _table()
    dry = api.post(path, body, headers={"Idempotency-Key": "over-1"}, query=DRY)
    assert _table() == before  # a real call would have stored the rejection under its key
    real = api.post(path, body, headers={"Idempotency-Key": "over-1"})
    assert dry.status == real.status == 409
    assert dry.body == real.body
    assert "Dry-Run" not in dry.headers


def test_every_money_moving_post_takes_dry_run(api: Api) -> None:
    invoice = create_invoice(api, "300.00", "-100.00", "50.00", level="InvoiceLine")
    memo = create_memo(api, "80.00")
    draft_invoice = create_invoice(api, "10.00", status="Draft")
    unapplied_memo = create_memo(api, "5.00")
    applied = api.post(
        f"/credit-memos/{memo['id']}/lines/{memo['lines'][0]['id']}/actions/apply",
        {
            "applications": [
                {"invoiceId": invoice["id"], "invoiceLineId": invoice["lines"][0]["id"], "amount": "5.00"}
            ]
        },
    )
    assert applied.status == 200, applied
    payment = api.post(
        f"/invoices/{invoice['id']}/actions/record-payment", {"amount": "1.00", "paymentReference": "p-1"}
    )
    assert payment.status == 201, payment
    converted = create_invoice(api, "40.00", "-15.00")
    calls: list[tuple[str, Any]] = [
        ("/invoices", invoice_body("10.00")),
        ("/credit-memos", memo_body("10.00")),
        (
            f"/invoices/{invoice['id']}/actions/credit",
            {
                "taxStrategy": "Ignore",
                "invoiceLines": [{"invoiceLineId": invoice["lines"][2]["id"], "amountToCredit": "5.00"}],
            },
        ),
        (f"/invoices/{converted['id']}/actions/convert-to-credit", None),
        (f"/invoices/{draft_invoice['id']}/actions/post", None),
        (f"/credit-memos/{unapplied_memo['id']}/actions/void", None),
        (f"/invoices/{invoice['id']}/actions/record-payment", {"amount": "2.00", "paymentReference": "p-2"}),
        (
            "/invoices/actions/write-off",
            {"invoices": [{"invoiceId": invoice["id"], "reasonCode": "BadDebt"}]},
        ),
        (f"/invoice-payments/{payment.body['id']}/actions/reverse", None),
        (
            f"/credit-memo-line-applications/{applied.body['applications'][0]['id']}/actions/unapply",
            None,
        ),
    ]
    before = _table()
    for path, body in calls:
        dry = api.post(path, body, query=DRY)
        assert dry.status == 200, (path, dry)
        if dry.status == 200:
            assert dry.headers.get("Dry-Run") == "true", path
            # The null ids are declared: the answer is valid by the route's response schema.
            errors = [e.message for e in _success_schema(path).iter_errors(dry.body)]
            assert errors == [], (path, errors)
    assert _table() == before


@pytest.mark.parametrize("value", [True, False])
def test_direct_invocation_takes_dry_run_in_the_payload(api: Api, value: bool) -> None:
    before = _table()
    body = invoke("CreateCreditMemoFunction", {**memo_body("15.00"), "dryRun": value})
    assert (body["id"] is None) is value
    assert (_table() == before) is value


def test_a_dry_run_that_is_not_a_boolean_is_refused(api: Api) -> None:
    assert api.post("/credit-memos", memo_body("15.00"), query={"dryRun": "maybe"}).status == 422
    with pytest.raises(ValidationError, match="dryRun"):
        invoke("CreateCreditMemoFunction", {**memo_body("15.00"), "dryRun": "yes"})
