"""Every role against every route (spec section 9), through the real handlers.

The requests are the sample events of ``events/`` (one per route, so a new route is covered as
soon as it has its sample), with their placeholder ids replaced by real documents of account
``acct-ops``. Each principal is named the way the local server names it (``X-Local-Principal``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from credit_memos.api import runtime

from tests.harness import TABLE_NAME, Api, HttpResult

EVENTS = Path(__file__).resolve().parents[2] / "events"
ACCOUNT = "acct-ops"
READER = "arn:aws:iam::111122223333:role/billing-audit"
OPERATOR = "arn:aws:iam::111122223333:role/billing-ops"
ELSEWHERE = "arn:aws:iam::111122223333:role/billing-ops-other"
APPROVER = "arn:aws:iam::111122223333:role/billing-lead"
NOBODY = "arn:aws:iam::111122223333:role/someone-else"
POLICY = {
    "principals": [
        {"match": READER, "role": "Reader", "billingAccounts": ["*"]},
        {"match": OPERATOR, "role": "Operator", "billingAccounts": [ACCOUNT]},
        {"match": ELSEWHERE, "role": "Operator", "billingAccounts": ["other-*"]},
        {"match": APPROVER, "role": "Approver", "billingAccounts": ["*"]},
    ]
}
SAMPLES = sorted(p for p in EVENTS.glob("*/http*.json"))


@pytest.fixture
def policy_api(api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:

    from tests.api.test_documents import SELLER, fake_render

    path = tmp_path / "policy.json"
    path.write_text(json.dumps(POLICY))
    monkeypatch.setenv("ACCESS_POLICY_FILE", str(path))
    # The document route's seller, archive and a stand-in renderer (spec section 12).
    for name, value in {**SELLER, "DOCUMENT_ARCHIVE_DIR": str(tmp_path / "documents")}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("credit_memos.documents.render.render", fake_render)
    runtime.reset()
    yield api
    runtime.reset()


def as_(principal: str) -> dict[str, str]:
    return {"X-Local-Principal": principal}


def ok(result: HttpResult) -> Any:
    assert result.status < 300, result
    return result.body


@pytest.fixture
def ids(policy_api: Api) -> dict[str, str]:
    """Real documents of ``acct-ops`` for every placeholder of the samples."""
    api, lead = policy_api, as_(APPROVER)

    def invoice(level: str) -> Any:
        lines = [{"chargeAmount": "100.00", "productName": "Tablet"}, {"chargeAmount": "-10.00"}]
        body = {"billingAccountId": ACCOUNT, "currency": "USD", "settlementLevel": level, "lines": lines}
        return ok(api.post("/invoices", body, headers=lead))

    def memo() -> Any:
        body = {
            "billingAccountId": ACCOUNT,
            "currency": "USD",
            "charges": [{"chargeAmount": "20.00", "productId": "p"}],
        }
        return ok(api.post("/credit-memos", body, headers=lead))

    by_line, by_invoice, line_memo, invoice_memo = invoice("InvoiceLine"), invoice("Invoice"), memo(), memo()
    profile = {"name": "Ops GmbH", "address": {"line1": "a", "city": "b", "postalCode": "1", "country": "DE"}}
    ok(api.put(f"/billing-accounts/{ACCOUNT}", profile, headers=lead))
    line_applied = ok(
        api.post(
            f"/credit-memos/{line_memo['id']}/lines/{line_memo['lines'][0]['id']}/actions/apply",
            {
                "applications": [
                    {"invoiceId": by_line["id"], "invoiceLineId": by_line["lines"][0]["id"], "amount": "1.00"}
                ]
            },
            headers=lead,
        )
    )
    applied = ok(
        api.post(
            f"/credit-memos/{invoice_memo['id']}/actions/apply",
            {"applications": [{"invoiceId": by_invoice["id"], "amount": "1.00"}]},
            headers=lead,
        )
    )
    payment = ok(
        api.post(
            f"/invoices/{by_invoice['id']}/actions/record-payment",
            {"amount": "1.00", "paymentReference": "wire-1"},
            headers=lead,
        )
    )
    refund = ok(
        api.post(
            f"/credit-memos/{line_memo['id']}/actions/refund",
            {"amount": "1.00", "refundReference": "ach-0"},
            headers=lead,
        )
    )
    return {
        "cm-REPLACE-ME": line_memo["id"],
        "cml-REPLACE-ME": line_memo["lines"][0]["id"],
        "cmla-REPLACE-ME": line_applied["applications"][0]["id"],
        "cma-REPLACE-ME": applied["applications"][0]["id"],
        "inv-REPLACE-ME": by_line["id"],
        "invl-REPLACE-ME": by_line["lines"][0]["id"],
        "pay-REPLACE-ME": payment["id"],
        "rfd-REPLACE-ME": refund["id"],
        "acct-001": ACCOUNT,
        "acct-1001": ACCOUNT,
    }


def send(api: Api, sample: Path, ids: dict[str, str], principal: str) -> HttpResult:
    text = sample.read_text()
    for placeholder, real in ids.items():
        text = text.replace(placeholder, real)
    event = json.loads(text)
    return api.request(
        event["httpMethod"],
        event["path"],
        raw_body=event.get("body"),
        query=event.get("queryStringParameters"),
        headers={**as_(principal), "Idempotency-Key": f"k-{principal[-12:]}-{sample.parent.name}"},
    )


def table_items() -> list[dict[str, Any]]:
    """What the table holds besides idempotency records (a refusal under a key is kept as one)."""
    items = boto3.client("dynamodb", region_name="us-east-1").scan(TableName=TABLE_NAME)["Items"]
    return [item for item in items if not item["pk"]["S"].startswith("IDEMPOTENCY#")]


# An invocable action refuses an input in its result (200), by the errorCode of the native refusal.
_ACTION_INPUT_STATUS = {"FORBIDDEN": 403, "NOT_FOUND": 404}


def outcome(result: HttpResult) -> tuple[int, str | None]:
    """The status and errorCode a request got, whatever envelope carries them (the native body,
    a Salesforce-compatible resource's ``errors``, Salesforce's error list, an action's result)."""
    body = result.body
    if isinstance(body, list) and body and "actionName" in body[0]:
        errors = body[0]["errors"] or []
        code = errors[0]["statusCode"] if errors else None
        return (_ACTION_INPUT_STATUS.get(code, 409) if code else result.status), code
    if isinstance(body, list) and body:
        return result.status, body[0]["errorCode"]
    if isinstance(body, dict) and isinstance(body.get("errors"), list) and body["errors"]:
        return result.status, body["errors"][0]["errorCode"]
    return result.status, body.get("errorCode") if isinstance(body, dict) else None


def refused(result: HttpResult, status: int, code: str) -> bool:
    return outcome(result) == (status, code)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_each_role_may_do_what_its_rights_say_and_nothing_else(
    policy_api: Api, ids: dict[str, str], sample: Path
) -> None:
    method = json.loads(sample.read_text())["httpMethod"]
    before = table_items()

    nobody = send(policy_api, sample, ids, NOBODY)
    assert refused(nobody, 403, "FORBIDDEN"), nobody

    reader = send(policy_api, sample, ids, READER)
    elsewhere = send(policy_api, sample, ids, ELSEWHERE)
    if method == "GET":
        assert reader.status == 200, reader
        # Another account's documents do not exist for it; naming another account is refused.
        names_account = "billing-accounts" in sample.read_text() or "billingAccountId" in sample.read_text()
        if sample.parent.name == "read_books":
            # The journal of every account: a caller limited to others' accounts sees none of it.
            assert elsewhere.status == 200, elsewhere
            assert all(e["billingAccountId"] != ACCOUNT for e in elsewhere.body["items"]), elsewhere
        else:
            assert (
                refused(elsewhere, 403, "FORBIDDEN")
                if names_account
                else refused(elsewhere, 404, "NOT_FOUND")
            )
    else:
        assert refused(reader, 403, "FORBIDDEN"), reader
        assert outcome(elsewhere)[0] in (403, 404), elsewhere
    assert table_items() == before  # a refusal writes nothing

    operator = send(policy_api, sample, ids, OPERATOR)
    if sample.parent.name == "void_credit_memo":
        assert refused(operator, 403, "FORBIDDEN"), operator
        # The Approver gets past the policy to the memo's own rules (it has an application).
        assert refused(send(policy_api, sample, ids, APPROVER), 409, "HAS_ACTIVE_APPLICATIONS")
    elif sample.parent.name == "reopen_accounting_period":
        assert refused(operator, 403, "FORBIDDEN"), operator
        assert refused(send(policy_api, sample, ids, APPROVER), 409, "INVALID_STATUS")  # not closed
    elif sample.parent.name == "close_accounting_period":
        assert refused(operator, 403, "FORBIDDEN"), operator
        assert send(policy_api, sample, ids, APPROVER).status == 200
    elif sample.parent.name in ("refund_credit_memo", "reverse_credit_memo_refund"):
        assert refused(operator, 403, "FORBIDDEN"), operator  # an Approver's action (section 9)
        assert send(policy_api, sample, ids, APPROVER).status in (200, 201)
    elif sample.parent.name == "write_off_invoices":
        assert refused(operator, 403, "FORBIDDEN"), operator
        approver = send(policy_api, sample, ids, APPROVER)
        assert approver.status == 200 and approver.body["results"][0]["success"], approver
    else:
        assert outcome(operator)[0] != 403, operator


LEAD_2 = "arn:aws:iam::111122223333:role/billing-lead-2"


@pytest.fixture
def approval_api(api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    """Thresholds of 100.00 USD; two Approvers, one of them with a limit of 1,000.00 USD."""
    policy = {
        "principals": [
            {"match": OPERATOR, "role": "Operator", "billingAccounts": [ACCOUNT]},
            {
                "match": APPROVER,
                "role": "Approver",
                "billingAccounts": ["*"],
                "approvalLimits": {"USD": "1000.00"},
            },
            {"match": LEAD_2, "role": "Approver", "billingAccounts": ["*"]},
        ],
        "approvalThresholds": {"USD": "100.00"},
    }
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(policy))
    monkeypatch.setenv("ACCESS_POLICY_FILE", str(path))
    runtime.reset()
    yield api
    runtime.reset()


def test_a_large_credit_waits_for_a_second_approver_within_their_limit(approval_api: Api) -> None:
    api = approval_api
    lines = [{"chargeAmount": "5000.00", "productName": "Tablet"}]
    invoice = ok(
        api.post(
            "/invoices",
            {"billingAccountId": ACCOUNT, "currency": "USD", "lines": lines},
            headers=as_(APPROVER),
        )
    )
    line_id = invoice["lines"][0]["id"]
    credit = {
        "taxStrategy": "Ignore",
        "invoiceLines": [{"invoiceLineId": line_id, "amountToCredit": "1500.00"}],
    }

    held = ok(api.post(f"/invoices/{invoice['id']}/actions/credit", credit, headers=as_(APPROVER)))
    memo = held["creditMemo"]
    assert (memo["status"], memo["approvalStatus"], held["applications"]) == ("Draft", "Required", [])
    post = f"/credit-memos/{memo['id']}/actions/post"
    assert refused(api.post(post, {}, headers=as_(OPERATOR)), 403, "FORBIDDEN")
    assert refused(api.post(post, {}, headers=as_(APPROVER)), 403, "SELF_APPROVAL")
    posted = ok(api.post(post, {}, headers=as_(LEAD_2)))
    assert (posted["status"], posted["approvalStatus"], posted["approvedBy"]) == (
        "Posted",
        "Approved",
        LEAD_2,
    )
    after = ok(api.get(f"/invoices/{invoice['id']}", headers=as_(OPERATOR)))
    assert (after["balance"], after["netCreditsApplied"]) == ("3500.00", "1500.00")

    # Over the first Approver's limit: only the one without a limit may post it.
    big = {
        "billingAccountId": ACCOUNT,
        "currency": "USD",
        "charges": [{"chargeAmount": "2000.00", "productId": "p"}],
    }
    draft = ok(api.post("/credit-memos", big, headers=as_(OPERATOR)))
    assert (draft["status"], draft["approvalStatus"]) == ("Draft", "Required")
    post = f"/credit-memos/{draft['id']}/actions/post"
    assert refused(api.post(post, {}, headers=as_(APPROVER)), 403, "APPROVAL_LIMIT_EXCEEDED")
    assert ok(api.post(post, {}, headers=as_(LEAD_2)))["documentNumber"] is not None
