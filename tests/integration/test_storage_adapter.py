"""What the DynamoDB adapter does on the real engine (DynamoDB Local), where moto can differ.

- transaction cancellation reasons, and what the service makes of them: a stale read is re-read
  and retried (then succeeds, or is INSUFFICIENT_BALANCE); a concurrent request with the same
  Idempotency-Key is answered as a replay;
- idempotency record expiry: an expired record gives its key back, to the second;
- pagination over the account indexes, and tokens the service never issued;
- the engine's own 400 KB item limit, as a clean 422.
"""

from __future__ import annotations

import base64
import copy
import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError
from credit_memos.adapters.dynamodb import repository as repository_module
from credit_memos.adapters.dynamodb.attribute_codec import serialize
from credit_memos.adapters.dynamodb.document_items import document_item
from credit_memos.adapters.dynamodb.keys import idempotency_key
from credit_memos.adapters.dynamodb.repository import DynamoDbRepository
from credit_memos.api import runtime
from credit_memos.ports import Changes, ConflictingWrite, IdempotencyRecord, IdempotencyRecordExists
from credit_memos.usecases import CreditMemoService
from credit_memos.usecases.runner import stored_key
from credit_memos.usecases.service import utc_now

from infra.local.dynamodb_local import dynamodb_client
from tests.builders import create_invoice, create_memo
from tests.harness import Api
from tests.integration.support import (
    apply_with_long_description,
    call,
    check,
    check_invoice,
    check_memo,
    money,
    multibyte_invoice,
    new_account,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def client(dynamodb_local_endpoint: str) -> Any:
    return dynamodb_client(dynamodb_local_endpoint)


@pytest.fixture
def service(api: Api) -> Iterator[CreditMemoService]:
    """The very service instance the handlers of this test use."""
    yield runtime.get_service()
    runtime.install(None)


class Interfering:
    """The service's repository, with ``before_commit`` run once just before the first commit.

    That is, after the service's consistent read and before its conditional write: exactly where
    another Lambda's write makes the read stale.
    """

    def __init__(self, inner: Any, before_commit: Callable[[], None]) -> None:
        self._inner = inner
        self._before_commit: Callable[[], None] | None = before_commit
        self.commits = 0

    def commit(self, unit: Changes) -> None:
        self.commits += 1
        hook, self._before_commit = self._before_commit, None
        if hook is not None:
            hook()
        self._inner.commit(unit)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def interfere(service: CreditMemoService, hook: Callable[[], None]) -> Interfering:
    """From now on the handlers use a service whose repository runs ``hook`` before its first commit."""
    repository = Interfering(service.repository, hook)
    runtime.install(runtime.build_service(wrap=lambda _: repository))
    return repository


# ---------------------------------------------------------------- transaction cancellation


def test_the_engine_names_the_stale_item_among_the_cancellation_reasons(
    api: Api, client: Any, table: str
) -> None:
    account = new_account()
    invoice = create_invoice(api, "100.00", account=account)
    repository = DynamoDbRepository(client, table)
    read = repository.read(invoice_ids=[invoice["id"]]).invoices[invoice["id"]]
    stale = copy.deepcopy(read)
    read.balance -= Decimal("1.00")
    repository.commit(Changes(updates=[read]))  # version 0 -> 1

    item = serialize(document_item(stale))
    fresh = {"pk": {"S": f"PROBE#{account}"}, "sk": {"S": "PROBE"}}
    with pytest.raises(ClientError) as raised:
        client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": table,
                        "Item": fresh,
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Put": {
                        "TableName": table,
                        "Item": item,
                        "ConditionExpression": "#v = :v",
                        "ExpressionAttributeNames": {"#v": "version"},
                        "ExpressionAttributeValues": {":v": {"N": "0"}},
                    }
                },
            ]
        )
    error = raised.value.response
    assert error["Error"]["Code"] == "TransactionCanceledException"
    assert [r["Code"] for r in error["CancellationReasons"]] == ["None", "ConditionalCheckFailed"]
    assert "Item" not in client.get_item(TableName=table, Key=fresh)  # all or nothing

    # The adapter reads the same reasons as "someone else wrote first": re-read and retry.
    memo = create_memo(api, "10.00", account=account)
    memo_doc = repository.read(memo_ids=[memo["id"]]).memos[memo["id"]]
    with pytest.raises(ConflictingWrite):
        repository.commit(Changes(updates=[memo_doc, stale]))
    assert repository.read(memo_ids=[memo["id"]]).memos[memo["id"]].version == memo_doc.version

    # ... unless the condition that failed is the idempotency record's: that key is taken.
    record = IdempotencyRecord(
        operation="Probe",
        key=account,
        fingerprint="f",
        status_code=200,
        body={},
        created_at=utc_now().isoformat(),
        expires_at=int(time.time()) + 3600,
    )
    repository.commit(Changes(updates=[memo_doc], idempotency=record))
    memo_doc = repository.read(memo_ids=[memo["id"]]).memos[memo["id"]]
    with pytest.raises(IdempotencyRecordExists):
        repository.commit(Changes(updates=[memo_doc], idempotency=record))


