"""The books (spec section 11) through the service on the in-memory repository: the entries each
money movement writes, periods closing and reopening, PERIOD_CLOSED, the journal and the trial
balance, and the two equalities after every step of random sequences of operations."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from credit_memos import commands
from credit_memos.commands import (
    applications,
    books,
    conversion,
    invoices,
    memos,
    payments,
    refunds,
    write_offs,
)
from credit_memos.domain.inputs import (
    ApplyTarget,
    CreditLineInput,
    InvoiceLineInput,
    MemoChargeInput,
    TaxInput,
)
from credit_memos.domain.journal import is_balanced
from credit_memos.errors import InvalidStatus, PeriodClosed
from credit_memos.settings import Settings
from credit_memos.usecases import CreditMemoService
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fakes.memory_repository import MemoryRepository


class Books:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
        self.repo = MemoryRepository(now=lambda: self.now.timestamp())
        self.service = CreditMemoService(
            self.repo, Settings(max_conflict_retries=3), clock=lambda: self.now, sleep=lambda _: None
        )

    def run(self, command: commands.Command, key: str | None = None, dry_run: bool = False) -> Any:
        return self.service.execute(command, key, dry_run=dry_run).body

    def invoice(
        self, *lines: tuple[str, str], day: str = "2026-11-10", account: str = "acct-1"
    ) -> dict[str, Any]:
        inputs = tuple(InvoiceLineInput(Decimal(c), Decimal(t)) for c, t in lines or (("100.00", "0.00"),))
        return self.run(invoices.CreateInvoice(account, "USD", inputs, invoice_date=day))

    def memo(
        self, charge: str = "50.00", tax: str = "0", day: str = "2026-11-12", account: str = "acct-1"
    ) -> Any:
        taxes = (TaxInput(Decimal(tax)),) if Decimal(tax) else ()
        charges = (MemoChargeInput(Decimal(charge), product_name="p", taxes=taxes),)
        return self.run(memos.CreateCreditMemo(account, "USD", charges, effective_date=day))

    def apply(
        self, memo: dict[str, Any], invoice: dict[str, Any], amount: str, day: str = "2026-04-15"
    ) -> Any:
        target = ApplyTarget(invoice["id"], Decimal(amount), effective_date=day)
        return self.run(applications.ApplyCreditMemo(memo["id"], (target,)))

    def lines(self, source_type: str) -> dict[str, tuple[Decimal, Decimal]]:
        entries = [e for e in self.repo.journal if e.source_type == source_type]
        assert entries, f"no {source_type} entry"
        return {line.account: (line.debit, line.credit) for line in entries[-1].lines}

    def trial(self, as_of: str = "2026-12-31", account: str | None = "acct-1") -> dict[str, Decimal]:
        body = self.run(books.GetTrialBalance(as_of, "USD", account))
        return {line["account"]: Decimal(line["balance"]) for line in body["accounts"]}

    def agrees(self, account: str = "acct-1") -> None:
        """The contract's two equalities, against the documents as stored."""
        state = self.repo.state()["documents"]
        receivable = sum(
            (
                d.balance
                for (kind, _), d in state.items()
                if kind == "invoice" and d.status == "Posted" and d.billing_account_id == account
            ),
            Decimal(0),
        )
        credit = sum(
            (
                d.balance
                for (kind, _), d in state.items()
                if kind == "memo" and d.status == "Posted" and d.billing_account_id == account
            ),
            Decimal(0),
        )
        balances = self.trial("9999-12-31", account)
        assert balances["AccountsReceivable"] == receivable
        assert -balances["CustomerCredit"] == credit
        assert all(is_balanced(e) for e in self.repo.journal)


D = Decimal


