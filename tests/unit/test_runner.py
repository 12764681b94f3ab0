"""The runner of every mutation on the in-memory repository: lost races, bounded retries, replays.

Only the service's public use cases are called (the runner is how they all write); clock and
sleep are injected, so no test waits. The fake repository honours the adapter's conditions
(``tests/contract``), and its ``before_commit`` hooks play the writer that wins a race.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from credit_memos.commands import applications, invoices, memos
from credit_memos.domain.inputs import ApplyTarget, InvoiceLineInput, MemoChargeInput
from credit_memos.errors import ConcurrentUpdate, IdempotencyKeyMismatch, InsufficientBalance
from credit_memos.ports import Changes
from credit_memos.settings import Settings
from credit_memos.usecases import CreditMemoService

from tests.fakes.memory_repository import MemoryRepository

RETRIES = 3
TTL_HOURS = 48


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def epoch(self) -> float:
        return self.now.timestamp()


class World:
    """One store, the clock everything reads, and the service under test."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.sleeps: list[float] = []
        self.repo = MemoryRepository(now=self.clock.epoch)
        self.settings = Settings(
            table_name="unused",
            credit_application_level="Invoice",
            dynamodb_endpoint_url=None,
            idempotency_ttl_hours=TTL_HOURS,
            region="us-east-1",
            max_conflict_retries=RETRIES,
        )
        self.service = self.new_service()

    def new_service(self) -> CreditMemoService:
        """Another request handler on the same store (the rival in a race)."""
        return CreditMemoService(self.repo, self.settings, clock=self.clock, sleep=self.sleeps.append)

    def before_next_commit(self, action: Callable[[], Any]) -> list[Any]:
        """Run ``action`` once, just before the service's next commit; its result lands in the list."""
        results: list[Any] = []

        def hook(repo: MemoryRepository, _: Changes) -> None:
            repo.before_commit.remove(hook)
            results.append(action())

        self.repo.before_commit.append(hook)
        return results

    def invoice(self, amount: str = "100.00") -> str:
        return str(self.service.execute(invoice_command(amount)).body["id"])

    def memo(self, amount: str = "50.00") -> str:
        command = memos.CreateCreditMemo(
            billing_account_id="acct-1",
            currency="USD",
            charges=(MemoChargeInput(Decimal(amount), product_name="refund"),),
        )
        return str(self.service.execute(command).body["id"])

    def balances(self, memo_id: str, invoice_id: str) -> tuple[Decimal, Decimal]:
        memo = self.service.execute(memos.GetCreditMemo(memo_id)).body
        invoice = self.service.execute(invoices.GetInvoice(invoice_id)).body
        return Decimal(memo["balance"]), Decimal(invoice["balance"])

    def applications(self, memo_id: str) -> list[Decimal]:
        items = self.service.execute(applications.ListApplications(credit_memo_id=memo_id)).body["items"]
        return [Decimal(item["amount"]) for item in items]

    def invoices(self) -> list[dict[str, Any]]:
        return list(self.service.execute(invoices.ListInvoices("acct-1")).body["items"])


def invoice_command(amount: str = "100.00", account: str = "acct-1") -> invoices.CreateInvoice:
    return invoices.CreateInvoice(
        billing_account_id=account, currency="USD", lines=(InvoiceLineInput(Decimal(amount)),)
    )


def apply(memo_id: str, amount: str, invoice_id: str) -> applications.ApplyCreditMemo:
    return applications.ApplyCreditMemo(
        memo_id, (ApplyTarget(invoice_id=invoice_id, amount=Decimal(amount)),)
    )


@pytest.fixture
def world() -> World:
    return World()


# ---------------------------------------------------------------- lost races


def test_a_lost_race_is_retried_on_the_winners_state_and_both_writes_count(world: World) -> None:
    invoice_id, memo_id = world.invoice("100.00"), world.memo("50.00")
    rival = world.new_service()
    won = world.before_next_commit(lambda: rival.execute(apply(memo_id, "5.00", invoice_id)))

    outcome = world.service.execute(apply(memo_id, "10.00", invoice_id))

    assert won[0].status_code == 200
    assert (outcome.status_code, outcome.replayed) == (200, False)
    assert Decimal(outcome.body["creditMemo"]["balance"]) == Decimal("35.00")  # computed after the retry
    assert world.balances(memo_id, invoice_id) == (Decimal("35.00"), Decimal("85.00"))
    assert sorted(world.applications(memo_id)) == [Decimal("5.00"), Decimal("10.00")]
    assert len(world.sleeps) == 1  # backed off once before the retry


