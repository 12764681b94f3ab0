"""Dry runs (spec section 10) on the service: a dry run answers what the real call answers.

Random requests (every money-moving kind, write-offs too), valid or not, against states built by
random earlier requests: before each real call, its dry run. The dry run must leave the
repository's state exactly as it was, and answer the real call's status and body (200 where the
real call creates with 201; the ids of what the real call creates, and the number it takes,
null), or raise the real call's error. Requests sometimes carry an Idempotency-Key from a small
pool, so keys get replayed and reused for other requests.
"""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal
from typing import Any

from credit_memos.commands import Command, applications, conversion, invoices, memos, payments, write_offs
from credit_memos.domain.inputs import (
    ApplyTarget,
    CreditLineInput,
    InvoiceLineInput,
    LineApplyTarget,
    MemoChargeInput,
)
from credit_memos.errors import DomainError
from credit_memos.usecases import Outcome
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import memory_service
from tests.fakes.memory_repository import MemoryRepository

AMOUNTS = [Decimal(a) for a in ("0.01", "5.00", "20.00", "60.00", "150.00")]
KEYS = [None, None, "key-1", "key-2", "key-3"]
BOGUS = "doc_doesnotexist"
ISSUED = re.compile(r"^(inv|invl|cm|cml|app|pay)_")  # what the service's ids look like


class World:
    """A service on the in-memory repository, and the ids its answers have shown so far."""

    def __init__(self) -> None:
        self.repository = MemoryRepository()
        self.service = memory_service(self.repository)
        self.invoices: dict[str, list[str]] = {}  # invoice id -> its line ids
        self.memos: dict[str, list[str]] = {}  # memo id -> its line ids
        self.records: list[str] = []  # application record ids
        self.payments: list[str] = []

    def seed(self) -> None:
        """A few documents to start from: invoices of both levels (one with a negative line), a
        Posted and a Draft memo."""
        for level in ("Invoice", "InvoiceLine"):
            lines = tuple(
                InvoiceLineInput(Decimal(c), product_name="Plan") for c in ("100.00", "-20.00", "50.00")
            )
            self.run(invoices.CreateInvoice("acct-1", "USD", lines, settlement_level=level))  # type: ignore[arg-type]
        for status in ("Posted", "Draft"):
            charges = (MemoChargeInput(Decimal("40.00"), product_name="Credit"),)
            self.run(memos.CreateCreditMemo("acct-1", "USD", charges, status=status))  # type: ignore[arg-type]

    def run(self, command: Command) -> None:
        self.learn(self.service.execute(dataclasses.replace(command, actor="tester")).body)

    def learn(self, body: Any) -> None:
        """Remember the ids of the documents and records an answer shows."""
        if isinstance(body, list):
            for item in body:
                self.learn(item)
            return
        if not isinstance(body, dict):
            return
        ident = body.get("id")
        if isinstance(ident, str):
            lines = [line["id"] for line in body.get("lines") or []]
            if ident.startswith("inv_"):
                self.invoices[ident] = lines
            elif ident.startswith("cm_"):
                self.memos[ident] = lines
            elif ident.startswith("app_"):
                self.records.append(ident)
            elif ident.startswith("pay_"):
                self.payments.append(ident)
        for value in body.values():
            if isinstance(value, dict | list):
                self.learn(value)

    def outcome(self, command: Command, key: str | None, *, dry_run: bool) -> Outcome | DomainError:
        try:
            return self.service.execute(command, key, dry_run=dry_run)
        except DomainError as error:
            return error


def _pick(draw: st.DrawFn, known: list[str]) -> str:
    """Mostly something that exists (the newest first, as shrinking goes), sometimes not."""
    if not known or draw(st.sampled_from(range(10))) == 9:
        return BOGUS
    return draw(st.sampled_from(known[::-1]))


def _line_of(draw: st.DrawFn, lines: dict[str, list[str]], document: str) -> str:
    return _pick(draw, lines.get(document, []))


