"""Payments on invoices (spec section 8) through the service on the in-memory repository.

Recording, spreading over lines, reversing, references, the shared balance with credits, the
rules of conversion and voids once an invoice is paid, races and replays under a key.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from credit_memos import commands
from credit_memos.adapters.dynamodb.document_items import document_from_item, document_item
from credit_memos.adapters.dynamodb.line_chunks import line_chunks
from credit_memos.commands import applications, conversion, invoices, memos, payments
from credit_memos.domain.documents import Invoice
from credit_memos.domain.inputs import ApplyTarget, InvoiceLineInput, MemoChargeInput
from credit_memos.errors import (
    AlreadyReversed,
    DuplicateReference,
    InsufficientBalance,
    InvalidStatus,
    NotFound,
    ValidationError,
)
from credit_memos.ports import Changes
from credit_memos.settings import Settings
from credit_memos.usecases import CreditMemoService
from credit_memos.views import InvoiceView

from tests.fakes.memory_repository import MemoryRepository


class World:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
        self.repo = MemoryRepository(now=lambda: self.now.timestamp())
        self.settings = Settings(
            table_name="unused",
            credit_application_level="Invoice",
            dynamodb_endpoint_url=None,
            idempotency_ttl_hours=48,
            region="us-east-1",
            max_conflict_retries=3,
        )
        self.service = self.new_service()

    def new_service(self) -> CreditMemoService:
        return CreditMemoService(self.repo, self.settings, clock=lambda: self.now, sleep=lambda _: None)

    def run(self, command: commands.Command, key: str | None = None) -> Any:
        return self.service.execute(command, key).body

    def invoice(self, *amounts: str, level: str = "Invoice", status: str = "Posted") -> dict[str, Any]:
        lines = tuple(InvoiceLineInput(Decimal(a)) for a in amounts or ("100.00",))
        command = invoices.CreateInvoice(
            billing_account_id="acct-1",
            currency="USD",
            lines=lines,
            settlement_level=level,  # type: ignore[arg-type]
            status=status,  # type: ignore[arg-type]
        )
        return dict(self.run(command))

    def memo(self, amount: str = "50.00") -> str:
        command = memos.CreateCreditMemo(
            billing_account_id="acct-1",
            currency="USD",
            charges=(MemoChargeInput(Decimal(amount), product_name="refund"),),
        )
        return str(self.run(command)["id"])

    def get(self, invoice_id: str) -> dict[str, Any]:
        return dict(self.run(invoices.GetInvoice(invoice_id)))

    def pay(self, invoice_id: str, amount: str, reference: str = "wire-1", key: str | None = None) -> Any:
        return self.run(payments.RecordInvoicePayment(invoice_id, Decimal(amount), reference), key)

    def reverse(self, payment_id: str, key: str | None = None, **fields: Any) -> Any:
        return self.run(payments.ReverseInvoicePayment(payment_id, **fields), key)

    def payments(self, invoice_id: str) -> list[dict[str, Any]]:
        return list(self.run(payments.ListInvoicePayments(invoice_id))["items"])


@pytest.fixture
def world() -> World:
    return World()


def balance(invoice: dict[str, Any]) -> Decimal:
    return Decimal(invoice["balance"])


def test_a_payment_takes_from_the_balance_and_the_invoice_shows_it(world: World) -> None:
    invoice = world.invoice("100.00")
    payment = world.pay(invoice["id"], "30.00")
    assert payment["type"] == "Payment"
    assert (payment["amount"], payment["invoiceBalance"], payment["hasBeenReversed"]) == (
        "30.00",
        "70.00",
        "No",
    )
    assert payment["paymentReference"] == "wire-1"
    assert payment["effectiveDate"] == "2026-12-01"
    assert "lineAllocations" not in payment  # level Invoice
    after = world.get(invoice["id"])
    assert (after["balance"], after["netPaymentsApplied"], after["settlementStatus"]) == (
        "70.00",
        "30.00",
        "PartiallySettled",
    )
    world.pay(invoice["id"], "70.00", reference="wire-2")
    assert world.get(invoice["id"])["settlementStatus"] == "Settled"


def test_a_payment_over_the_balance_or_on_a_draft_changes_nothing(world: World) -> None:
    invoice = world.invoice("100.00")
    before = world.repo.state()
    with pytest.raises(InsufficientBalance):
        world.pay(invoice["id"], "100.01")
    with pytest.raises(ValidationError):
        world.pay(invoice["id"], "0")
    with pytest.raises(ValidationError):
        world.pay(invoice["id"], "1.001")  # more digits than USD has
    with pytest.raises(NotFound):
        world.pay("inv_missing", "1.00")
    draft = world.invoice("10.00", status="Draft")
    before = world.repo.state()
    with pytest.raises(InvalidStatus):
        world.pay(draft["id"], "1.00")
    assert world.repo.state() == before


def test_at_line_level_a_payment_goes_to_the_highest_balances_first_ties_in_line_order(world: World) -> None:
    invoice = world.invoice("40.00", "60.00", "60.00", "-10.00", level="InvoiceLine")
    ids = [line["id"] for line in invoice["lines"]]
    payment = world.pay(invoice["id"], "130.00")
    assert payment["lineAllocations"] == [
        {"invoiceLineId": ids[1], "amount": "60.00"},
        {"invoiceLineId": ids[2], "amount": "60.00"},
        {"invoiceLineId": ids[0], "amount": "10.00"},
    ]
    after = world.get(invoice["id"])
    assert [line["balance"] for line in after["lines"]] == ["30.00", "0.00", "0.00", "-10.00"]
    assert [line["netPaymentsApplied"] for line in after["lines"]] == ["10.00", "60.00", "60.00", "0.00"]
    assert balance(after) == sum(Decimal(line["balance"]) for line in after["lines"]) == Decimal("20.00")


def test_a_reversal_restores_the_balances_exactly_and_only_once(world: World) -> None:
    invoice = world.invoice("40.00", "60.00", level="InvoiceLine")
    payment = world.pay(invoice["id"], "70.00")
    reversal = world.reverse(payment["id"], description="bounced", reason_code="BillingError")
    assert reversal["type"] == "Reversal"
    assert (reversal["associatedPaymentId"], reversal["amount"], reversal["hasBeenReversed"]) == (
        payment["id"],
        "70.00",
        "NA",
    )
    assert reversal["invoiceBalance"] == "100.00"
    assert reversal["lineAllocations"] == payment["lineAllocations"]
    assert reversal["reasonCode"] == "BillingError"
    after = world.get(invoice["id"])
    assert after == {**invoice, "updatedAt": after["updatedAt"]}  # every amount as before the payment
    with pytest.raises(AlreadyReversed):
        world.reverse(payment["id"])
    with pytest.raises(InvalidStatus):
        world.reverse(reversal["id"])
    with pytest.raises(NotFound):
        world.reverse("pay_missing")
    listed = world.payments(invoice["id"])
    assert [(r["id"], r["type"], r["hasBeenReversed"]) for r in listed] == [
        (payment["id"], "Payment", "Yes"),
        (reversal["id"], "Reversal", "NA"),
    ]
    assert listed[0]["reversedAt"] == reversal["createdAt"]


def test_a_reference_is_taken_until_its_payment_is_reversed(world: World) -> None:
    invoice = world.invoice("100.00")
    other = world.invoice("100.00")
    first = world.pay(invoice["id"], "10.00", reference="chk-7")
    with pytest.raises(DuplicateReference):
        world.pay(invoice["id"], "5.00", reference="chk-7")
    world.pay(other["id"], "5.00", reference="chk-7")  # another invoice's references are its own
    world.reverse(first["id"])
    again = world.pay(invoice["id"], "5.00", reference="chk-7")
    assert again["paymentReference"] == "chk-7"
    assert balance(world.get(invoice["id"])) == Decimal("95.00")
    with pytest.raises(DuplicateReference):
        world.pay(invoice["id"], "1.00", reference="chk-7")


def test_two_racing_payments_with_one_reference_cannot_both_commit(world: World) -> None:
    invoice = world.invoice("100.00")
    rival = world.new_service()

    def race(repo: MemoryRepository, _: Changes) -> None:
        repo.before_commit.remove(race)
        rival.execute(payments.RecordInvoicePayment(invoice["id"], Decimal("20.00"), "dup"))

    world.repo.before_commit.append(race)
    with pytest.raises(DuplicateReference):
        world.pay(invoice["id"], "10.00", reference="dup")
    assert [p["amount"] for p in world.payments(invoice["id"])] == ["20.00"]
    assert balance(world.get(invoice["id"])) == Decimal("80.00")


def test_a_payment_that_loses_the_balance_to_a_credit_is_insufficient_balance(world: World) -> None:
    invoice = world.invoice("100.00")
    memo_id = world.memo("90.00")
    rival = world.new_service()

    def race(repo: MemoryRepository, _: Changes) -> None:
        repo.before_commit.remove(race)
        target = ApplyTarget(invoice_id=invoice["id"], amount=Decimal("90.00"))
        rival.execute(applications.ApplyCreditMemo(memo_id, (target,)))

    world.repo.before_commit.append(race)
    with pytest.raises(InsufficientBalance):
        world.pay(invoice["id"], "20.00")
    assert balance(world.get(invoice["id"])) == Decimal("10.00")
    assert world.payments(invoice["id"]) == []


def test_credit_never_goes_onto_what_was_paid_and_unapply_after_a_payment_is_exact(world: World) -> None:
    invoice = world.invoice("100.00")
    memo_id = world.memo("50.00")
    applied = world.run(
        applications.ApplyCreditMemo(
            memo_id, (ApplyTarget(invoice_id=invoice["id"], amount=Decimal("30.00")),)
        )
    )
    world.pay(invoice["id"], "70.00")
    with pytest.raises(InsufficientBalance):
        world.run(
            applications.ApplyCreditMemo(
                memo_id, (ApplyTarget(invoice_id=invoice["id"], amount=Decimal("0.01")),)
            )
        )
    with pytest.raises(InsufficientBalance):  # without an amount: nothing left to apply
        world.run(applications.ApplyCreditMemo(memo_id, (ApplyTarget(invoice_id=invoice["id"]),)))
    world.run(applications.UnapplyCreditMemoApplication(applied["applications"][0]["id"]))
    after = world.get(invoice["id"])
    assert (after["balance"], after["netCreditsApplied"], after["netPaymentsApplied"]) == (
        "30.00",
        "0.00",
        "70.00",
    )


def test_a_paid_invoice_may_convert_its_negative_lines_and_stays_consistent(world: World) -> None:
    invoice = world.invoice("300.00", "-100.00", level="InvoiceLine")
    world.pay(invoice["id"], "200.00")
    result = world.run(conversion.ConvertNegativeInvoiceLines(invoice["id"]))
    after = world.get(invoice["id"])
    assert result["creditMemo"]["balance"] == "0.00"  # applied back onto what was left unpaid
    assert (after["balance"], after["netPaymentsApplied"], after["netCreditsApplied"]) == (
        "0.00",
        "200.00",
        "100.00",
    )
    assert sum(Decimal(line["balance"]) for line in after["lines"]) == Decimal(0)
    # Voiding the conversion memo takes back what it added; refused while payments use it.
    memo_id = result["creditMemo"]["id"]
    world.run(applications.UnapplyCreditMemoLineApplication(result["applications"][0]["id"]))
    late = world.pay(invoice["id"], "50.00", reference="wire-2")
    with pytest.raises(InsufficientBalance):
        world.run(memos.VoidCreditMemo(memo_id))
    world.reverse(late["id"])
    world.run(memos.VoidCreditMemo(memo_id))
    final = world.get(invoice["id"])
    assert (final["balance"], final["totalConvertedNegAmount"], final["netPaymentsApplied"]) == (
        "0.00",
        "0.00",
        "200.00",
    )
    assert [line["balance"] for line in final["lines"]] == ["100.00", "-100.00"]


def test_replays_under_a_key_record_and_reverse_once(world: World) -> None:
    invoice = world.invoice("100.00")
    first = world.service.execute(
        payments.RecordInvoicePayment(invoice["id"], Decimal("10.00"), "r-1"), "key-1"
    )
    again = world.service.execute(
        payments.RecordInvoicePayment(invoice["id"], Decimal("10.00"), "r-1"), "key-1"
    )
    assert (first.status_code, again.status_code, again.replayed) == (201, 201, True)
    assert again.body == first.body
    reversed_ = world.service.execute(payments.ReverseInvoicePayment(first.body["id"]), "key-2")
    replay = world.service.execute(payments.ReverseInvoicePayment(first.body["id"]), "key-2")
    assert (reversed_.status_code, replay.replayed, replay.body) == (200, True, reversed_.body)
    assert len(world.payments(invoice["id"])) == 2
    assert balance(world.get(invoice["id"])) == Decimal("100.00")


def test_payment_events_carry_the_invoice_and_the_record(world: World) -> None:
    invoice = world.invoice("100.00")
    payment = world.pay(invoice["id"], "25.00")
    world.reverse(payment["id"])
    recorded, reversed_ = world.repo.events[-2:]
    assert (recorded.detail_type, reversed_.detail_type) == ("PaymentRecorded", "PaymentReversed")
    assert recorded.detail["payment"]["id"] == payment["id"]
    assert recorded.detail["invoice"]["balance"] == "75.00"
    assert reversed_.detail["invoice"]["balance"] == "100.00"
    assert reversed_.detail["sequences"][invoice["id"]] == recorded.detail["sequences"][invoice["id"]] + 1


def test_invoices_stored_before_payments_read_as_unpaid(world: World) -> None:
    invoice = world.invoice("60.00", "40.00", level="InvoiceLine")
    stored = world.repo.read(invoice_ids=[invoice["id"]]).invoices[invoice["id"]]
    # The header with its lines inside it, as written before payments existed.
    item = document_item(stored) | {"lines": [line for chunk in line_chunks(stored) for line in chunk]}
    del item["net_payments_applied"]
    assert all("net_payments_applied" not in line for line in item["lines"])  # never paid: not stored
    old = document_from_item(item)
    assert isinstance(old, Invoice)
    view = InvoiceView.of(old).body()
    assert view["netPaymentsApplied"] == "0.00" and view["settlementStatus"] == "NotSettled"
    assert [line["netPaymentsApplied"] for line in view["lines"]] == ["0.00", "0.00"]
