"""A slow DynamoDB never outlives the function: every request answers before its deadline.

A TCP proxy in front of DynamoDB Local holds back DynamoDB's answers (all of them, or one
operation's). Each request runs with a Lambda context of a few seconds; whatever the delay it is
answered before that context's time runs out, either as usual or 503 SERVICE_UNAVAILABLE with
Retry-After (nothing half-written), for a read and for a commit, over HTTP and by direct
invocation. A commit whose answer never came back (it committed, the client gave up) is found
by the Idempotency-Key's retry, which replays it instead of writing it twice.
"""

from __future__ import annotations

import contextlib
import queue
import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from credit_memos.adapters.dynamodb.client import ATTEMPT_SECONDS, READ_TIMEOUT_S
from credit_memos.errors import ServiceUnavailable

from tests.builders import memo_body
from tests.harness import Api, handler_for
from tests.integration.support import service_environment

# The function's time in these tests (short, so that each slow case ends within seconds), and
# DynamoDB's delays: none, some, more than leaves room for a second call, longer than the SDK waits.
TIMEOUT_S = ATTEMPT_SECONDS + 2.0
DELAYS_S = (0.0, 1.5, 2.5, READ_TIMEOUT_S + 0.5)
TARGET = re.compile(rb"X-Amz-Target:\s*DynamoDB_\d+\.(\w+)", re.IGNORECASE)