def test_a_retry_sees_the_balance_the_winner_left_and_may_then_be_refused(world: World) -> None:
    invoice_id, memo_id = world.invoice("100.00"), world.memo("50.00")
    rival = world.new_service()
    world.before_next_commit(lambda: rival.execute(apply(memo_id, "45.00", invoice_id)))

    with pytest.raises(InsufficientBalance):
        world.service.execute(apply(memo_id, "10.00", invoice_id))

    assert world.balances(memo_id, invoice_id) == (Decimal("5.00"), Decimal("55.00"))
    assert world.applications(memo_id) == [Decimal("45.00")]


def test_a_race_lost_on_every_try_is_concurrent_update_and_writes_nothing(world: World) -> None:
    invoice_id, memo_id = world.invoice("100.00"), world.memo("50.00")
    rival_writes = 0

    def rival(repo: MemoryRepository, _: Changes) -> None:
        # Another writer changes the memo between every read and commit.
        nonlocal rival_writes
        memo = repo.read(memo_ids=[memo_id]).memos[memo_id]
        repo.commit(Changes(updates=[memo]))
        rival_writes += 1

    world.repo.before_commit.append(rival)
    events_before = len(world.repo.events)
    with pytest.raises(ConcurrentUpdate):
        world.service.execute(apply(memo_id, "10.00", invoice_id), "k-1")
    world.repo.before_commit.clear()

    assert rival_writes == RETRIES + 1  # the first try and max_conflict_retries more
    assert world.balances(memo_id, invoice_id) == (Decimal("50.00"), Decimal("100.00"))
    assert world.applications(memo_id) == []
    assert len(world.repo.events) == events_before
    assert all(0 <= pause <= 0.5 for pause in world.sleeps)
    assert len(world.sleeps) == RETRIES  # a backoff before each retry, none after the last try
    # The key was not spent: the same request, now uncontested, goes through.
    outcome = world.service.execute(apply(memo_id, "10.00", invoice_id), "k-1")
    assert (outcome.status_code, outcome.replayed) == (200, False)
    assert world.balances(memo_id, invoice_id) == (Decimal("40.00"), Decimal("90.00"))


def test_retries_stop_when_the_time_budget_is_spent_and_the_key_stays_usable(world: World) -> None:
    """Each attempt takes 1 s here; with a 3.5 s budget the request answers after ~3 attempts,
    although it could still retry (many retries allowed), instead of running into a timeout."""
    invoice_id, memo_id = world.invoice("100.00"), world.memo("50.00")
    elapsed = [0.0]
    retry_longer = {"max_conflict_retries": 50, "retry_budget_seconds": 3.5}
    world.settings = world.settings.model_copy(update=retry_longer)

    def sleep(seconds: float) -> None:
        world.sleeps.append(seconds)
        elapsed[0] += seconds

    service = CreditMemoService(
        world.repo, world.settings, clock=world.clock, sleep=sleep, monotonic=lambda: elapsed[0]
    )
    attempts = 0

    def rival(repo: MemoryRepository, _: Changes) -> None:
        nonlocal attempts
        attempts += 1
        elapsed[0] += 1.0  # the attempt's read and transaction
        memo = repo.read(memo_ids=[memo_id]).memos[memo_id]
        repo.commit(Changes(updates=[memo]))

    world.repo.before_commit.append(rival)
    with pytest.raises(ConcurrentUpdate):
        service.execute(apply(memo_id, "10.00", invoice_id), "k-budget")
    world.repo.before_commit.clear()

    assert 3 <= attempts <= 4  # not 51
    assert elapsed[0] <= 3.5 + 1.0  # the last attempt started within the budget
    assert world.balances(memo_id, invoice_id) == (Decimal("50.00"), Decimal("100.00"))
    outcome = service.execute(apply(memo_id, "10.00", invoice_id), "k-budget")
    assert (outcome.status_code, outcome.replayed) == (200, False)


def test_the_retry_budget_comes_from_the_environment_and_must_be_positive() -> None:
    assert Settings.from_environment({}).retry_budget_seconds == 8.0
    assert Settings.from_environment({"RETRY_BUDGET_SECONDS": "2.5"}).retry_budget_seconds == 2.5
    for bad in ("0", "-1", "nan", "inf", "soon"):
        with pytest.raises(RuntimeError, match="RETRY_BUDGET_SECONDS"):
            Settings.from_environment({"RETRY_BUDGET_SECONDS": bad})


# ---------------------------------------------------------------- replays


