"""The account summary on moto: ReadAccountSummaryFunction over HTTP and direct invocation, fed by
SummarizeAccountsFunction with the stream records moto recorded for the service's own writes.

The convergence under shuffled, repeated and out-of-order batches is proven on DynamoDB Local
(tests/integration/test_summary_convergence.py); here: status codes, bodies in their declared model,
and what a user of the summary sees after ordinary operations.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import boto3
import pytest
from credit_memos.api.schemas import ErrorResponse
from credit_memos.errors import ValidationError

from infra.local.lambda_runtime import FakeLambdaContext
from tests.api.test_response_models import check, declared_model
from tests.builders import create_invoice, create_memo, refund_memo
from tests.harness import TABLE_NAME, Api, handler_for, invoke, template

REGION = "us-east-1"
ROUTE = "/billing-accounts/{billingAccountId}/summary"
ACCOUNT = "acct-summary"


class Stream:
    """moto's record of the table's stream, and the consumer that applies it."""

    def __init__(self) -> None:
        self.dynamodb = boto3.client("dynamodb", region_name=REGION)
        # Recent botocore sends stream calls to account-based hosts, which moto does not route.
        self.streams = boto3.client(
            "dynamodbstreams",
            region_name=REGION,
            endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com",
        )
        self.handler = handler_for("SummarizeAccountsFunction")
        sys.modules[self.handler.__module__].get_store.cache_clear()
        self._read = 0

    def records(self) -> list[dict[str, Any]]:
        """Records not read before, as Lambda's DynamoDB event source delivers them."""
        arn = self.dynamodb.describe_table(TableName=TABLE_NAME)["Table"]["LatestStreamArn"]
        shard = self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
        iterator = self.streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records = self.streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]
        fresh, self._read = records[self._read :], len(records)
        for record in fresh:
            created = record["dynamodb"].get("ApproximateCreationDateTime")
            if isinstance(created, datetime):
                record["dynamodb"]["ApproximateCreationDateTime"] = created.timestamp()
            record["eventSourceARN"] = arn
        return fresh

    def apply(self, records: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        event = {"Records": self.records() if records is None else records}
        context = FakeLambdaContext(template().find_function("SummarizeAccountsFunction"))
        return self.handler(event, context)  # type: ignore[no-any-return]


@pytest.fixture
def stream(moto_env: None) -> Iterator[Stream]:
    yield Stream()


def summary(api: Api, account: str = ACCOUNT) -> dict[str, Any]:
    r = api.get(f"/billing-accounts/{account}/summary")
    assert r.status == 200, r
    check(declared_model("GET", ROUTE, 200), r.body)
    return r.body  # type: ignore[no-any-return]


def invoice(api: Api, amount: str, *, currency: str = "USD", status: str = "Posted") -> dict[str, Any]:
    return create_invoice(api, amount, account=ACCOUNT, currency=currency, status=status)


def memo(api: Api, amount: str, *, currency: str = "USD") -> dict[str, Any]:
    return create_memo(api, amount, account=ACCOUNT, currency=currency)


def test_an_account_without_documents_has_an_empty_summary(api: Api) -> None:
    assert summary(api, "acct-nothing") == {
        "billingAccountId": "acct-nothing",
        "currencies": [],
        "asOf": None,
    }


@pytest.mark.parametrize("bad", ["-starts-with-a-dash", "has space", "x" * 129, "semi;colon"])
def test_a_malformed_account_id_is_a_validation_error(api: Api, bad: str) -> None:
    r = api.get(f"/billing-accounts/{bad}/summary")
    assert r.status == 422, r
    assert r.body["errorCode"] == "VALIDATION_ERROR"
    ErrorResponse.model_validate(r.body)


def test_direct_invocation_answers_the_same_body_and_refuses_a_bad_id(api: Api) -> None:
    assert invoke("ReadAccountSummaryFunction", {"billingAccountId": ACCOUNT}) == summary(api)
    with pytest.raises(ValidationError):
        invoke("ReadAccountSummaryFunction", {})
    with pytest.raises(ValidationError):
        invoke("ReadAccountSummaryFunction", {"billingAccountId": "-bad"})


def test_the_summary_follows_posting_applying_and_voiding(api: Api, stream: Stream) -> None:
    first = invoice(api, "100.00")
    invoice(api, "40.00", status="Draft")
    invoice(api, "500", currency="JPY")
    credit = memo(api, "30.00")
    draft = api.post(
        "/credit-memos",
        {
            "billingAccountId": ACCOUNT,
            "currency": "USD",
            "type": "Draft",
            "charges": [{"chargeAmount": "5.00", "productName": "p"}],
        },
    ).body
    assert stream.apply() == {"batchItemFailures": []}
    body = summary(api)
    assert body["currencies"] == [
        {
            "currency": "JPY",
            "openCredit": "0",
            "openReceivable": "500",
            "postedMemoCount": 0,
            "openInvoiceCount": 1,
        },
        {
            "currency": "USD",
            "openCredit": "30.00",
            "openReceivable": "100.00",
            "postedMemoCount": 1,
            "openInvoiceCount": 1,
        },
    ]
    assert body["asOf"] is not None

    applied = api.post(
        f"/credit-memos/{credit['id']}/actions/apply",
        {"applications": [{"invoiceId": first["id"], "amount": "30.00"}]},
    )
    assert applied.status == 200, applied
    api.post(f"/credit-memos/{draft['id']}/actions/void", {})
    records = stream.records()
    assert stream.apply(records) == {"batchItemFailures": []}
    usd = {c["currency"]: c for c in summary(api)["currencies"]}["USD"]
    assert usd == {
        "currency": "USD",
        "openCredit": "0.00",
        "openReceivable": "70.00",
        "postedMemoCount": 1,
        "openInvoiceCount": 1,
    }

    # Lambda delivers a batch again after a timeout, and older records after newer ones: no change.
    before = summary(api)
    assert stream.apply(records + list(reversed(records))) == {"batchItemFailures": []}
    assert summary(api) == before


def test_records_that_are_not_document_headers_change_nothing(api: Api, stream: Stream) -> None:
    invoice(api, "10.00")
    records = stream.records()
    others = [
        r
        for r in records
        if r["dynamodb"]["NewImage"].get("entity", {}).get("S") not in ("Invoice", "CreditMemo")
    ]
    assert others, "the create wrote an idempotency or outbox item too"
    assert stream.apply(others) == {"batchItemFailures": []}
    assert summary(api)["currencies"] == []
    stream.apply(records)
    assert summary(api)["currencies"][0]["openReceivable"] == "10.00"


def test_a_header_without_its_balance_is_reported_and_the_rest_of_the_batch_applied(
    api: Api, stream: Stream
) -> None:
    invoice(api, "10.00")
    records = [
        r for r in stream.records() if r["dynamodb"]["NewImage"].get("entity", {}).get("S") == "Invoice"
    ]
    broken = {**records[0], "dynamodb": {**records[0]["dynamodb"], "SequenceNumber": "1"}}
    broken["dynamodb"]["NewImage"] = {
        k: v for k, v in records[0]["dynamodb"]["NewImage"].items() if k != "balance"
    }
    broken["dynamodb"]["NewImage"]["pk"] = {"S": "INVOICE#inv_broken"}
    assert stream.apply([broken, *records]) == {"batchItemFailures": [{"itemIdentifier": "1"}]}
    assert summary(api)["currencies"][0]["openReceivable"] == "10.00"


def test_resummarize_repairs_what_the_stream_never_delivered_and_is_idempotent(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    from infra.resummarize import main

    first = invoice(api, "100.00")
    credit = memo(api, "30.00")
    api.post(
        f"/credit-memos/{credit['id']}/actions/apply",
        {"applications": [{"invoiceId": first["id"], "amount": "10.00"}]},
    )
    invoice(api, "7.00", status="Draft")
    assert summary(api)["currencies"] == []  # nothing fed the consumer: the records were "lost"
    assert main([ACCOUNT]) == 0
    assert '"documents": 3, "applied": 3, "skipped": 0' in capsys.readouterr().out
    usd = {
        "currency": "USD",
        "openCredit": "20.00",
        "openReceivable": "90.00",
        "postedMemoCount": 1,
        "openInvoiceCount": 1,
    }
    assert summary(api)["currencies"] == [usd]
    assert main([ACCOUNT]) == 0
    assert '"applied": 0, "skipped": 3' in capsys.readouterr().out
    assert summary(api)["currencies"] == [usd]


def test_open_credit_follows_refunds_and_their_reversals(api: Api, stream: Stream) -> None:
    credit = memo(api, "100.00")
    refund = refund_memo(api, credit, "40.00")
    assert refund.status == 201, refund
    assert stream.apply() == {"batchItemFailures": []}
    (usd,) = summary(api)["currencies"]
    assert (usd["openCredit"], usd["postedMemoCount"]) == ("60.00", 1)
    api.post(f"/credit-memo-refunds/{refund.body['id']}/actions/reverse", {})
    assert stream.apply() == {"batchItemFailures": []}
    (usd,) = summary(api)["currencies"]
    assert usd["openCredit"] == "100.00"
