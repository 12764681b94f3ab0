"""The request's deadline: read from the Lambda context, checked before every DynamoDB attempt and
before every retry of a lost race; no attempt starts that could end after the function does."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from credit_memos.adapters.dynamodb.client import ATTEMPT_SECONDS, create_client
from credit_memos.deadline import ANSWER_SECONDS, current, request_deadline
from credit_memos.errors import ConcurrentUpdate, ServiceUnavailable
from credit_memos.ports import Changes
from credit_memos.usecases import CreditMemoService

from tests.fakes.memory_repository import MemoryRepository
from tests.unit.test_runner import World, apply


class Context:
    """A Lambda context whose remaining time the test sets."""

    def __init__(self, remaining_s: float) -> None:
        self.remaining_s = remaining_s

    def get_remaining_time_in_millis(self) -> int:
        return int(self.remaining_s * 1000)


def test_the_deadline_comes_from_the_context_and_only_inside_the_invocation() -> None:
    context = Context(7.5)
    with request_deadline(context) as deadline:
        assert current() is deadline
        assert deadline is not None and deadline.remaining() == 7.5
        context.remaining_s = 2.0  # read at each check, not once
        assert deadline.remaining() == 2.0
    assert current() is None
    with request_deadline(object()) as none:  # a context that cannot tell: no limit
        assert none is None and current() is None


def test_require_refuses_what_could_not_end_in_time_to_answer() -> None:
    with request_deadline(Context(ATTEMPT_SECONDS + ANSWER_SECONDS)) as deadline:
        assert deadline is not None
        deadline.require(ATTEMPT_SECONDS)
        with pytest.raises(ServiceUnavailable) as refused:
            deadline.require(ATTEMPT_SECONDS + 0.01)
    assert refused.value.retryable


def test_the_client_starts_no_attempt_that_could_outlive_the_function(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    # Nothing listens on the discard port: an attempt would fail to connect after the connect
    # timeout; with too little time left it is never made.
    client = create_client("http://127.0.0.1:9", "us-east-1")
    started = time.monotonic()
    with request_deadline(Context(ATTEMPT_SECONDS + ANSWER_SECONDS - 0.1)), pytest.raises(ServiceUnavailable):
        client.get_item(TableName="t", Key={"pk": {"S": "a"}, "sk": {"S": "b"}})
    assert time.monotonic() - started < 0.5


def test_a_lost_race_is_not_retried_past_the_deadline(world: World) -> None:
    invoice_id, memo_id = world.invoice("100.00"), world.memo("50.00")
    service = CreditMemoService(world.repo, world.settings, clock=world.clock, sleep=world.sleeps.append)
    context = Context(30.0)

    def rival(repo: MemoryRepository, _: Changes) -> None:
        context.remaining_s = ANSWER_SECONDS  # the try used the time up, and lost
        memo = repo.read(memo_ids=[memo_id]).memos[memo_id]
        repo.commit(Changes(updates=[memo]))

    world.repo.before_commit.append(rival)
    with request_deadline(context), pytest.raises(ConcurrentUpdate):
        service.execute(apply(memo_id, "10.00", invoice_id), "k-deadline")
    assert world.sleeps == []  # no pause begun that would end after the deadline


@pytest.fixture
def world() -> World:
    return World()


class DeadlineCheckingRepository:
    """The in-memory store, checking the deadline before each read as the DynamoDB client does
    before each attempt."""

    def __init__(self, inner: MemoryRepository, attempt_s: float) -> None:
        self._inner, self._attempt_s = inner, attempt_s

    def read(self, **kwargs: object) -> object:
        time_left = current()
        assert time_left is not None
        time_left.require(self._attempt_s)
        return self._inner.read(**kwargs)  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)


def test_a_retry_that_runs_out_of_time_is_answered_as_the_lost_race_and_the_first_try_as_503(
    world: World,
) -> None:
    invoice_id, memo_id = world.invoice("100.00"), world.memo("50.00")
    repository = DeadlineCheckingRepository(world.repo, attempt_s=4.0)
    service = CreditMemoService(repository, world.settings, clock=world.clock, sleep=world.sleeps.append)  # type: ignore[arg-type]
    context = Context(30.0)

    def rival(repo: MemoryRepository, _: Changes) -> None:
        context.remaining_s = 2.0 + ANSWER_SECONDS  # time for the pause, not for another read
        memo = repo.read(memo_ids=[memo_id]).memos[memo_id]
        repo.commit(Changes(updates=[memo]))

    world.repo.before_commit.append(rival)
    with request_deadline(context), pytest.raises(ConcurrentUpdate):
        service.execute(apply(memo_id, "10.00", invoice_id), "k-late-retry")
    world.repo.before_commit.clear()
    with request_deadline(Context(3.0)), pytest.raises(ServiceUnavailable):
        service.execute(apply(memo_id, "10.00", invoice_id), "k-late-first")
    assert world.balances(memo_id, invoice_id) == (Decimal("50.00"), Decimal("100.00"))  # nothing written
