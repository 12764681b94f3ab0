"""The mutation engine on the in-memory repository: lost races, bounded retries, replays.

Only the service's public use cases are called (the engine is how they all write); clock and
sleep are injected, so no test waits. The fake repository honours the adapter's conditions
(``tests/contract``), and its ``before_commit`` hooks play the writer that wins a race.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from credit_memos.domain.rules import InvoiceLineInput, MemoChargeInput
from credit_memos.errors import ConcurrentUpdate, IdempotencyKeyMismatch, InsufficientBalance
from credit_memos.ports import UnitOfWork
from credit_memos.service import (
    ApplyTarget,
    CreateCreditMemoCommand,
    CreateInvoiceCommand,
    CreditMemoService,
    Idempotency,
)
from credit_memos.settings import Settings

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

        def hook(repo: MemoryRepository, _: UnitOfWork) -> None:
            repo.before_commit.remove(hook)
            results.append(action())

        self.repo.before_commit.append(hook)
        return results

    def invoice(self, amount: str = "100.00") -> str:
        return str(self.service.create_invoice(invoice_command(amount)).body["id"])

    def memo(self, amount: str = "50.00") -> str:
        command = CreateCreditMemoCommand(
            billing_account_id="acct-1",
            currency="USD",
            charges=[MemoChargeInput(Decimal(amount), product_name="refund")],
        )
        return str(self.service.create_credit_memo(command).body["id"])

    def balances(self, memo_id: str, invoice_id: str) -> tuple[Decimal, Decimal]:
        memo = self.service.get_credit_memo(memo_id)
        invoice = self.service.get_invoice(invoice_id)
        return Decimal(memo["balance"]), Decimal(invoice["balance"])

    def applications(self, memo_id: str) -> list[Decimal]:
        items = self.service.list_applications(credit_memo_id=memo_id)["items"]
        return [Decimal(item["amount"]) for item in items]


def invoice_command(amount: str = "100.00", account: str = "acct-1") -> CreateInvoiceCommand:
    return CreateInvoiceCommand(
        billing_account_id=account, currency="USD", lines=[InvoiceLineInput(Decimal(amount))]
    )


def key_for(key: str, operation: str, request: Any) -> Idempotency:
    idempotency = Idempotency.for_request(key, operation, request)
    assert idempotency is not None
    return idempotency


def apply(amount: str, invoice_id: str) -> list[ApplyTarget]:
    return [ApplyTarget(invoice_id=invoice_id, amount=Decimal(amount))]


@pytest.fixture
def world() -> World:
    return World()


# ---------------------------------------------------------------- lost races


def test_a_lost_race_is_retried_on_the_winners_state_and_both_writes_count(world: World) -> None:
    invoice_id, memo_id = world.invoice("100.00"), world.memo("50.00")
    rival = world.new_service()
    won = world.before_next_commit(lambda: rival.apply_credit_memo(memo_id, apply("5.00", invoice_id)))

    outcome = world.service.apply_credit_memo(memo_id, apply("10.00", invoice_id))

    assert won[0].status_code == 200
    assert (outcome.status_code, outcome.replayed) == (200, False)
    assert Decimal(outcome.body["creditMemo"]["balance"]) == Decimal("35.00")  # computed after the retry
    assert world.balances(memo_id, invoice_id) == (Decimal("35.00"), Decimal("85.00"))
    assert sorted(world.applications(memo_id)) == [Decimal("5.00"), Decimal("10.00")]
    assert len(world.sleeps) == 1  # backed off once before the retry


def test_a_retry_sees_the_balance_the_winner_left_and_may_then_be_refused(world: World) -> None:
    invoice_id, memo_id = world.invoice("100.00"), world.memo("50.00")
    rival = world.new_service()
    world.before_next_commit(lambda: rival.apply_credit_memo(memo_id, apply("45.00", invoice_id)))

    with pytest.raises(InsufficientBalance):
        world.service.apply_credit_memo(memo_id, apply("10.00", invoice_id))

    assert world.balances(memo_id, invoice_id) == (Decimal("5.00"), Decimal("55.00"))
    assert world.applications(memo_id) == [Decimal("45.00")]


def test_a_race_lost_on_every_try_is_concurrent_update_and_writes_nothing(world: World) -> None:
    invoice_id, memo_id = world.invoice("100.00"), world.memo("50.00")
    rival_writes = 0

    def rival(repo: MemoryRepository, _: UnitOfWork) -> None:
        # Another writer changes the memo between every read and commit.
        nonlocal rival_writes
        memo = repo.read(memo_ids=[memo_id]).memos[memo_id]
        repo.commit(UnitOfWork(updates=[memo]))
        rival_writes += 1

    world.repo.before_commit.append(rival)
    events_before = len(world.repo.events)
    with pytest.raises(ConcurrentUpdate):
        world.service.apply_credit_memo(
            memo_id, apply("10.00", invoice_id), key_for("k-1", "ApplyCreditMemo", "10.00")
        )
    world.repo.before_commit.clear()

    assert rival_writes == RETRIES + 1  # the first try and max_conflict_retries more
    assert world.balances(memo_id, invoice_id) == (Decimal("50.00"), Decimal("100.00"))
    assert world.applications(memo_id) == []
    assert len(world.repo.events) == events_before
    assert all(0 <= pause <= 0.5 for pause in world.sleeps)
    # The key was not spent: the same request, now uncontested, goes through.
    outcome = world.service.apply_credit_memo(
        memo_id, apply("10.00", invoice_id), key_for("k-1", "ApplyCreditMemo", "10.00")
    )
    assert (outcome.status_code, outcome.replayed) == (200, False)
    assert world.balances(memo_id, invoice_id) == (Decimal("40.00"), Decimal("90.00"))


# ---------------------------------------------------------------- replays


def test_a_replay_returns_the_stored_response_and_writes_nothing(world: World) -> None:
    invoice_id, memo_id = world.invoice("100.00"), world.memo("50.00")
    key = key_for("k-1", "ApplyCreditMemo", "50.00")
    first = world.service.apply_credit_memo(memo_id, apply("50.00", invoice_id), key)
    state = world.repo.state()

    # Run again, the request would be refused (the memo is used up): a replay is not a re-run.
    again = world.service.apply_credit_memo(memo_id, apply("50.00", invoice_id), key)

    assert (again.status_code, again.body, again.replayed) == (first.status_code, first.body, True)
    assert world.repo.state() == state
    assert world.balances(memo_id, invoice_id) == (Decimal("0.00"), Decimal("50.00"))


def test_a_replayed_create_names_the_document_it_created(world: World) -> None:
    command = invoice_command("100.00")
    key = key_for("k-1", "CreateInvoice", command)
    first = world.service.create_invoice(command, key)
    again = world.service.create_invoice(command, key)

    assert (first.status_code, again.status_code, again.replayed) == (201, 201, True)
    assert again.body == first.body
    listed = world.service.list_invoices("acct-1", None, None, None)["items"]
    assert [i["id"] for i in listed] == [first.body["id"]]


def test_another_request_under_a_used_key_is_a_mismatch_and_writes_nothing(world: World) -> None:
    world.service.create_invoice(invoice_command("100.00"), key_for("k-1", "CreateInvoice", "first"))
    state = world.repo.state()

    with pytest.raises(IdempotencyKeyMismatch):
        world.service.create_invoice(invoice_command("999.00"), key_for("k-1", "CreateInvoice", "second"))

    assert world.repo.state() == state


def test_a_concurrent_commit_of_the_same_key_answers_as_its_replay(world: World) -> None:
    command = invoice_command("100.00")
    key = key_for("k-1", "CreateInvoice", command)
    rival = world.new_service()
    won = world.before_next_commit(lambda: rival.create_invoice(command, key))

    outcome = world.service.create_invoice(command, key)

    assert won[0].replayed is False
    assert (outcome.status_code, outcome.body, outcome.replayed) == (201, won[0].body, True)
    listed = world.service.list_invoices("acct-1", None, None, None)["items"]
    assert [i["id"] for i in listed] == [won[0].body["id"]]
    assert world.sleeps == []  # a replay, not a retry


def test_a_concurrent_commit_of_the_key_with_another_request_is_a_mismatch(world: World) -> None:
    rival = world.new_service()
    won = world.before_next_commit(
        lambda: rival.create_invoice(invoice_command("5.00"), key_for("k-1", "CreateInvoice", "rival"))
    )

    with pytest.raises(IdempotencyKeyMismatch):
        world.service.create_invoice(invoice_command("100.00"), key_for("k-1", "CreateInvoice", "mine"))

    listed = world.service.list_invoices("acct-1", None, None, None)["items"]
    assert [(i["id"], i["balance"]) for i in listed] == [(won[0].body["id"], won[0].body["balance"])]


def test_a_key_is_free_again_once_its_record_expired(world: World) -> None:
    command = invoice_command("100.00")
    key = key_for("k-1", "CreateInvoice", command)
    first = world.service.create_invoice(command, key)
    world.clock.now += timedelta(hours=TTL_HOURS + 1)

    later = world.service.create_invoice(command, key)

    assert (later.status_code, later.replayed) == (201, False)
    assert later.body["id"] != first.body["id"]
    listed = world.service.list_invoices("acct-1", None, None, None)["items"]
    assert sorted(i["id"] for i in listed) == sorted([first.body["id"], later.body["id"]])


# ---------------------------------------------------------------- rejections


def test_a_domain_rejection_writes_nothing_and_spends_no_key(world: World) -> None:
    invoice_id, memo_id = world.invoice("100.00"), world.memo("50.00")
    state = world.repo.state()
    key = key_for("k-1", "ApplyCreditMemo", "60.00")

    with pytest.raises(InsufficientBalance):
        world.service.apply_credit_memo(memo_id, apply("60.00", invoice_id), key)

    assert world.repo.state() == state
    world.service.apply_credit_memo(memo_id, apply("50.00", invoice_id))  # the balance frees up...
    with pytest.raises(InsufficientBalance):  # ...and the same key is judged again, not replayed
        world.service.apply_credit_memo(memo_id, apply("60.00", invoice_id), key)
