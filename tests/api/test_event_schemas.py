"""What the publisher sends EventBridge matches the published schemas, for every detail type (moto).

The requests below emit every detail type at both settlement levels; the stream publisher puts
them on the moto bus, and each delivered ``detail`` is validated against
``events/schemas/<detail-type>.json``, closed (no property the schema does not name), so a field
sent but not documented fails as surely as a field documented but not sent; each whole event is
validated against the schema registry's form of it too.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from credit_memos.views.events import DETAIL_TYPES
from jsonschema import Draft4Validator, Draft202012Validator

from infra.event_schemas import SCHEMA_DIR, detail_schema, registry_schema
from tests.api.test_events_publisher import REGION, Bus, Publisher, outbox_events
from tests.builders import create_invoice, create_memo
from tests.harness import Api, base_environment, create_table, environment

ACCOUNT = "acct-schemas"


@pytest.fixture
def moto_bus() -> Iterator[Bus]:
    from moto import mock_aws

    from tests.api.test_events_publisher import BUS

    with environment(base_environment() | {"EVENT_BUS_NAME": BUS}), mock_aws():
        create_table(boto3.client("dynamodb", region_name=REGION))
        yield Bus()


def closed(schema: Any) -> Any:
    """The schema with ``additionalProperties: false`` on every object that names its properties."""
    if isinstance(schema, dict):
        schema = {key: closed(value) for key, value in schema.items()}
        if "properties" in schema and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [closed(item) for item in schema]
    return schema


def validators() -> dict[str, Draft202012Validator]:
    found = {}
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        schema = json.loads(path.read_text())
        Draft202012Validator.check_schema(schema)
        found[path.stem] = Draft202012Validator(closed(schema))
    return found


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status == status, response
    return response.body  # type: ignore[no-any-return]


def emit_every_detail_type(api: Api) -> None:
    """Requests whose events cover every detail type, invoice and line level."""
    draft_invoice = create_invoice(api, "100.00", account=ACCOUNT, status="Draft")
    ok(api.post(f"/invoices/{draft_invoice['id']}/actions/post", {}))
    invoice = create_invoice(api, "100.00", account=ACCOUNT)
    memo = create_memo(api, "40.00", account=ACCOUNT, status="Draft")
    ok(api.post(f"/credit-memos/{memo['id']}/actions/post", {}))
    applied = ok(
        api.post(
            f"/credit-memos/{memo['id']}/actions/apply",
            {"applications": [{"invoiceId": invoice["id"], "amount": "30.00"}]},
        )
    )
    ok(api.post(f"/credit-memo-applications/{applied['applications'][0]['id']}/actions/unapply", {}))
    ok(api.post(f"/credit-memos/{memo['id']}/actions/void", {}))

    lined = create_invoice(api, ("60.00", "6.00"), "40.00", account=ACCOUNT, level="InvoiceLine")
    line_memo = create_memo(api, "50.00", account=ACCOUNT)
    line_applied = ok(
        api.post(
            f"/credit-memos/{line_memo['id']}/lines/{line_memo['lines'][0]['id']}/actions/apply",
            {"applications": [{"invoiceId": lined["id"], "invoiceLineId": lined["lines"][0]["id"]}]},
        )
    )
    record_id = line_applied["applications"][0]["id"]
    ok(api.post(f"/credit-memo-line-applications/{record_id}/actions/unapply", {}))

    negative = create_invoice(api, "300.00", "-100.00", account=ACCOUNT)
    ok(api.post(f"/invoices/{negative['id']}/actions/convert-to-credit", {}), 201)
    credited = {
        "taxStrategy": "Ignore",
        "invoiceLines": [{"invoiceLineId": invoice["lines"][0]["id"], "amountToCredit": "10"}],
    }
    ok(api.post(f"/invoices/{invoice['id']}/actions/credit", credited), 201)
    for level in ("Invoice", "InvoiceLine"):
        bad_debt = create_invoice(api, ("80.00", "8.00"), "20.00", account=ACCOUNT, level=level)
        written_off = [{"invoiceId": bad_debt["id"], "reasonCode": "BadDebt"}]
        ok(api.post("/invoices/actions/write-off", {"invoices": written_off}))

    for target in (invoice, lined):
        paid = ok(
            api.post(
                f"/invoices/{target['id']}/actions/record-payment",
                {"amount": "20.00", "paymentReference": f"wire-{target['id']}"},
            ),
            201,
        )
        ok(api.post(f"/invoice-payments/{paid['id']}/actions/reverse", {}))
    # The books: a period closed and reopened (a month long past, so nothing above is refused).
    ok(api.post("/accounting-periods/2001-01/actions/close", {}))
    ok(api.post("/accounting-periods/2001-01/actions/reopen", {"reasonCode": "Other"}))

    refunded = ok(
        api.post(
            f"/credit-memos/{line_memo['id']}/actions/refund", {"amount": "5.00", "refundReference": "a-1"}
        ),
        201,
    )
    ok(api.post(f"/credit-memo-refunds/{refunded['id']}/actions/reverse", {}))


def test_every_published_detail_matches_its_schema(moto_bus: Bus) -> None:
    schemas = validators()
    assert set(schemas) == {model.__name__ for model in DETAIL_TYPES}
    emit_every_detail_type(Api())
    records = moto_bus.stream_records()
    sent = outbox_events(records)

    assert Publisher()(records) == {"batchItemFailures": []}

    published = moto_bus.published()
    assert len(published) == len(sent)
    registry = {
        model.__name__: Draft4Validator(closed(registry_schema(detail_schema(model))))
        for model in DETAIL_TYPES
    }
    for envelope in published:
        kind = envelope["detail-type"]
        errors = [e.message for e in schemas[kind].iter_errors(envelope["detail"])]
        assert errors == [], (kind, errors)
        # The registry's form (draft 4) takes the whole event EventBridge delivered (moto's
        # delivery leaves out the account, which EventBridge always sets).
        whole = {"account": "123456789012", **envelope}
        assert [e.message for e in registry[kind].iter_errors(whole)] == [], kind
    counts = Counter(e["detail-type"] for e in published)
    assert set(counts) == set(schemas), counts
    # Both levels' records, and each kind of payment record, were among them.
    shapes = {
        (e["detail-type"], tuple(sorted(e["detail"]["applications"][0])))
        for e in published
        if "applications" in e["detail"]
    }
    assert {kind for kind, keys in shapes if "invoiceLineId" in keys} == {"CreditApplied", "CreditUnapplied"}
    assert any("lineAllocations" in e["detail"]["payment"] for e in published if "payment" in e["detail"])


def test_an_event_too_large_for_eventbridge_still_matches_its_schema(moto_bus: Bus) -> None:
    api = Api()
    invoice = create_invoice(api, "100.00", account=ACCOUNT)
    memo = create_memo(api, "40.00", account=ACCOUNT)
    ok(
        api.post(
            f"/credit-memos/{memo['id']}/actions/apply",
            {"applications": [{"invoiceId": invoice["id"], "amount": "30.00"}]},
        )
    )
    records = moto_bus.stream_records()
    (record,) = [r for r in records if any(e["detailType"] == "CreditApplied" for e in outbox_events([r]))]
    (event,) = outbox_events([record])
    # A line-level apply over thousands of lines, in the records' own shape.
    (summary,) = event["detail"]["applications"]
    event["detail"]["applications"] = [
        {**copy.deepcopy(summary), "id": f"{summary['id']}.{n}"} for n in range(4000)
    ]
    record["dynamodb"]["NewImage"]["outbox"] = {"S": json.dumps([event])}

    assert Publisher()([record]) == {"batchItemFailures": []}

    (envelope,) = moto_bus.published()
    assert envelope["detail"]["applicationsOmitted"] is True
    errors = [e.message for e in validators()["CreditApplied"].iter_errors(envelope["detail"])]
    assert errors == []
    # Both forms at once, or neither, is not a CreditApplied detail.
    both = {**envelope["detail"], "applications": []}
    neither = {k: v for k, v in envelope["detail"].items() if k != "applicationIds"}
    for broken in (both, neither):
        assert list(validators()["CreditApplied"].iter_errors(broken))