@st.composite
def requests(draw: st.DrawFn, world: World) -> Command:
    """One request of any money-moving kind, naming documents that exist or not."""
    invoice = _pick(draw, list(world.invoices))
    memo = _pick(draw, list(world.memos))
    amount = draw(st.sampled_from(AMOUNTS))
    maybe_amount = draw(st.sampled_from([None, amount]))
    kind = draw(st.integers(0, 12))
    status = draw(st.sampled_from(["Posted", "Posted", "Draft"]))
    if kind == 0:
        charges = draw(
            st.lists(st.sampled_from(["100.00", "40.00", "-30.00", "0.00"]), min_size=1, max_size=3)
        )
        return invoices.CreateInvoice(
            billing_account_id="acct-1",
            currency="USD",
            lines=tuple(InvoiceLineInput(Decimal(c), product_name="Plan") for c in charges),
            status=status,  # type: ignore[arg-type]
            settlement_level=draw(st.sampled_from(["Invoice", "InvoiceLine"])),
        )
    if kind == 1:
        return memos.CreateCreditMemo(
            billing_account_id="acct-1",
            currency="USD",
            charges=(MemoChargeInput(amount, product_name="Credit"),),
            status=status,  # type: ignore[arg-type]
        )
    if kind == 2:
        return invoices.PostInvoice(invoice_id=invoice)
    if kind == 3:
        return memos.PostCreditMemo(credit_memo_id=memo)
    if kind == 4:
        return memos.VoidCreditMemo(credit_memo_id=memo)
    if kind == 5:
        return applications.ApplyCreditMemo(
            credit_memo_id=memo, applications=(ApplyTarget(invoice, maybe_amount),)
        )
    if kind == 6:
        return applications.ApplyCreditMemoLine(
            credit_memo_id=memo,
            credit_memo_line_id=_line_of(draw, world.memos, memo),
            applications=(LineApplyTarget(invoice, _line_of(draw, world.invoices, invoice), maybe_amount),),
        )
    if kind == 7:
        unapply = draw(
            st.sampled_from(
                [applications.UnapplyCreditMemoApplication, applications.UnapplyCreditMemoLineApplication]
            )
        )
        return unapply(application_id=_pick(draw, world.records))
    if kind == 8:
        return conversion.CreditInvoice(
            invoice_id=invoice,
            tax_strategy="Ignore",
            invoice_lines=(CreditLineInput(_line_of(draw, world.invoices, invoice), amount),),
            status=draw(st.sampled_from([None, "Draft"])),  # type: ignore[arg-type]
        )
    if kind == 9:
        return conversion.ConvertNegativeInvoiceLines(
            invoice_id=invoice, apply_to_invoice=draw(st.booleans())
        )
    if kind == 10:
        return payments.RecordInvoicePayment(
            invoice_id=invoice, amount=amount, payment_reference=draw(st.sampled_from(["ref-1", "ref-2"]))
        )
    if kind == 11:
        return payments.ReverseInvoicePayment(payment_id=_pick(draw, world.payments))
    # Sometimes an invoice named twice: the whole request is refused, dry or not.
    named = [_pick(draw, list(world.invoices)) for _ in range(draw(st.integers(1, 3)))]
    return write_offs.WriteOffInvoices(
        invoices=tuple(write_offs.InvoiceWriteOff(i, "BadDebt") for i in named)
    )


def _same_answer(dry: Any, real: Any, before: str, where: str = "") -> None:
    """``dry`` is ``real`` but for the ids and numbers that only the real call made (null in ``dry``);
    an id or number of ``real`` that is not in the state ``before`` is null in ``dry``."""
    if isinstance(real, dict):
        assert isinstance(dry, dict) and dry.keys() == real.keys(), where
        for name in real:
            _same_answer(dry[name], real[name], before, f"{where}.{name}")
        return
    if isinstance(real, list):
        assert isinstance(dry, list) and len(dry) == len(real), where
        for i, (d, r) in enumerate(zip(dry, real, strict=True)):
            _same_answer(d, r, before, f"{where}[{i}]")
        return
    names_something = where.endswith("documentNumber") or (isinstance(real, str) and ISSUED.match(real))
    if dry is None and isinstance(real, str) and names_something:
        assert real not in before, f"{where}: {real} existed, yet the dry run answered null"
        return
    assert dry == real, where
    if isinstance(real, str) and names_something:
        assert real in before or where.endswith("documentNumber"), (
            f"{where}: the new {real} shows in a dry run"
        )


def _check(world: World, command: Command, key: str | None) -> None:
    before = world.repository.state()
    dry = world.outcome(command, key, dry_run=True)
    after = world.repository.state()
    assert after == before and repr(after) == repr(before), "a dry run wrote"
    real = world.outcome(command, key, dry_run=False)
    if isinstance(real, DomainError):
        assert isinstance(dry, DomainError), (dry, real)
        assert (type(dry), dry.message, dry.field, dry.replayed) == (
            type(real),
            real.message,
            real.field,
            real.replayed,
        )
        return
    assert isinstance(dry, Outcome), (dry, real)
    assert dry.dry_run and not real.dry_run
    assert dry.replayed == real.replayed
    assert dry.status_code == (real.status_code if real.replayed else 200)
    _same_answer(dry.body, real.body, repr(before))
    world.learn(real.body)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_dry_run_answers_what_the_real_call_answers_and_writes_nothing(data: st.DataObject) -> None:
    world = World()
    world.seed()
    for _ in range(data.draw(st.integers(6, 24), label="requests")):
        command = dataclasses.replace(data.draw(requests(world)), actor="tester")
        _check(world, command, data.draw(st.sampled_from(KEYS)))
