"""Writing off invoices (spec section 10) through the service on the in-memory repository.

The memo of a write-off (its balance exactly, split into charge and tax line by line), each
invoice on its own, the whole request exactly once under a key (a replay, a crash halfway then
a retry, a key reused for another request), the Approver role, and the split as a property.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest
from credit_memos.access import AccessPolicy, Forbidden
from credit_memos.commands import Command, invoices, payments
from credit_memos.commands.write_offs import InvoiceWriteOff, WriteOffInvoices
from credit_memos.domain.write_offs import write_off_invoice
from credit_memos.errors import IdempotencyKeyMismatch, ValidationError
from credit_memos.ports import Changes
from hypothesis import given
from hypothesis import strategies as st

from tests.builders import make_invoice, memory_service, new_id
from tests.fakes.memory_repository import MemoryRepository

D = Decimal


class Ledger:
    def __init__(self) -> None:
        self.repo = MemoryRepository()
        self.service = memory_service(self.repo)

    def run(self, command: Command, key: str | None = None) -> Any:
        return self.service.execute(dataclasses.replace(command, actor="lena"), key)

    def invoice(
        self, *lines: tuple[str, str], level: str = "Invoice", status: str = "Posted"
    ) -> dict[str, Any]:
        inputs = tuple(invoices.InvoiceLineInput(D(c), D(t), product_name="Plan") for c, t in lines)
        command = invoices.CreateInvoice(
            "acct-1",
            "USD",
            inputs,
            status=status,  # type: ignore[arg-type]
            settlement_level=level,  # type: ignore[arg-type]
        )
        return dict(self.run(command).body)

    def get(self, invoice: dict[str, Any]) -> dict[str, Any]:
        return dict(self.run(invoices.GetInvoice(invoice["id"])).body)

    def memos(self) -> list[Any]:
        return [doc for (kind, _), doc in self.repo.state()["documents"].items() if kind == "memo"]


def write_off(*invoice_ids: str, reason: str = "BadDebt") -> WriteOffInvoices:
    return WriteOffInvoices(invoices=tuple(InvoiceWriteOff(i, reason) for i in invoice_ids))  # type: ignore[arg-type]


@pytest.fixture
def ledger() -> Ledger:
    return Ledger()


def test_the_memo_is_the_balance_split_into_charge_and_tax_in_each_lines_proportion(ledger: Ledger) -> None:
    invoice = ledger.invoice(("100.00", "19.00"), ("50.00", "0.00"))
    ledger.run(payments.RecordInvoicePayment(invoice["id"], D("69.00"), "wire-1"))
    (result,) = ledger.run(write_off(invoice["id"])).body["results"]
    assert result["success"] and result["error"] is None
    memo = result["creditMemo"]
    assert memo["sourceAction"] == "WriteOffPostedInvoice" and memo["status"] == "Posted"
    assert memo["reasonCode"] == "BadDebt" and memo["documentNumber"] == "CM-00000001"
    assert memo["referenceInvoiceId"] == invoice["id"]
    # 100.00 open: 70.42 falls on the taxed line (119/169, with the rounding's cent), 29.58 on the other.
    assert [(x["chargeAmount"], x["taxAmount"], x["amountWithTax"]) for x in memo["lines"]] == [
        ("59.18", "11.24", "70.42"),
        ("29.58", "0.00", "29.58"),
    ]
    assert [x["referenceInvoiceLineId"] for x in memo["lines"]] == [x["id"] for x in invoice["lines"]]
    assert memo["lines"][0]["taxes"][0]["taxAmount"] == "11.24"
    assert (memo["totalAmountWithTax"], memo["totalTaxAmount"], memo["balance"]) == (
        "100.00",
        "11.24",
        "0.00",
    )
    (application,) = result["applications"]
    assert application["level"] == "Invoice" and application["amount"] == "100.00"
    assert application["reasonCode"] == "BadDebt" and application["invoiceBalance"] == "0.00"
    after = ledger.get(invoice)
    assert (after["balance"], after["settlementStatus"]) == ("0.00", "Settled")


def test_at_line_level_each_line_writes_off_its_own_balance(ledger: Ledger) -> None:
    invoice = ledger.invoice(("100.00", "20.00"), ("40.00", "0.00"), level="InvoiceLine")
    ledger.run(payments.RecordInvoicePayment(invoice["id"], D("40.00"), "wire-1"))  # the larger line first
    (result,) = ledger.run(write_off(invoice["id"])).body["results"]
    memo = result["creditMemo"]
    assert [(x["chargeAmount"], x["taxAmount"]) for x in memo["lines"]] == [
        ("66.67", "13.33"),
        ("40.00", "0.00"),
    ]
    assert [(a["invoiceLineId"], a["amount"]) for a in result["applications"]] == [
        (invoice["lines"][0]["id"], "80.00"),
        (invoice["lines"][1]["id"], "40.00"),
    ]
    after = ledger.get(invoice)
    assert after["settlementStatus"] == "Settled"
    assert [x["balance"] for x in after["lines"]] == ["0.00", "0.00"]


def test_each_invoice_is_on_its_own_and_the_results_keep_the_requests_order(ledger: Ledger) -> None:
    good = [ledger.invoice(("10.00", "1.00")) for _ in range(2)]
    draft = ledger.invoice(("10.00", "0.00"), status="Draft")
    settled = ledger.invoice(("10.00", "0.00"))
    ledger.run(payments.RecordInvoicePayment(settled["id"], D("10.00"), "wire-1"))
    ids = [good[0]["id"], "inv_unknown", draft["id"], settled["id"], good[1]["id"]]
    outcome = ledger.run(write_off(*ids))
    assert outcome.status_code == 200
    results = outcome.body["results"]
    assert [r["invoiceId"] for r in results] == ids
    assert [r["success"] for r in results] == [True, False, False, False, True]
    assert [r["error"]["errorCode"] for r in results if r["error"]] == [
        "NOT_FOUND",
        "INVALID_STATUS",
        "INVALID_STATUS",
    ]
    assert all(r["creditMemo"] is None and r["applications"] == [] for r in results if not r["success"])
    assert [r["creditMemo"]["documentNumber"] for r in results if r["success"]] == [
        "CM-00000001",
        "CM-00000002",
    ]
    assert ledger.get(draft)["balance"] == "10.00" and len(ledger.memos()) == 2


def test_under_a_key_the_whole_request_replays_and_nothing_is_done_twice(ledger: Ledger) -> None:
    invoice = ledger.invoice(("10.00", "1.00"))
    command = write_off(invoice["id"], "inv_unknown")
    first = ledger.run(command, "key-1")
    state = ledger.repo.state()
    again = ledger.run(command, "key-1")
    assert again.replayed and again.body == first.body
    assert ledger.repo.state()["documents"] == state["documents"]
    with pytest.raises(IdempotencyKeyMismatch):
        ledger.run(write_off(invoice["id"]), "key-1")


class CrashOnce(MemoryRepository):
    """The process dies at the ``at``-th commit (a crash halfway through a request)."""

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at, self.tries = at, 0

    def commit(self, unit: Changes) -> None:
        self.tries += 1
        if self.tries == self.at:
            raise RuntimeError("the function was stopped")
        super().commit(unit)


def test_a_crash_halfway_then_a_retry_finishes_the_rest_without_doing_any_invoice_twice() -> None:
    ledger = Ledger()
    ledger.repo = CrashOnce(at=0)
    ledger.service = memory_service(ledger.repo)
    invoices_ = [ledger.invoice(("10.00", "1.00")) for _ in range(3)]
    command = write_off(*(i["id"] for i in invoices_))
    ledger.repo.at = ledger.repo.tries + 2  # the second invoice's transaction never happens
    with pytest.raises(RuntimeError):
        ledger.run(command, "key-1")
    assert [ledger.get(i)["balance"] for i in invoices_] == ["0.00", "11.00", "11.00"]
    done_before = ledger.memos()
    retry = ledger.run(command, "key-1")
    assert not retry.replayed and all(r["success"] for r in retry.body["results"])
    assert retry.body["results"][0]["creditMemo"]["id"] == done_before[0].id  # replayed, not redone
    assert [ledger.get(i)["balance"] for i in invoices_] == ["0.00", "0.00", "0.00"]
    assert len(ledger.memos()) == 3
    assert [r["creditMemo"]["documentNumber"] for r in retry.body["results"]] == [
        "CM-00000001",
        "CM-00000002",
        "CM-00000003",
    ]
    assert ledger.run(command, "key-1").replayed


class NoRoomForTheAnswer(MemoryRepository):
    """The whole answer is too large for one item (a write's own record still fits)."""

    def commit(self, unit: Changes) -> None:
        if unit.idempotency is not None and unit.idempotency.operation == "WriteOffInvoices":
            raise ValidationError("the request is too large to store atomically")
        super().commit(unit)


def test_an_answer_too_large_to_store_is_answered_and_a_retry_still_does_nothing_twice() -> None:
    ledger = Ledger()
    ledger.repo = NoRoomForTheAnswer()
    ledger.service = memory_service(ledger.repo)
    invoices_ = [ledger.invoice(("10.00", "1.00")) for _ in range(2)]
    command = write_off(*(i["id"] for i in invoices_))
    first = ledger.run(command, "key-1")
    assert all(r["success"] for r in first.body["results"])
    again = ledger.run(command, "key-1")
    assert again.body == first.body and len(ledger.memos()) == 2


def test_a_dry_run_answers_what_the_write_off_would_and_writes_nothing(ledger: Ledger) -> None:
    invoice = ledger.invoice(("10.00", "1.00"))
    before = ledger.repo.state()
    dry = ledger.service.execute(
        dataclasses.replace(write_off(invoice["id"], "inv_unknown"), actor="lena"), "k", dry_run=True
    )
    assert dry.dry_run and ledger.repo.state() == before
    (done, missing) = dry.body["results"]
    assert (
        done["success"] and done["creditMemo"]["id"] is None and done["creditMemo"]["documentNumber"] is None
    )
    assert missing["error"]["errorCode"] == "NOT_FOUND"
    real = ledger.run(write_off(invoice["id"], "inv_unknown"), "k")
    assert not real.replayed and real.body["results"][1] == missing
    assert (
        real.body["results"][0]["creditMemo"]["totalAmountWithTax"]
        == done["creditMemo"]["totalAmountWithTax"]
    )


def test_only_an_approver_writes_off() -> None:
    policy = AccessPolicy.parse(
        {
            "principals": [
                {"match": "arn:aws:iam::1:role/ops", "role": "Operator", "billingAccounts": ["*"]},
                {"match": "arn:aws:iam::1:role/lead", "role": "Approver", "billingAccounts": ["*"]},
            ]
        }
    )
    ledger = Ledger()
    invoice = ledger.invoice(("10.00", "0.00"))

    def as_(identity: str) -> Any:
        command = dataclasses.replace(
            write_off(invoice["id"]), actor=identity, caller=policy.caller(identity)
        )
        return ledger.service.execute(command)

    with pytest.raises(Forbidden):
        as_("arn:aws:iam::1:role/ops")
    assert as_("arn:aws:iam::1:role/lead").body["results"][0]["success"]


def test_a_write_off_over_the_threshold_stays_within_the_approvers_limit() -> None:
    policy = AccessPolicy.parse(
        {
            "principals": [
                {
                    "match": "arn:aws:iam::1:role/lead",
                    "role": "Approver",
                    "billingAccounts": ["*"],
                    "approvalLimits": {"USD": "500.00"},
                }
            ],
            "approvalThresholds": {"USD": "100.00"},
        }
    )
    ledger = Ledger()
    within, beyond = ledger.invoice(("300.00", "0.00")), ledger.invoice(("600.00", "0.00"))
    lead = "arn:aws:iam::1:role/lead"
    command = dataclasses.replace(
        write_off(within["id"], beyond["id"]), actor=lead, caller=policy.caller(lead)
    )
    results = ledger.service.execute(command).body["results"]
    assert results[0]["success"] and results[0]["creditMemo"]["status"] == "Posted"
    assert results[1]["error"]["errorCode"] == "APPROVAL_LIMIT_EXCEEDED"
    assert ledger.get(beyond)["balance"] == "600.00"


lines = st.lists(
    st.tuples(
        st.decimals(min_value=D("0.01"), max_value=D("5000"), places=2),
        st.decimals(min_value=D("0"), max_value=D("1000"), places=2),
    ),
    min_size=1,
    max_size=6,
)


@given(lines=lines, level=st.sampled_from(["Invoice", "InvoiceLine"]), paid_share=st.integers(0, 99))
def test_the_split_adds_up_to_the_balance_and_keeps_each_lines_tax_share(
    lines: list[tuple[Decimal, Decimal]], level: str, paid_share: int
) -> None:
    invoice = make_invoice(*((str(c), str(t)) for c, t in lines), level=level)
    if paid_share:  # part of it settled already: at line level, off the first line with room
        paid = (invoice.balance * paid_share / 100).quantize(D("0.01"))
        invoice.balance -= paid
        if level == "InvoiceLine":
            left = paid
            for line in invoice.lines:
                step = min(left, line.balance)
                line.balance -= step
                left -= step
    open_before = invoice.balance
    if open_before <= 0:
        return
    memo, _ = write_off_invoice(
        invoice,
        memo_id=new_id("cm"),
        memo_line_ids=[new_id("cml") for _ in invoice.lines],
        entry_id=new_id("app"),
        now="2026-12-06T12:00:00.000Z",
        effective_date="2026-12-06",
        description=None,
    )
    assert memo.total_amount_with_tax == open_before and invoice.balance == 0 and memo.balance == 0
    by_id = {line.id: line for line in invoice.lines}
    for memo_line in memo.lines:
        source = by_id[memo_line.reference_invoice_line_id or ""]
        assert memo_line.charge_amount + memo_line.tax_amount == memo_line.amount_with_tax > 0
        assert memo_line.charge_amount >= 0 and memo_line.tax_amount >= 0
        exact = memo_line.amount_with_tax * source.tax_amount / source.amount_with_tax
        assert abs(memo_line.tax_amount - exact) <= D("0.005")
    if level == "InvoiceLine":
        assert all(line.balance == 0 for line in invoice.lines)