def test_a_read_made_stale_by_another_writer_is_retried_and_succeeds(
    api: Api, service: CreditMemoService, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = new_account()
    invoice = create_invoice(api, "100.00", account=account)
    mine, theirs = create_memo(api, "40.00", account=account), create_memo(api, "30.00", account=account)
    competing: list[Any] = []

    def other_lambda() -> None:
        body = {
            "creditMemoId": theirs["id"],
            "applications": [{"invoiceId": invoice["id"], "amount": "30.00"}],
        }
        competing.append(call("ApplyCreditMemoFunction", body))

    repository = interfere(service, other_lambda)
    result = api.post(
        f"/credit-memos/{mine['id']}/actions/apply",
        {"applications": [{"invoiceId": invoice["id"], "amount": "40.00"}]},
    )

    assert competing[0].status == 200, competing
    assert result.status == 200, result
    assert repository.commits == 3  # theirs, my stale try, my retry
    application = result.body["applications"][0]
    assert (application["amount"], application["invoiceBalance"]) == ("40.00", "30.00")
    after, records = check_invoice(api, invoice["id"])
    assert after["balance"] == "30.00" and len(records) == 2
    check_memo(api, mine["id"])
    check_memo(api, theirs["id"])


def test_a_read_made_stale_by_a_writer_that_took_the_balance_is_insufficient_balance(
    api: Api, service: CreditMemoService, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = new_account()
    invoice = create_invoice(api, "100.00", account=account)
    mine, theirs = create_memo(api, "80.00", account=account), create_memo(api, "50.00", account=account)

    def other_lambda() -> None:
        body = {"creditMemoId": theirs["id"], "applications": [{"invoiceId": invoice["id"]}]}
        assert call("ApplyCreditMemoFunction", body).status == 200

    interfere(service, other_lambda)
    result = api.post(
        f"/credit-memos/{mine['id']}/actions/apply",
        {"applications": [{"invoiceId": invoice["id"], "amount": "80.00"}]},
    )

    assert result.status == 409 and result.body["errorCode"] == "INSUFFICIENT_BALANCE", result
    after, records = check_invoice(api, invoice["id"])
    assert after["balance"] == "50.00"
    assert [r["creditMemoId"] for r in records] == [theirs["id"]]
    memo_after, _ = check_memo(api, mine["id"])
    assert memo_after["balance"] == "80.00"


def test_a_concurrent_request_with_the_same_key_is_answered_as_its_replay(
    api: Api, service: CreditMemoService, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = new_account()
    invoice = create_invoice(api, "100.00", account=account)
    memo = create_memo(api, "60.00", account=account)
    path = f"/credit-memos/{memo['id']}/actions/apply"
    body = {"applications": [{"invoiceId": invoice["id"], "amount": "25.00"}]}
    headers = {"Idempotency-Key": f"same-key-{account}"}
    # The same caller both times (the local server's): a key belongs to its principal.
    payload = {
        "creditMemoId": memo["id"],
        "idempotencyKey": headers["Idempotency-Key"],
        "actor": "local",
        **body,
    }
    first: list[Any] = []
    interfere(service, lambda: first.append(call("ApplyCreditMemoFunction", payload)))

    second = api.post(path, body, headers=headers)

    assert first[0].status == 200, first
    assert second.status == 200 and second.body == first[0].body
    assert second.headers.get("Idempotent-Replayed") == "true"
    after, records = check_invoice(api, invoice["id"])
    assert after["balance"] == "75.00" and len(records) == 1


# ---------------------------------------------------------------- idempotency record expiry


def test_an_expired_idempotency_record_lets_its_key_be_used_again(
    api: Api, service: CreditMemoService, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = new_account()
    body = {
        "billingAccountId": account,
        "currency": "USD",
        "charges": [{"chargeAmount": "5.00", "productName": "A"}],
    }
    headers = {"Idempotency-Key": f"reused-{account}"}
    ttl = timedelta(hours=service.settings.idempotency_ttl_hours)

    runtime.install(runtime.build_service(clock=lambda: utc_now() - ttl + timedelta(hours=1)))
    first = check(api.post("/credit-memos", body, headers=headers), 201)  # its record expires in 1 h
    runtime.install(None)
    mismatch = api.post("/credit-memos", dict(body, description="another request"), headers=headers)
    assert mismatch.status == 422 and mismatch.body["errorCode"] == "IDEMPOTENCY_KEY_MISMATCH"

    # An hour after the record expired (and before TTL has deleted it), the key is free again.
    later = time.time() + 2 * 3600
    runtime.install(runtime.build_service(clock=lambda: datetime.fromtimestamp(later, UTC)))
    again = api.post("/credit-memos", body, headers=headers)
    assert again.status == 201, again
    assert "Idempotent-Replayed" not in again.headers
    assert again.body["id"] != first["id"]
    replay = api.post("/credit-memos", body, headers=headers)
    assert (replay.status, replay.body["id"], replay.headers.get("Idempotent-Replayed")) == (
        201,
        again.body["id"],
        "true",
    )
    listed = check(api.get("/credit-memos", query={"billingAccountId": account}), 200)
    assert sorted(m["id"] for m in listed["items"]) == sorted([first["id"], again.body["id"]])


def test_an_idempotency_key_is_held_until_the_second_its_record_expires(
    api: Api, service: CreditMemoService, client: Any, table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = new_account()
    key = f"held-{account}"
    body = {"billingAccountId": account, "currency": "USD", "lines": [{"chargeAmount": "9.00"}]}
    first = check(api.post("/invoices", body, headers={"Idempotency-Key": key}), 201)
    record_key = idempotency_key("CreateInvoice", stored_key("local", key))
    stored = client.get_item(TableName=table, Key={name: {"S": value} for name, value in record_key.items()})
    expires_at = int(stored["Item"]["expiresAt"]["N"])

    def at(moment: float) -> None:
        # One clock for the service and its repository, as in a deployment.
        runtime.install(runtime.build_service(clock=lambda: datetime.fromtimestamp(moment, UTC)))

    at(expires_at + 0.5)  # the record's last second: still the first request's
    last_second = api.post("/invoices", body, headers={"Idempotency-Key": key})
    assert (last_second.status, last_second.body, last_second.headers.get("Idempotent-Replayed")) == (
        201,
        first,
        "true",
    )
    at(expires_at + 1.0)  # expired: a new request
    after = api.post("/invoices", body, headers={"Idempotency-Key": key})
    assert after.status == 201 and after.body["id"] != first["id"], after
    assert "Idempotent-Replayed" not in after.headers


# ---------------------------------------------------------------- pagination


def _create_invoices(account: str, count: int, dates: list[str], status: Callable[[int], str]) -> list[str]:
    def one(n: int) -> str:
        payload = {
            "billingAccountId": account,
            "currency": "USD",
            "status": status(n),
            "invoiceDate": dates[n % len(dates)],
            "lines": [{"chargeAmount": f"{n + 1}.00"}],
        }
        result = call("CreateInvoiceFunction", payload)
        assert result.status == 200, result
        return str(result.body["id"])

    call("CreateInvoiceFunction", {})  # import the handler once, before the threads
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, range(count)))


def _pages(api: Api, path: str, query: dict[str, Any]) -> list[list[dict[str, Any]]]:
    pages: list[list[dict[str, Any]]] = []
    token = None
    while True:
        page = check(api.get(path, query={**query, "nextToken": token}), 200)
        pages.append(page["items"])
        token = page["nextToken"]
        if token is None or len(pages) > 10:
            return pages


def test_pagination_over_250_invoices_has_no_duplicates_and_no_gaps(api: Api) -> None:
    account = new_account()
    dates = ["2026-03-01", "2026-01-15", "2026-02-10"]
    ids = _create_invoices(account, 250, dates, lambda n: "Draft" if n % 5 == 0 else "Posted")

    pages = _pages(api, "/invoices", {"billingAccountId": account, "limit": 100})
    assert [len(p) for p in pages] == [100, 100, 50]
    listed = [i for p in pages for i in p]
    assert len({i["id"] for i in listed}) == 250 and {i["id"] for i in listed} == set(ids)
    keys = [(i["invoiceDate"], i["id"]) for i in listed]
    assert keys == sorted(keys)  # oldest invoice date first, one order across the pages
    assert all("lines" not in i for i in listed)

    drafts = _pages(api, "/invoices", {"billingAccountId": account, "status": "Draft", "limit": 100})
    assert [len(p) for p in drafts] == [50]
    posted = [
        i
        for p in _pages(api, "/invoices", {"billingAccountId": account, "status": "Posted", "limit": 100})
        for i in p
    ]
    assert len(posted) == len({i["id"] for i in posted}) == 200
    assert {i["id"] for i in posted} | {i["id"] for i in drafts[0]} == set(ids)
    assert all(i["status"] == "Posted" for i in posted)


# ---------------------------------------------------------------- forged and alien tokens


def _token(partition: str, key: dict[str, Any]) -> str:
    raw = json.dumps({"p": partition, "k": key}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _real_token(api: Api, path: str, query: dict[str, Any]) -> str:
    token = check(api.get(path, query={**query, "limit": 1}), 200)["nextToken"]
    assert token is not None
    return str(token)


@pytest.fixture
def listed_account(api: Api) -> dict[str, Any]:
    """Two accounts with a few invoices and memos each, and an application history."""
    accounts = [new_account(), new_account()]
    documents: dict[str, Any] = {"accounts": accounts}
    for account in accounts:
        invoices = [create_invoice(api, "10.00", account=account) for _ in range(3)]
        memos = [create_memo(api, "1.00", account=account) for _ in range(3)]
        for memo in memos:
            body = {"applications": [{"invoiceId": invoices[0]["id"], "amount": "1.00"}]}
            check(api.post(f"/credit-memos/{memo['id']}/actions/apply", body), 200)
        documents[account] = {"invoices": invoices, "memos": memos}
    return documents


def test_tokens_the_service_never_issued_for_this_query_are_a_422(
    api: Api, listed_account: dict[str, Any]
) -> None:
    mine, other = listed_account["accounts"]
    invoice_id = listed_account[mine]["invoices"][0]["id"]
    query = {"billingAccountId": mine}
    partition = f"ACCOUNT#{mine}#INVOICE"
    real = json.loads(base64.urlsafe_b64decode(_real_token(api, "/invoices", query) + "==="))["k"]
    forged = {
        "not base64": "%%%not-a-token%%%",
        "not json": base64.urlsafe_b64encode(b"\x00\xff garbage").decode(),
        "json, not a token": base64.urlsafe_b64encode(b'["p", "k"]').decode(),
        "another account's": _real_token(api, "/invoices", {"billingAccountId": other}),
        "the memo list's": _real_token(api, "/credit-memos", query),
        "the Draft list's": _token(f"{partition}#Draft", real),
        "an application history's": _real_token(api, f"/invoices/{invoice_id}/applications", {}),
        "too long": "A" * 2049,
        "a number for a key": _token(partition, {**real, "pk": {"N": "1"}}),
        "part of a key": _token(partition, {"gsi1pk": real["gsi1pk"], "gsi1sk": real["gsi1sk"]}),
        "a table key only": _token(partition, {"pk": real["pk"], "sk": real["sk"]}),
        "an extra attribute": _token(partition, {**real, "balance": {"S": "0"}}),
        "the other index's key": _token(
            partition, {**real, "gsi2pk": real["gsi1pk"], "gsi2sk": real["gsi1sk"]}
        ),
        "another partition inside": _token(partition, {**real, "gsi1pk": {"S": f"ACCOUNT#{other}#INVOICE"}}),
        "an empty key": _token(partition, {}),
    }
    for name, token in forged.items():
        response = api.get("/invoices", query={**query, "nextToken": token})
        assert response.status == 422, (name, response)
        assert response.body["errorCode"] == "VALIDATION_ERROR", (name, response)
        direct = call("ReadInvoicesFunction", {**query, "nextToken": token})
        assert direct.status == 422, (name, direct)

    # The token this very query issued resumes it.
    resumed = check(
        api.get("/invoices", query={**query, "limit": 100, "nextToken": _token(partition, real)}), 200
    )
    assert len(resumed["items"]) == 2


@pytest.mark.parametrize(
    "path", ["/credit-memos", "/credit-memos/{memo}/applications", "/invoices/{invoice}/applications"]
)
def test_forged_tokens_on_the_other_lists_are_a_422(
    api: Api, listed_account: dict[str, Any], path: str
) -> None:
    mine = listed_account["accounts"][0]
    path = path.format(
        memo=listed_account[mine]["memos"][0]["id"], invoice=listed_account[mine]["invoices"][0]["id"]
    )
    query = {"billingAccountId": mine} if path == "/credit-memos" else {}
    alien = _real_token(api, "/invoices", {"billingAccountId": mine})
    for token in (alien, _token("x", {"pk": {"S": "x"}}), "###"):
        response = api.get(path, query={**query, "nextToken": token})
        assert response.status == 422 and response.body["errorCode"] == "VALIDATION_ERROR", (path, response)


# ---------------------------------------------------------------- the engine's item limit


def test_an_item_the_engine_refuses_as_too_large_is_a_clean_422(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the adapter's own estimate (switched off here) the engine's 400 KB limit is the judge."""
    monkeypatch.setattr(repository_module, "MAX_ITEM_BYTES", 50_000_000)
    account = new_account()
    invoice = multibyte_invoice(api, account)
    memo = create_memo(api, "300.00", account=account, currency="EUR")
    path, text = (
        f"/credit-memos/{memo['id']}/actions/apply",
        apply_with_long_description(memo["id"], invoice["id"]),
    )
    plain = api.post(path, raw_body=text)
    keyed = api.post(path, raw_body=text, headers={"Idempotency-Key": f"big-{account}"})
    for response in (plain, keyed):
        assert response.status == 422, response
        assert response.body["errorCode"] == "VALIDATION_ERROR"
    assert check(api.get(f"/invoices/{invoice['id']}"), 200)["balance"] == "300.00"
    again = api.post(path, raw_body=text, headers={"Idempotency-Key": f"big-{account}"})
    assert again.status == 422  # nothing was stored under the key either


def test_money_survives_the_engine_exactly(api: Api) -> None:
    """Amounts at the contract's magnitude limit round-trip through DynamoDB numbers unchanged."""
    account = new_account()
    big = "999999999999999.99"  # the largest amount below 10^15
    invoice = create_invoice(api, big, account=account)
    memo = create_memo(api, "123456789012345.67", account=account)
    applied = check(
        api.post(
            f"/credit-memos/{memo['id']}/actions/apply", {"applications": [{"invoiceId": invoice["id"]}]}
        ),
        200,
    )
    assert applied["applications"][0]["amount"] == "123456789012345.67"
    after, _ = check_invoice(api, invoice["id"])
    assert money(after["balance"]) == money(big) - money("123456789012345.67")
    assert after["balance"] == "876543210987654.32"