def test_each_movement_books_balanced_entries_with_the_configured_codes() -> None:
    b = Books()
    invoice = b.invoice(("100.00", "10.00"), ("-20.00", "0.00"))
    assert b.lines("InvoicePosted") == {
        "AccountsReceivable": (D("90.00"), D(0)),
        "Revenue": (D(0), D("80.00")),
        "TaxPayable": (D(0), D("10.00")),
    }
    memo = b.memo("30.00", "3.00")
    assert b.lines("CreditMemoPosted") == {
        "SalesReturns": (D("30.00"), D(0)),
        "TaxPayable": (D("3.00"), D(0)),
        "CustomerCredit": (D(0), D("33.00")),
    }
    applied = b.apply(memo, invoice, "33.00")
    assert b.lines("CreditApplied") == {
        "CustomerCredit": (D("33.00"), D(0)),
        "AccountsReceivable": (D(0), D("33.00")),
    }
    b.run(applications.UnapplyCreditMemoApplication(applied["applications"][0]["id"]))
    assert b.lines("CreditUnapplied") == {
        "CustomerCredit": (D(0), D("33.00")),
        "AccountsReceivable": (D("33.00"), D(0)),
    }
    b.run(memos.VoidCreditMemo(memo["id"]))
    assert b.lines("CreditMemoVoided") == {
        "SalesReturns": (D(0), D("30.00")),
        "TaxPayable": (D(0), D("3.00")),
        "CustomerCredit": (D("33.00"), D(0)),
    }
    payment = b.run(payments.RecordInvoicePayment(invoice["id"], D("40.00"), "wire-1"))
    assert b.lines("PaymentRecorded") == {
        "Cash": (D("40.00"), D(0)),
        "AccountsReceivable": (D(0), D("40.00")),
    }
    b.run(payments.ReverseInvoicePayment(payment["id"]))
    assert b.lines("PaymentReversed") == {
        "Cash": (D(0), D("40.00")),
        "AccountsReceivable": (D("40.00"), D(0)),
    }
    refunded_memo = b.memo("20.00")
    refund = b.run(
        refunds.RefundCreditMemo(refunded_memo["id"], D("15.00"), "chq-1", effective_date="2026-11-20")
    )
    assert b.lines("CreditMemoRefunded") == {"CustomerCredit": (D("15.00"), D(0)), "Cash": (D(0), D("15.00"))}
    b.run(refunds.ReverseCreditMemoRefund(refund["id"]))
    assert b.lines("RefundReversed") == {"CustomerCredit": (D(0), D("15.00")), "Cash": (D("15.00"), D(0))}
    bad = b.invoice(("100.00", "10.00"))
    result = b.run(write_offs.WriteOffInvoices((write_offs.InvoiceWriteOff(bad["id"], "BadDebt"),)))
    assert result["results"][0]["success"], result
    written_off = [e for e in b.repo.journal if e.source_id == result["results"][0]["creditMemo"]["id"]]
    assert {line.account: (line.debit, line.credit) for line in written_off[0].lines} == {
        "BadDebtExpense": (D("100.00"), D(0)),
        "TaxPayable": (D("10.00"), D(0)),
        "CustomerCredit": (D(0), D("110.00")),
    }
    assert written_off[1].source_type == "CreditApplied"
    converted = b.run(conversion.ConvertNegativeInvoiceLines(invoice["id"]))
    assert converted["creditMemo"]["totalAmountWithTax"] == "20.00"
    codes = {line.account: line.account_code for e in b.repo.journal for line in e.lines}
    assert codes["AccountsReceivable"] == "1200" and codes["CustomerCredit"] == "2300"
    b.agrees()


def test_credit_from_invoice_lines_books_the_memo_and_its_application() -> None:
    b = Books()
    invoice = b.invoice(("100.00", "10.00"))
    line = invoice["lines"][0]["id"]
    credit = (CreditLineInput(line, D("50.00")),)
    b.run(conversion.CreditInvoice(invoice["id"], "CopyFromInvoiceLine", credit, effective_date="2026-11-20"))
    kinds = [e.source_type for e in b.repo.journal]
    assert kinds == ["InvoicePosted", "CreditMemoPosted", "CreditApplied"]
    assert b.lines("CreditApplied")["AccountsReceivable"] == (D(0), D("55.00"))
    b.agrees()


