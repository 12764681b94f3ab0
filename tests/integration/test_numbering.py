"""Credit memo numbers on DynamoDB Local (spec section 7): one series, unique and gap-free.

Creates and posts race from 48 threads (direct invocation, as in ``test_concurrency``), with
requests that are refused among them, each sending a retryable answer (409, 503) again under its key
as a client would; a commit whose answer is lost (a crash after commit) is retried under its key; a
posting killed at each of its DynamoDB calls in turn (crash injection) is retried under its key
after another posting; refused requests go through the engine after the series was read. After
each, the numbers of all memos of the table are exactly CM-00000001 .. CM-<n>: none skipped, none
used twice, and each successful answer shows the number its memo has.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from credit_memos.api import runtime
from credit_memos.errors import ServiceUnavailable
from credit_memos.ports import Changes, Repository

from infra.local.dynamodb_local import dynamodb_client
from tests.harness import Api, handler_for, invoke
from tests.integration.support import (
    Result,
    call,
    check,
    new_account,
)

pytestmark = pytest.mark.integration

CREATORS = 24
POSTERS = 16
REFUSED = 8  # posts of memos that are Posted already: INVALID_STATUS after reading the series
# A client sends a retryable answer again (409 CONCURRENT_UPDATE; 503 SERVICE_UNAVAILABLE when the
# request's deadline left no room for another try); under CI load one try of 48 racing on one series
# may spend its whole retry budget (RETRY_BUDGET_SECONDS) losing, so more than one try is normal.
CLIENT_TRIES = 20
RETRYABLE = ("CONCURRENT_UPDATE", "SERVICE_UNAVAILABLE")


def memo_body(account: str, status: str = "Posted", **extra: Any) -> dict[str, Any]:
    charges = [{"chargeAmount": "10.00", "productName": "Credit"}]
    return {"billingAccountId": account, "currency": "USD", "type": status, "charges": charges, **extra}


def all_numbers(endpoint: str, table: str) -> list[str]:
    """Every number any memo of the table has, read from the table itself (not through the API)."""
    client = dynamodb_client(endpoint)
    numbers: list[str] = []
    for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        numbers += [
            item["document_number"]["S"]
            for item in page["Items"]
            if item.get("entity", {}).get("S") == "CreditMemo" and "document_number" in item
        ]
    return numbers


def assert_gap_free(numbers: list[str]) -> None:
    assert len(numbers) == len(set(numbers)), "a number was used twice"
    assert sorted(numbers) == [f"CM-{i:08d}" for i in range(1, len(numbers) + 1)], "a number was skipped"


def test_concurrent_creates_and_posts_take_consecutive_numbers(
    api: Api, dynamodb_local_endpoint: str, table: str
) -> None:
    account = new_account()
    drafts = [check(api.post("/credit-memos", memo_body(account, "Draft")), 201) for _ in range(POSTERS)]
    posted = [check(api.post("/credit-memos", memo_body(account)), 201) for _ in range(REFUSED)]
    assert all(d["documentNumber"] is None for d in drafts)
    before = all_numbers(dynamodb_local_endpoint, table)
    assert_gap_free(before)
    jobs: list[tuple[str, dict[str, Any]]] = [
        ("CreateCreditMemoFunction", memo_body(account, reasonCode="Goodwill")) for _ in range(CREATORS)
    ]
    jobs += [("PostCreditMemoFunction", {"creditMemoId": d["id"]}) for d in drafts]
    jobs += [("PostCreditMemoFunction", {"creditMemoId": p["id"]}) for p in posted]
    for function in {f for f, _ in jobs}:
        handler_for(function)
    barrier = threading.Barrier(len(jobs))

    def run(job: tuple[str, dict[str, Any]]) -> list[Result]:
        """The answers one client gets: a retryable one is sent again under its key."""
        function, payload = job
        payload = payload | {"idempotencyKey": str(uuid.uuid4())}
        barrier.wait(timeout=30)
        answers = [call(function, payload)]
        while answers[-1].code in RETRYABLE and len(answers) < CLIENT_TRIES:
            answers.append(call(function, payload))
        return answers

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        answered = list(pool.map(run, jobs))

    refused_ids = {p["id"] for p in posted}
    for (function, payload), answers in zip(jobs, answered, strict=True):
        # A request that ran out of retries or time is refused as a whole (takes no number); sent
        # again under its key, it goes through once.
        assert all(a.code in RETRYABLE for a in answers[:-1]), (function, answers)
        if payload.get("creditMemoId") in refused_ids:
            assert answers[-1].code == "INVALID_STATUS", answers
        else:
            assert answers[-1].status == 200, (function, answers)
    won = [answers[-1] for answers in answered if answers[-1].status == 200]
    assert len(won) == CREATORS + POSTERS
    numbers = all_numbers(dynamodb_local_endpoint, table)
    assert_gap_free(numbers)
    assert len(numbers) == len(before) + len(won)
    # Each answer shows the number its memo keeps, and the index finds the memo by it.
    for result in won:
        memo = result.body
        # Created by direct invocation without an actor: the function did it (drafts: over HTTP).
        creator = "local" if memo["id"] in {d["id"] for d in drafts} else "lambda:"
        assert memo["documentNumber"] is not None and memo["createdBy"].startswith(creator), memo
        stored = check(api.get(f"/credit-memos/{memo['id']}"), 200)
        assert stored["documentNumber"] == memo["documentNumber"]
        found = check(api.get("/credit-memos", query={"documentNumber": memo["documentNumber"]}), 200)
        assert [m["id"] for m in found["items"]] == [memo["id"]]
    # Every draft is Posted once, with a number; the refused ones keep theirs.
    for draft in drafts:
        memo = check(api.get(f"/credit-memos/{draft['id']}"), 200)
        assert memo["status"] == "Posted" and memo["documentNumber"] is not None, memo
    for memo in posted:
        assert check(api.get(f"/credit-memos/{memo['id']}"), 200)["documentNumber"] == memo["documentNumber"]


class LoseAnswerAfterCommit:
    """Commits, then fails as a timeout would once: the write is in, the caller never hears of it."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.armed = True

    def commit(self, unit: Changes) -> None:
        self._inner.commit(unit)
        if self.armed and unit.series is not None:
            self.armed = False
            raise ServiceUnavailable("the database is busy; retry the request")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def test_a_crash_after_commit_and_a_retry_under_the_same_key_keep_one_number(
    api: Api, dynamodb_local_endpoint: str, table: str
) -> None:
    account = new_account()
    before = all_numbers(dynamodb_local_endpoint, table)
    wrappers: list[LoseAnswerAfterCommit] = []

    def wrap(repository: Repository) -> Repository:
        wrappers.append(LoseAnswerAfterCommit(repository))
        return wrappers[-1]  # type: ignore[return-value]

    key = str(uuid.uuid4())
    with runtime.use_service(runtime.build_service(wrap=wrap)):
        lost = call("CreateCreditMemoFunction", memo_body(account) | {"idempotencyKey": key})
        assert lost.code == "SERVICE_UNAVAILABLE", lost
        retried = call("CreateCreditMemoFunction", memo_body(account) | {"idempotencyKey": key})
    assert retried.status == 200, retried
    numbers = all_numbers(dynamodb_local_endpoint, table)
    assert_gap_free(numbers)
    assert len(numbers) == len(before) + 1
    assert retried.body["documentNumber"] == f"CM-{len(numbers):08d}"
    # The next posting gets the next number.
    following = check(api.post("/credit-memos", memo_body(account)), 201)
    assert following["documentNumber"] == f"CM-{len(numbers) + 1:08d}"