def test_a_replay_returns_the_stored_response_and_writes_nothing(world: World) -> None:
    invoice_id, memo_id = world.invoice("100.00"), world.memo("50.00")
    key = "k-1"
    first = world.service.execute(apply(memo_id, "50.00", invoice_id), key)
    state = world.repo.state()

    # Run again, the request would be refused (the memo is used up): a replay is not a re-run.
    again = world.service.execute(apply(memo_id, "50.00", invoice_id), key)

    assert (again.status_code, again.body, again.replayed) == (first.status_code, first.body, True)
    assert world.repo.state() == state
    assert world.balances(memo_id, invoice_id) == (Decimal("0.00"), Decimal("50.00"))


def test_a_replayed_create_names_the_document_it_created(world: World) -> None:
    command = invoice_command("100.00")
    key = "k-1"
    first = world.service.execute(command, key)
    again = world.service.execute(command, key)

    assert (first.status_code, again.status_code, again.replayed) == (201, 201, True)
    assert again.body == first.body
    listed = world.invoices()
    assert [i["id"] for i in listed] == [first.body["id"]]


def test_another_request_under_a_used_key_is_a_mismatch_and_writes_nothing(world: World) -> None:
    world.service.execute(invoice_command("100.00"), "k-1")
    state = world.repo.state()

    with pytest.raises(IdempotencyKeyMismatch):
        world.service.execute(invoice_command("999.00"), "k-1")

    assert world.repo.state() == state


def test_a_concurrent_commit_of_the_same_key_answers_as_its_replay(world: World) -> None:
    command = invoice_command("100.00")
    key = "k-1"
    rival = world.new_service()
    won = world.before_next_commit(lambda: rival.execute(command, key))

    outcome = world.service.execute(command, key)

    assert won[0].replayed is False
    assert (outcome.status_code, outcome.body, outcome.replayed) == (201, won[0].body, True)
    listed = world.invoices()
    assert [i["id"] for i in listed] == [won[0].body["id"]]
    assert world.sleeps == []  # a replay, not a retry


def test_a_concurrent_commit_of_the_key_with_another_request_is_a_mismatch(world: World) -> None:
    rival = world.new_service()
    won = world.before_next_commit(lambda: rival.execute(invoice_command("5.00"), "k-1"))

    with pytest.raises(IdempotencyKeyMismatch):
        world.service.execute(invoice_command("100.00"), "k-1")

    listed = world.invoices()
    assert [(i["id"], i["balance"]) for i in listed] == [(won[0].body["id"], won[0].body["balance"])]


def test_a_key_is_free_again_once_its_record_expired(world: World) -> None:
    command = invoice_command("100.00")
    key = "k-1"
    first = world.service.execute(command, key)
    world.clock.now += timedelta(hours=TTL_HOURS + 1)

    later = world.service.execute(command, key)

    assert (later.status_code, later.replayed) == (201, False)
    assert later.body["id"] != first.body["id"]
    listed = world.invoices()
    assert sorted(i["id"] for i in listed) == sorted([first.body["id"], later.body["id"]])


# ---------------------------------------------------------------- rejections


def test_a_domain_rejection_without_a_key_writes_nothing(world: World) -> None:
    invoice_id, memo_id = world.invoice("100.00"), world.memo("50.00")
    state = world.repo.state()

    with pytest.raises(InsufficientBalance):
        world.service.execute(apply(memo_id, "60.00", invoice_id))

    assert world.repo.state() == state


def test_a_domain_rejection_under_a_key_is_stored_and_replayed(world: World) -> None:
    """Spec section 6: the same request under the key gets the same answer, even once it could pass."""
    invoice_id, memo_id, other = world.invoice("100.00"), world.memo("50.00"), world.memo("60.00")
    before = world.repo.state()

    with pytest.raises(InsufficientBalance) as first:
        world.service.execute(apply(memo_id, "60.00", invoice_id), "k-1")

    after = world.repo.state()
    assert (after["documents"], after["events"]) == (before["documents"], before["events"])
    assert len(after["idempotency"]) == len(before["idempotency"]) + 1  # only the rejection, kept
    assert not first.value.replayed
    world.service.execute(apply(other, "60.00", invoice_id))  # the state changes...
    with pytest.raises(InsufficientBalance) as again:  # ...but under its key the request is replayed
        world.service.execute(apply(memo_id, "60.00", invoice_id), "k-1")
    assert again.value.replayed and again.value.message == first.value.message
    assert world.balances(memo_id, invoice_id) == (Decimal("50.00"), Decimal("40.00"))