def test_a_retried_request_books_once_and_a_draft_books_nothing_until_posted() -> None:
    b = Books()
    b.run(invoices.CreateInvoice("acct-1", "USD", (InvoiceLineInput(D("10.00")),)), key="k1")
    b.run(invoices.CreateInvoice("acct-1", "USD", (InvoiceLineInput(D("10.00")),)), key="k1")
    assert len(b.repo.journal) == 1
    draft = b.run(
        memos.CreateCreditMemo(
            "acct-1", "USD", (MemoChargeInput(D("5.00"), product_name="p"),), status="Draft"
        )
    )
    assert len(b.repo.journal) == 1
    b.run(memos.PostCreditMemo(draft["id"]))
    assert [e.source_type for e in b.repo.journal][-1] == "CreditMemoPosted"


def test_a_closed_period_refuses_movements_dated_in_it_and_its_balances_stay() -> None:
    b = Books()
    invoice = b.invoice(("100.00", "0.00"), day="2026-10-05")
    b.invoice(("60.00", "0.00"), day="2026-11-05")
    closed = b.run(books.CloseAccountingPeriod("2026-10"))
    b.run(books.FreezePeriodBalances("2026-10"))
    assert closed["status"] == "Closed" and closed["period"] == "2026-10"
    before = b.trial("2026-10-31")
    with pytest.raises(PeriodClosed):
        b.run(payments.RecordInvoicePayment(invoice["id"], D("10.00"), "r1", effective_date="2026-10-31"))
    with pytest.raises(PeriodClosed):  # a dry run meets the same refusal
        b.run(
            payments.RecordInvoicePayment(invoice["id"], D("10.00"), "r1", effective_date="2026-09-01"),
            dry_run=True,
        )
    b.run(payments.RecordInvoicePayment(invoice["id"], D("10.00"), "r2", effective_date="2026-11-01"))
    assert b.trial("2026-10-31") == before
    assert b.trial("2026-11-30")["AccountsReceivable"] == D("150.00")
    # Months before the first close are closed with it; periods close and reopen in order.
    assert b.run(books.GetAccountingPeriod("2026-09"))["status"] == "Closed"
    assert b.run(books.GetAccountingPeriod("2026-11"))["status"] == "Open"
    with pytest.raises(InvalidStatus):
        b.run(books.CloseAccountingPeriod("2027-01"))
    b.run(books.CloseAccountingPeriod("2026-11"))
    b.run(books.FreezePeriodBalances("2026-11"))
    assert b.trial("2026-11-30")["AccountsReceivable"] == D("150.00")
    with pytest.raises(InvalidStatus):
        b.run(books.ReopenAccountingPeriod("2026-10", "BillingError"))
    reopened = b.run(books.ReopenAccountingPeriod("2026-11", "BillingError"))
    assert reopened["status"] == "Open"
    b.run(payments.RecordInvoicePayment(invoice["id"], D("5.00"), "r3", effective_date="2026-11-20"))
    assert b.trial("2026-11-30")["AccountsReceivable"] == D("145.00")
    kinds = [e.detail_type for e in b.repo.events]
    assert kinds.count("AccountingPeriodClosed") == 2 and kinds.count("AccountingPeriodReopened") == 1
    b.agrees()


def test_the_journal_lists_by_date_oldest_first_in_pages() -> None:
    b = Books()
    for day in ("2026-11-03", "2026-11-01", "2026-11-02", "2026-12-01"):
        b.invoice(("10.00", "0.00"), day=day, account="acct-2" if day.endswith("02") else "acct-1")
    seen: list[str] = []
    token = None
    while True:
        page = b.run(books.ListJournalEntries("2026-11-01", "2026-11-30", None, 2, token))
        seen += [e["entryDate"] for e in page["items"]]
        token = page["nextToken"]
        if token is None:
            break
    assert seen == ["2026-11-01", "2026-11-02", "2026-11-03"]
    one = b.run(books.ListJournalEntries("2026-11-01", "2026-12-31", "acct-2"))
    assert [e["billingAccountId"] for e in one["items"]] == ["acct-2"]


OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "invoice",
                "memo",
                "apply",
                "unapply",
                "void",
                "pay",
                "reverse",
                "convert",
                "refund",
                "unrefund",
                "write_off",
                "close",
            ]
        ),
        st.integers(0, 5),
        st.sampled_from(["1.00", "7.50", "30.00", "120.00"]),
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(OPERATIONS)
def test_the_equalities_hold_after_any_sequence_of_operations(steps: list[tuple[str, int, str]]) -> None:
    b = Books()
    made: dict[str, list[dict[str, Any]]] = {
        "invoice": [],
        "memo": [],
        "applied": [],
        "payment": [],
        "refund": [],
    }
    months = iter(["2026-01", "2026-02", "2026-03"])

    def pick(kind: str, n: int) -> dict[str, Any] | None:
        return made[kind][n % len(made[kind])] if made[kind] else None

    for name, n, amount in steps:
        try:
            if name == "invoice":
                day = f"2026-0{1 + n % 4}-10"  # some in periods the sequence closes
                made["invoice"].append(b.invoice((amount, "1.00"), ("-1.00", "0.00"), day=day))
            elif name == "memo":
                made["memo"].append(b.memo(amount, "0.50", day=f"2026-0{1 + n % 4}-12"))
            elif name == "apply" and (memo := pick("memo", n)) and (invoice := pick("invoice", n)):
                made["applied"] += b.apply(memo, invoice, amount)["applications"]
            elif name == "unapply" and (applied := pick("applied", n)):
                b.run(applications.UnapplyCreditMemoApplication(applied["id"]))
            elif name == "void" and (memo := pick("memo", n)):
                b.run(memos.VoidCreditMemo(memo["id"]))
            elif name == "pay" and (invoice := pick("invoice", n)):
                made["payment"].append(
                    b.run(payments.RecordInvoicePayment(invoice["id"], D(amount), f"r{n}"))
                )
            elif name == "reverse" and (payment := pick("payment", n)):
                b.run(payments.ReverseInvoicePayment(payment["id"]))
            elif name == "convert" and (invoice := pick("invoice", n)):
                b.run(conversion.ConvertNegativeInvoiceLines(invoice["id"], apply_to_invoice=n % 2 == 0))
            elif name == "refund" and (memo := pick("memo", n)):
                made["refund"].append(
                    b.run(
                        refunds.RefundCreditMemo(
                            memo["id"], D(amount), f"chq{n}", effective_date="2026-04-20"
                        )
                    )
                )
            elif name == "unrefund" and (refund := pick("refund", n)):
                b.run(refunds.ReverseCreditMemoRefund(refund["id"]))
            elif name == "write_off" and (invoice := pick("invoice", n)):
                b.run(write_offs.WriteOffInvoices((write_offs.InvoiceWriteOff(invoice["id"], "BadDebt"),)))
            elif name == "close" and (month := next(months, None)):
                b.run(books.CloseAccountingPeriod(month))
                b.run(books.FreezePeriodBalances(month))
        except Exception as error:  # a refusal changes nothing; the books must still agree
            assert getattr(error, "error_code", None) is not None, error
        b.agrees()


def test_only_approvers_close_and_scoped_callers_see_only_their_accounts_entries() -> None:
    import dataclasses

    from credit_memos.access import AccessPolicy, Forbidden

    policy = AccessPolicy.parse(
        {
            "principals": [
                {"match": "ops", "role": "Operator", "billingAccounts": ["eu-*"]},
                {"match": "lead", "role": "Approver", "billingAccounts": ["*"]},
            ]
        }
    )
    b = Books()

    def run(identity: str, command: commands.Command) -> Any:
        caller = policy.caller(identity)
        return b.service.execute(dataclasses.replace(command, actor=identity, caller=caller)).body

    b.invoice(("10.00", "0.00"), account="eu-1")
    b.invoice(("20.00", "0.00"), account="us-1")
    with pytest.raises(Forbidden):
        run("ops", books.CloseAccountingPeriod("2026-10"))
    listed = run("ops", books.ListJournalEntries("2026-01-01", "2026-12-31"))
    assert [e["billingAccountId"] for e in listed["items"]] == ["eu-1"]
    with pytest.raises(Forbidden):  # all accounts' balances: only for a caller who sees them all
        run("ops", books.GetTrialBalance("2026-12-31", "USD"))
    with pytest.raises(Forbidden):
        run("ops", books.GetTrialBalance("2026-12-31", "USD", "us-1"))
    assert run("lead", books.CloseAccountingPeriod("2026-10"))["closedBy"] == "lead"