def test_refused_requests_consume_no_number(api: Api, dynamodb_local_endpoint: str, table: str) -> None:
    account = new_account()
    first = check(api.post("/credit-memos", memo_body(account)), 201)
    draft = check(api.post("/credit-memos", memo_body(account, "Draft")), 201)
    refused = [
        api.post("/credit-memos", memo_body(account, currency="XTS")),  # no minor units: the rule refuses
        api.post("/credit-memos", memo_body(account, reasonCode="Refund")),  # not a reason code
        api.post(f"/credit-memos/{first['id']}/actions/post", {}),  # Posted already
        api.post("/credit-memos/cm_00000000000000000000000000/actions/post", {}),  # no such memo
        api.post("/credit-memos", memo_body(account, createdBy="mallory")),  # not settable over HTTP
    ]
    assert [r.status for r in refused] == [422, 422, 409, 404, 422], refused
    posted = check(api.post(f"/credit-memos/{draft['id']}/actions/post", {}), 200)
    assert int(posted["documentNumber"][3:]) == int(first["documentNumber"][3:]) + 1
    assert_gap_free(all_numbers(dynamodb_local_endpoint, table))


class Crash(BaseException):
    """The function's process dying mid-request: nothing in the service catches it."""


class CrashAt:
    """Kills the request at its ``at``-th DynamoDB call, before the call is sent or after its answer
    came back (the call took effect; nobody heard of it)."""

    def __init__(self, stage: str, at: int) -> None:
        self.stage, self.at, self.calls = stage, at, 0
        self.events = runtime.get_dynamodb_client().meta.events

    def __call__(self, **_: Any) -> None:
        self.calls += 1
        if self.calls == self.at:
            raise Crash(f"{self.stage} #{self.at}")

    def __enter__(self) -> CrashAt:
        self.events.register(f"{self.stage}.dynamodb", self, unique_id="crash-at")
        return self

    def __exit__(self, *_: object) -> None:
        self.events.unregister(f"{self.stage}.dynamodb", unique_id="crash-at")