class SlowProxy:
    """Forwards TCP to DynamoDB Local, holding each answer back by ``delay_s`` (or, when ``only``
    names an operation, that operation's answers only)."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.delay_s = 0.0
        self.only: str | None = None
        self._server = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self._upstream)
            delays: queue.Queue[float] = queue.Queue()
            threading.Thread(target=self._requests, args=(client, upstream, delays), daemon=True).start()
            threading.Thread(target=self._answers, args=(upstream, client, delays), daemon=True).start()

    def _requests(self, source: socket.socket, target: socket.socket, delays: queue.Queue[float]) -> None:
        try:
            while data := source.recv(65536):
                operation = TARGET.search(data)
                if operation is not None:
                    slow = self.only is None or operation.group(1).decode() == self.only
                    delays.put(self.delay_s if slow else 0.0)
                target.sendall(data)
        except OSError:
            pass
        _close(source, target)

    def _answers(self, source: socket.socket, target: socket.socket, delays: queue.Queue[float]) -> None:
        try:
            while data := source.recv(65536):
                if data.startswith(b"HTTP/"):  # the first bytes of an answer
                    time.sleep(delays.get_nowait() if not delays.empty() else 0.0)
                target.sendall(data)
        except OSError:
            pass
        _close(source, target)

    def close(self) -> None:
        self._server.close()


def _close(*sockets: socket.socket) -> None:
    for sock in sockets:
        with contextlib.suppress(OSError):
            sock.close()


class ShortContext:
    """A Lambda context with ``TIMEOUT_S`` from its creation."""

    function_name = "deadline-test"
    aws_request_id = "00000000-0000-4000-8000-000000000000"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:deadline-test"
    memory_limit_in_mb = 512
    identity = None
    client_context = None

    def __init__(self) -> None:
        self._ends = time.monotonic() + TIMEOUT_S

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._ends - time.monotonic()) * 1000))


@pytest.fixture(scope="module")
def proxy(dynamodb_local_endpoint: str) -> Iterator[SlowProxy]:
    slow = SlowProxy(dynamodb_local_endpoint)
    yield slow
    slow.close()


@pytest.fixture
def slow_api(proxy: SlowProxy, table: str) -> Iterator[Api]:
    proxy.delay_s, proxy.only = 0.0, None
    with service_environment(proxy.endpoint, table):
        yield Api()
    proxy.delay_s, proxy.only = 0.0, None


def _timed(send: Any) -> tuple[Any, float]:
    started = time.monotonic()
    answer = send()
    return answer, time.monotonic() - started


def _answered_in_time(status: int, headers: dict[str, str], body: Any, elapsed: float) -> None:
    assert elapsed < TIMEOUT_S, f"answered after {elapsed:.2f} s, the function had {TIMEOUT_S} s"
    if status >= 300:
        assert (status, body["errorCode"]) == (503, "SERVICE_UNAVAILABLE"), body
        assert headers.get("Retry-After"), headers


def _memos(api: Api, account: str) -> list[dict[str, Any]]:
    return api.get("/credit-memos", query={"billingAccountId": account}).body["items"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("delay_s", DELAYS_S)
def test_a_read_answers_before_the_deadline(slow_api: Api, proxy: SlowProxy, delay_s: float) -> None:
    memo = slow_api.post("/credit-memos", memo_body(account="acct-deadline-read")).body
    proxy.delay_s = delay_s
    answer, elapsed = _timed(lambda: slow_api.get(f"/credit-memos/{memo['id']}", context=ShortContext()))
    _answered_in_time(answer.status, answer.headers, answer.body, elapsed)
    if delay_s > READ_TIMEOUT_S:  # no answer within the SDK's wait, and no time for another attempt
        assert answer.status == 503
    elif answer.status == 200:
        assert answer.body["id"] == memo["id"]


@pytest.mark.parametrize("delay_s", DELAYS_S)
def test_a_commit_answers_before_the_deadline_with_all_or_nothing(
    slow_api: Api, proxy: SlowProxy, delay_s: float
) -> None:
    account = f"acct-deadline-commit-{int(delay_s * 10)}"
    key = {"Idempotency-Key": f"deadline-{delay_s}"}
    proxy.delay_s = delay_s
    first, elapsed = _timed(
        lambda: slow_api.post(
            "/credit-memos", memo_body(account=account), headers=key, context=ShortContext()
        )
    )
    _answered_in_time(first.status, first.headers, first.body, elapsed)
    if delay_s >= TIMEOUT_S - ATTEMPT_SECONDS:  # the read leaves no room for the commit
        assert first.status == 503
    proxy.delay_s = 0.0
    # Nothing half-written: the memo exists exactly when the answer said so, and the retry under
    # the key ends with one memo either way.
    assert len(_memos(slow_api, account)) == (1 if first.status == 201 else 0)
    retry = slow_api.post("/credit-memos", memo_body(account=account), headers=key)
    assert retry.status == 201, retry
    assert [m["id"] for m in _memos(slow_api, account)] == [retry.body["id"]]
    if first.status == 201:
        assert retry.body["id"] == first.body["id"]


def test_a_commit_whose_answer_is_lost_is_found_by_the_retry(slow_api: Api, proxy: SlowProxy) -> None:
    """The transaction commits, but its answer comes after the SDK stopped waiting and there is no
    time left for another attempt: 503, and the retry under the same key replays the commit."""
    account = "acct-deadline-lost-answer"
    key = {"Idempotency-Key": "deadline-lost-answer"}
    proxy.delay_s, proxy.only = READ_TIMEOUT_S + 0.5, "TransactWriteItems"
    first, elapsed = _timed(
        lambda: slow_api.post(
            "/credit-memos", memo_body(account=account), headers=key, context=ShortContext()
        )
    )
    _answered_in_time(first.status, first.headers, first.body, elapsed)
    assert first.status == 503, first
    proxy.delay_s, proxy.only = 0.0, None
    (committed,) = _memos(slow_api, account)  # it did commit
    retry = slow_api.post("/credit-memos", memo_body(account=account), headers=key)
    assert (retry.status, retry.headers.get("Idempotent-Replayed")) == (201, "true"), retry
    assert retry.body["id"] == committed["id"]
    assert len(_memos(slow_api, account)) == 1


@pytest.mark.parametrize("delay_s", DELAYS_S[1:])
def test_a_direct_invocation_answers_before_the_deadline(
    slow_api: Api, proxy: SlowProxy, delay_s: float
) -> None:
    proxy.delay_s = delay_s
    payload = {**memo_body(account="acct-deadline-direct"), "idempotencyKey": f"direct-{delay_s}"}
    started = time.monotonic()
    outcome: Any
    try:
        outcome = handler_for("CreateCreditMemoFunction")(payload, ShortContext())
    except ServiceUnavailable as error:  # Step Functions retries SERVICE_UNAVAILABLE (its Retry rules)
        outcome = error
    assert time.monotonic() - started < TIMEOUT_S
    if delay_s >= TIMEOUT_S - ATTEMPT_SECONDS:
        assert isinstance(outcome, ServiceUnavailable), outcome