def _number(memo: dict[str, Any]) -> int:
    return int(memo["documentNumber"].removeprefix("CM-"))


@pytest.mark.parametrize("stage", ["before-call", "after-call"])
def test_a_posting_killed_at_any_call_then_retried_keeps_the_series_gap_free_and_in_order(
    api: Api, dynamodb_local_endpoint: str, table: str, stage: str
) -> None:
    """Crash injection: a posting dies at each of its DynamoDB calls in turn (before the call, or
    after it took effect); another posting goes through meanwhile; the client then retries under
    its key. The series stays gap-free and unique, and the numbers follow the commit order: the
    retried memo's number is below the other posting's exactly when its first try had committed."""
    account = new_account()
    counting = CrashAt(stage, at=0)
    with counting:  # a clean posting: how many calls one makes
        draft = check(api.post("/credit-memos", memo_body(account, "Draft")), 201)
        counting.calls = 0
        check(api.post(f"/credit-memos/{draft['id']}/actions/post", {}), 200)
    assert counting.calls >= 2
    for at in range(1, counting.calls + 1):
        draft = check(api.post("/credit-memos", memo_body(account, "Draft")), 201)
        payload = {"creditMemoId": draft["id"], "idempotencyKey": str(uuid.uuid4())}
        with CrashAt(stage, at), pytest.raises(Crash):
            invoke("PostCreditMemoFunction", payload)
        committed = check(api.get(f"/credit-memos/{draft['id']}"), 200)["status"] == "Posted"
        other = check(api.post("/credit-memos", memo_body(account)), 201)
        retried = call("PostCreditMemoFunction", payload)
        assert retried.status == 200, (stage, at, retried)
        stored = check(api.get(f"/credit-memos/{draft['id']}"), 200)
        assert stored["documentNumber"] == retried.body["documentNumber"], (stage, at)
        assert (_number(retried.body) < _number(other)) == committed, (stage, at, committed)
        assert_gap_free(all_numbers(dynamodb_local_endpoint, table))
