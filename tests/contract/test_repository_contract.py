"""The in-memory fake honours what the DynamoDB adapter enforces: one set of scenarios, both stores.

Each test runs against ``tests.fakes.memory_repository.MemoryRepository`` and against the real
``DynamoDbRepository`` on moto. A scenario the fake passes and the adapter fails (or the other way)
means the fast tier tests something production does not do.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest
from credit_memos.adapters.dynamodb.repository import MAX_ITEM_BYTES, DynamoDbRepository
from credit_memos.api.errors import field_name, http_status
from credit_memos.domain.documents import (
    ApplicationEntry,
    ApplicationRecord,
    CreditMemo,
    CreditMemoLine,
    Invoice,
    InvoiceLine,
    InvoicePayment,
    NumberSeries,
    PaymentAllocation,
    PaymentReferenceClaim,
)
from credit_memos.domain.profiles import (
    BillingAccountProfile,
    ProfileAddress,
    ProfileDetails,
    ProfileRevision,
    revise_profile,
)
from credit_memos.domain.refunds import CreditMemoRefund, RefundAllocation, RefundReferenceClaim
from credit_memos.errors import ValidationError
from credit_memos.ports import (
    Changes,
    ConflictingWrite,
    Document,
    IdempotencyRecord,
    IdempotencyRecordExists,
    Repository,
)

from tests.fakes.memory_repository import MemoryRepository
from tests.harness import TABLE_NAME


@pytest.fixture(params=["memory", "dynamodb"])
def repo(request: pytest.FixtureRequest) -> Iterator[Repository]:
    if request.param == "memory":
        yield MemoryRepository()
    else:
        yield _adapter(request)


@pytest.fixture
def adapter(request: pytest.FixtureRequest) -> DynamoDbRepository:
    """The adapter alone: for what only it models (how documents are laid out in items)."""
    return _adapter(request)


def _adapter(request: pytest.FixtureRequest) -> DynamoDbRepository:
    request.getfixturevalue("moto_env")
    return DynamoDbRepository(boto3.client("dynamodb", region_name="us-east-1"), TABLE_NAME)


def invoice(
    invoice_id: str,
    *,
    account: str = "acct-1",
    status: str = "Posted",
    date: str = "2026-01-15",
    lines: int = 1,
    description: str | None = None,
) -> Invoice:
    amount = Decimal("10.00")
    return Invoice(
        id=invoice_id,
        billing_account_id=account,
        currency="USD",
        status=status,  # type: ignore[arg-type]
        settlement_level="Invoice",
        invoice_date=date,
        due_date=None,
        lines=[
            InvoiceLine(
                id=f"{invoice_id}-l{n}",
                charge_amount=amount,
                tax_amount=Decimal("0.00"),
                amount_with_tax=amount,
                balance=amount,
                description=description,
            )
            for n in range(lines)
        ],
        total_charge_amount=amount * lines,
        total_tax_amount=Decimal("0.00"),
        total_amount_with_tax=amount * lines,
        balance=amount * lines,
        created_at="2026-01-15T00:00:00.000Z",
        updated_at="2026-01-15T00:00:00.000Z",
    )


def memo(
    memo_id: str, *, account: str = "acct-1", status: str = "Posted", date: str = "2026-01-15"
) -> CreditMemo:
    amount = Decimal("10.00")
    line = CreditMemoLine(
        id=f"{memo_id}-l0",
        type="Charge",
        charge_amount=amount,
        tax_amount=Decimal("0.00"),
        amount_with_tax=amount,
        balance=amount,
        product_name="refund",
    )
    return CreditMemo(
        id=memo_id,
        billing_account_id=account,
        currency="USD",
        status=status,  # type: ignore[arg-type]
        source_action="Standalone",
        effective_date=date,
        lines=[line],
        total_charge_amount=amount,
        total_tax_amount=Decimal("0.00"),
        total_amount_with_tax=amount,
        balance=amount,
    )


def entry(entry_id: str, *, memo: str, inv: str, created_at: str, ordinal: int = 0) -> ApplicationEntry:
    record = ApplicationRecord(
        id=f"{entry_id}.0",
        level="Invoice",
        type="Applied",
        amount=Decimal("1.00"),
        credit_memo_id=memo,
        invoice_id=inv,
        effective_date=created_at[:10],
        recorded_at=created_at,
        has_been_unapplied="No",
        credit_memo_balance=Decimal("9.00"),
        invoice_balance=Decimal("9.00"),
    )
    return ApplicationEntry(
        id=entry_id,
        credit_memo_id=memo,
        invoice_id=inv,
        level="Invoice",
        currency="USD",
        created_at=created_at,
        records=[record],
        ordinal=ordinal,
    )


def record(key: str, *, fingerprint: str = "f1", expires_at: int | None = None) -> IdempotencyRecord:
    return IdempotencyRecord(
        operation="CreateInvoice",
        key=key,
        fingerprint=fingerprint,
        status_code=201,
        body={"id": key, "fingerprint": fingerprint},
        created_at="2026-01-15T00:00:00+00:00",
        expires_at=int(time.time()) + 3600 if expires_at is None else expires_at,
    )


# ---------------------------------------------------------------- creates and updates


def test_a_second_create_of_the_same_document_is_a_conflict_and_keeps_the_first(repo: Repository) -> None:
    repo.commit(Changes(creates=[invoice("inv-1", date="2026-01-01")]))
    with pytest.raises(ConflictingWrite):
        repo.commit(Changes(creates=[invoice("inv-1", date="2026-02-02")]))
    assert repo.read(invoice_ids=["inv-1"]).invoices["inv-1"].invoice_date == "2026-01-01"


def test_an_update_at_the_read_version_is_stored_with_the_next_version(repo: Repository) -> None:
    repo.commit(Changes(creates=[invoice("inv-1")]))
    doc = repo.read(invoice_ids=["inv-1"]).invoices["inv-1"]
    doc.balance = Decimal("4.00")
    repo.commit(Changes(updates=[doc]))
    assert doc.version == 1  # the caller's copy follows, as the adapter bumps it
    stored = repo.read(invoice_ids=["inv-1"]).invoices["inv-1"]
    assert (stored.version, stored.balance) == (1, Decimal("4.00"))


def test_a_stale_update_is_a_conflict_and_nothing_of_its_transaction_is_written(repo: Repository) -> None:
    repo.commit(Changes(creates=[invoice("inv-1"), invoice("inv-2")]))
    first = repo.read(invoice_ids=["inv-1"]).invoices["inv-1"]
    second = repo.read(invoice_ids=["inv-1", "inv-2"])
    first.balance = Decimal("1.00")
    repo.commit(Changes(updates=[first]))  # the writer that wins the race

    stale, fresh = second.invoices["inv-1"], second.invoices["inv-2"]
    stale.balance, fresh.balance = Decimal("2.00"), Decimal("3.00")
    with pytest.raises(ConflictingWrite):
        repo.commit(Changes(creates=[invoice("inv-3")], updates=[fresh, stale], idempotency=record("k-1")))
    after = repo.read(invoice_ids=["inv-1", "inv-2", "inv-3"], idempotency=("CreateInvoice", "k-1"))
    assert after.invoices["inv-1"].balance == Decimal("1.00")
    assert (after.invoices["inv-2"].balance, after.invoices["inv-2"].version) == (Decimal("10.00"), 0)
    assert "inv-3" not in after.invoices
    assert after.idempotency is None
    assert (stale.version, fresh.version) == (0, 0)  # a failed commit bumps no caller's copy


def test_an_update_of_a_missing_document_is_a_conflict(repo: Repository) -> None:
    with pytest.raises(ConflictingWrite):
        repo.commit(Changes(updates=[invoice("inv-1")]))
    assert repo.read(invoice_ids=["inv-1"]).invoices == {}


def test_what_a_caller_holds_is_not_the_stored_state(repo: Repository) -> None:
    doc = invoice("inv-1")
    repo.commit(Changes(creates=[doc]))
    doc.balance = Decimal("0.00")
    read = repo.read(invoice_ids=["inv-1"]).invoices["inv-1"]
    read.lines[0].balance = Decimal("0.00")
    again = repo.read(invoice_ids=["inv-1"]).invoices["inv-1"]
    assert (again.balance, again.lines[0].balance) == (Decimal("10.00"), Decimal("10.00"))


# ---------------------------------------------------------------- idempotency records


def test_a_held_key_is_idempotency_record_exists_alone_or_in_a_transaction(repo: Repository) -> None:
    repo.commit(Changes(creates=[invoice("inv-1")], idempotency=record("k-1")))
    with pytest.raises(IdempotencyRecordExists):
        repo.commit(Changes(idempotency=record("k-1", fingerprint="f2")))
    with pytest.raises(IdempotencyRecordExists):
        repo.commit(Changes(creates=[invoice("inv-2")], idempotency=record("k-1", fingerprint="f2")))
    # The retry of the very same request conflicts on its document too: the key still decides.
    with pytest.raises(IdempotencyRecordExists):
        repo.commit(Changes(creates=[invoice("inv-1")], idempotency=record("k-1", fingerprint="f2")))
    after = repo.read(invoice_ids=["inv-2"], idempotency=("CreateInvoice", "k-1"))
    assert after.invoices == {}
    assert after.idempotency is not None and after.idempotency.fingerprint == "f1"
    assert after.idempotency.body == {"id": "k-1", "fingerprint": "f1"}


def test_an_expired_record_reads_as_absent_and_frees_its_key(repo: Repository) -> None:
    repo.commit(Changes(idempotency=record("k-1", expires_at=int(time.time()) - 60)))
    assert repo.read(idempotency=("CreateInvoice", "k-1")).idempotency is None
    repo.commit(Changes(creates=[invoice("inv-1")], idempotency=record("k-1", fingerprint="f2")))
    stored = repo.read(idempotency=("CreateInvoice", "k-1")).idempotency
    assert stored is not None and stored.fingerprint == "f2"


def test_keys_are_per_operation(repo: Repository) -> None:
    repo.commit(Changes(idempotency=record("k-1")))
    other = record("k-1")
    other.operation = "CreateCreditMemo"
    repo.commit(Changes(idempotency=other))
    assert repo.read(idempotency=("CreateCreditMemo", "k-1")).idempotency is not None


# ---------------------------------------------------------------- item size


def test_a_document_over_the_item_limit_is_a_validation_error_and_nothing_is_written(
    adapter: DynamoDbRepository,
) -> None:
    repo = adapter
    # Three lines of half an item each: more than one stored item (a chunk of lines) can hold.
    big = invoice("inv-big", lines=3, description="x" * (MAX_ITEM_BYTES // 2))
    with pytest.raises(ValidationError) as caught:
        repo.commit(Changes(creates=[invoice("inv-1"), big], idempotency=record("k-1")))
    assert http_status(caught.value) == 422
    after = repo.read(invoice_ids=["inv-1", "inv-big"], idempotency=("CreateInvoice", "k-1"))
    assert (after.invoices, after.idempotency) == ({}, None)


@pytest.mark.slow  # four 300-line invoices through moto: the slowest test of the fast tier
def test_a_commit_changing_more_items_than_a_transaction_holds_is_a_422_and_writes_nothing(
    adapter: DynamoDbRepository,
) -> None:
    repo = adapter
    for n in range(4):
        repo.commit(Changes(creates=[invoice(f"inv-{n}", lines=300)]))
    read = repo.read(invoice_ids=[f"inv-{n}" for n in range(4)]).invoices
    for doc in read.values():
        for line in doc.lines:  # every chunk of every invoice changes: 4 x (1 + 300 / chunk) items
            line.balance = Decimal("1.00")
    with pytest.raises(ValidationError) as caught:
        repo.commit(Changes(updates=list(read.values()), idempotency=record("k-1")))
    assert http_status(caught.value) == 422
    after = repo.read(invoice_ids=["inv-0"], idempotency=("CreateInvoice", "k-1"))
    assert after.invoices["inv-0"].lines[0].balance == Decimal("10.00") and after.idempotency is None
    # Changing one line of each is a few items, and commits.
    found = repo.read(invoice_ids=[f"inv-{n}" for n in range(4)])
    for doc in found.invoices.values():
        doc.lines[150].balance = Decimal("1.00")
    repo.commit(Changes(updates=list(found.invoices.values()), stored=found.stored))
    assert repo.read(invoice_ids=["inv-3"]).invoices["inv-3"].lines[150].balance == Decimal("1.00")


# ---------------------------------------------------------------- documents with many lines


def test_a_document_of_many_lines_reads_back_whole_and_in_order(repo: Repository) -> None:
    doc = invoice("inv-1", lines=300)
    for n, line in enumerate(doc.lines):
        line.description = f"line {n}"
    repo.commit(Changes(creates=[doc]))
    read = repo.read(invoice_ids=["inv-1"]).invoices["inv-1"]
    assert read == doc
    read.lines[123].balance, read.balance = Decimal("3.00"), Decimal("2993.00")
    repo.commit(Changes(updates=[read]))
    again = repo.read(invoice_ids=["inv-1"]).invoices["inv-1"]
    assert again == read and again.version == 1
    assert [line.description for line in again.lines] == [f"line {n}" for n in range(300)]
    assert repo.list_invoices("acct-1", None, 10, None).items[0].line_count == 300


def test_a_writer_of_another_line_of_the_same_document_makes_a_stale_write_fail(repo: Repository) -> None:
    """No lost update: two writers of different lines (stored apart) of one document still race on
    the document as a whole."""
    repo.commit(Changes(creates=[invoice("inv-1", lines=300)]))
    first = repo.read(invoice_ids=["inv-1"]).invoices["inv-1"]
    second = repo.read(invoice_ids=["inv-1"]).invoices["inv-1"]
    first.lines[0].balance, first.balance = Decimal("0.00"), Decimal("2990.00")
    repo.commit(Changes(updates=[first]))
    second.lines[299].balance, second.balance = Decimal("0.00"), Decimal("2990.00")
    with pytest.raises(ConflictingWrite):
        repo.commit(Changes(updates=[second]))
    stored = repo.read(invoice_ids=["inv-1"]).invoices["inv-1"]
    assert (stored.lines[0].balance, stored.lines[299].balance) == (Decimal("0.00"), Decimal("10.00"))
    # Re-read, the second writer's change goes in on top of the first's.
    stored.lines[299].balance, stored.balance = Decimal("0.00"), Decimal("2980.00")
    repo.commit(Changes(updates=[stored]))
    final = repo.read(invoice_ids=["inv-1"]).invoices["inv-1"]
    assert (final.lines[0].balance, final.lines[299].balance, final.version) == (
        Decimal("0.00"),
        Decimal("0.00"),
        2,
    )


# ---------------------------------------------------------------- lists


def _all_pages(list_page: object, *args: object, limit: int) -> list[list[str]]:
    pages, token = [], None
    while True:
        page = list_page(*args, limit, token)  # type: ignore[operator]
        assert len(page.items) <= limit
        pages.append([doc.id for doc in page.items])
        token = page.next_token
        if token is None:
            return pages


def test_invoices_list_in_date_then_id_order_a_page_at_a_time(repo: Repository) -> None:
    docs: list[Document] = [
        invoice("inv-c", date="2026-01-02"),
        invoice("inv-a", date="2026-01-03"),
        invoice("inv-b", date="2026-01-02", status="Draft"),
        invoice("inv-e", date="2026-01-01"),
        invoice("inv-d", date="2026-01-03"),
        invoice("inv-x", date="2026-01-01", account="acct-2"),
    ]
    repo.commit(Changes(creates=docs))
    pages = _all_pages(repo.list_invoices, "acct-1", None, limit=2)
    assert pages == [["inv-e", "inv-b"], ["inv-c", "inv-a"], ["inv-d"]]
    posted = _all_pages(repo.list_invoices, "acct-1", "Posted", limit=2)
    assert [i for page in posted for i in page] == ["inv-e", "inv-c", "inv-a", "inv-d"]
    # At an exact multiple DynamoDB may hand back one more token, for an empty page.
    assert all(posted[:2]) and all(not page for page in posted[2:])
    assert _all_pages(repo.list_invoices, "acct-3", None, limit=2) == [[]]


def test_credit_memos_list_in_effective_date_then_id_order_by_account_and_status(repo: Repository) -> None:
    docs: list[Document] = [
        memo("cm-b", date="2026-01-02"),
        memo("cm-a", date="2026-01-02", status="Voided"),
        memo("cm-c", date="2026-01-01", status="Draft"),
        memo("cm-x", date="2026-01-01", account="acct-2"),
        invoice("inv-1", date="2026-01-01"),
    ]
    repo.commit(Changes(creates=docs))
    assert _all_pages(repo.list_credit_memos, "acct-1", None, limit=2) == [["cm-c", "cm-a"], ["cm-b"]]
    assert _all_pages(repo.list_credit_memos, "acct-1", "Voided", limit=5) == [["cm-a"]]
    assert _all_pages(repo.list_credit_memos, "acct-2", "Posted", limit=5) == [["cm-x"]]
    assert [i.id for i in repo.list_invoices("acct-1", None, 5, None).items] == ["inv-1"]


def test_a_status_change_moves_a_document_between_status_lists(repo: Repository) -> None:
    repo.commit(Changes(creates=[invoice("inv-1", status="Draft")]))
    doc = repo.read(invoice_ids=["inv-1"]).invoices["inv-1"]
    doc.status = "Posted"
    repo.commit(Changes(updates=[doc]))
    assert repo.list_invoices("acct-1", "Draft", 10, None).items == []
    assert [i.id for i in repo.list_invoices("acct-1", "Posted", 10, None).items] == ["inv-1"]


def test_application_entries_list_by_time_then_request_order(repo: Repository) -> None:
    at, later = "2026-01-15T10:00:00.000Z", "2026-01-15T10:00:01.000Z"
    repo.commit(
        Changes(
            creates=[
                entry("app-z", memo="cm-1", inv="inv-1", created_at=later),
                entry("app-y", memo="cm-1", inv="inv-2", created_at=at, ordinal=1),
                entry("app-x", memo="cm-1", inv="inv-1", created_at=at, ordinal=0),
                entry("app-w", memo="cm-2", inv="inv-1", created_at=at),
            ]
        )
    )
    by_memo = repo.list_application_entries(credit_memo_id="cm-1", invoice_id=None, limit=10, next_token=None)
    assert [e.id for e in by_memo.items] == ["app-x", "app-y", "app-z"]
    by_invoice = repo.list_application_entries(
        credit_memo_id=None, invoice_id="inv-1", limit=2, next_token=None
    )
    assert [e.id for e in by_invoice.items] == ["app-w", "app-x"]
    rest = repo.list_application_entries(
        credit_memo_id=None, invoice_id="inv-1", limit=2, next_token=by_invoice.next_token
    )
    assert [e.id for e in rest.items] == ["app-z"]


def test_a_token_works_only_on_the_query_that_gave_it(repo: Repository) -> None:
    repo.commit(Changes(creates=[invoice(f"inv-{n}") for n in range(3)]))
    token = repo.list_invoices("acct-1", None, 1, None).next_token
    assert token is not None
    for account, status in (("acct-2", None), ("acct-1", "Posted")):
        with pytest.raises(ValidationError) as caught:
            repo.list_invoices(account, status, 1, token)
        assert field_name(caught.value.field or ()) == "nextToken"
    with pytest.raises(ValidationError):
        repo.list_credit_memos("acct-1", None, 1, token)
    with pytest.raises(ValidationError):
        repo.list_invoices("acct-1", None, 1, "not-a-token")


# ------------------------------------------------------------------ the number series (section 7)


def test_the_series_is_taken_once_per_version_and_only_with_its_transaction(repo: Repository) -> None:
    fresh = repo.read(series="CM-").series
    assert fresh == NumberSeries("CM-", 0, 0)  # not written yet
    first, second = memo("cm-n1"), memo("cm-n2")
    series = copy.deepcopy(fresh)
    assert series is not None
    first.document_number = series.next_number()
    repo.commit(Changes(creates=[first], series=series))
    assert repo.read(series="CM-").series == NumberSeries("CM-", 1, 1)
    # A posting that read the series before the first committed loses, and writes nothing.
    stale = copy.deepcopy(fresh)
    assert stale is not None
    second.document_number = stale.next_number()
    with pytest.raises(ConflictingWrite):
        repo.commit(Changes(creates=[second], series=stale))
    assert "cm-n2" not in repo.read(memo_ids=["cm-n2"]).memos
    # Re-read, it takes the next number.
    current = repo.read(series="CM-").series
    assert current is not None
    second.document_number = current.next_number()
    repo.commit(Changes(creates=[second], series=current))
    assert repo.read(series="CM-").series == NumberSeries("CM-", 2, 2)
    assert repo.read(series="XX-").series == NumberSeries("XX-", 0, 0)  # one series per prefix


def test_a_memo_is_found_by_its_number_and_a_draft_by_none(repo: Repository) -> None:
    numbered, draft = memo("cm-f1"), memo("cm-f2", status="Draft")
    numbered.document_number = "CM-00000007"
    repo.commit(Changes(creates=[numbered, draft]))
    assert repo.find_credit_memo_id("CM-00000007") == "cm-f1"
    assert repo.find_credit_memo_id("CM-00000008") is None
    assert repo.read(memo_ids=["cm-f2"]).memos["cm-f2"].document_number is None


def test_a_reason_filter_keeps_the_memos_of_that_reason(repo: Repository) -> None:
    memos = [memo(f"cm-r{i}", account="acct-r") for i in range(3)]
    memos[0].reason_code, memos[2].reason_code = "Goodwill", "Goodwill"
    memos[1].reason_code = "Duplicate"
    repo.commit(Changes(creates=memos))
    page = repo.list_credit_memos("acct-r", None, 10, None, "Goodwill")
    assert [m.id for m in page.items] == ["cm-r0", "cm-r2"]
    assert [m.reason_code for m in page.items] == ["Goodwill", "Goodwill"]


# ------------------------------------------------------------------ payments (section 8)


def payment(payment_id: str, *, inv: str, created_at: str, allocations: int = 0) -> InvoicePayment:
    return InvoicePayment(
        id=payment_id,
        type="Payment",
        invoice_id=inv,
        currency="USD",
        level="InvoiceLine" if allocations else "Invoice",
        amount=Decimal("1.00") * max(allocations, 1),
        payment_reference=f"ref-{payment_id}",
        effective_date=created_at[:10],
        created_at=created_at,
        has_been_reversed="No",
        invoice_balance=Decimal("9.00"),
        line_allocations=[PaymentAllocation(f"{inv}-l{n}", Decimal("1.00")) for n in range(allocations)],
        description="wire",
    )


def test_payment_records_and_claims_read_back_as_written(repo: Repository) -> None:
    small = payment("pay-1", inv="inv-1", created_at="2026-01-15T10:00:00.000Z")
    small.sequence = 7
    large = payment("pay-2", inv="inv-1", created_at="2026-01-15T10:00:01.000Z", allocations=40)
    claim = PaymentReferenceClaim("inv-1", "ref #1", "pay-1")
    repo.commit(Changes(creates=[small, large, claim]))
    snapshot = repo.read(payment_ids=["pay-1", "pay-2", "pay-3"], payment_references=[("inv-1", "ref #1")])
    assert snapshot.payments == {"pay-1": small, "pay-2": large}
    assert snapshot.claims == {claim.id: claim}
    assert repo.read(payment_references=[("inv-2", "ref #1")]).claims == {}
    read = snapshot.payments["pay-1"]
    read.has_been_reversed = "Yes"  # a record read back is written again by its reversal
    repo.commit(Changes(updates=[read]))
    assert repo.read(payment_ids=["pay-1"]).payments["pay-1"].has_been_reversed == "Yes"


def test_a_claim_is_created_once_and_then_changes_only_at_its_read_version(repo: Repository) -> None:
    repo.commit(Changes(creates=[PaymentReferenceClaim("inv-1", "r", "pay-1")]))
    with pytest.raises(ConflictingWrite):  # the rival payment with the same reference
        repo.commit(Changes(creates=[PaymentReferenceClaim("inv-1", "r", "pay-2"), invoice("inv-9")]))
    held = repo.read(payment_references=[("inv-1", "r")]).claims["inv-1#r"]
    stale = copy.deepcopy(held)
    held.payment_id = None  # freed by the reversal
    repo.commit(Changes(updates=[held]))
    stale.payment_id = "pay-3"
    with pytest.raises(ConflictingWrite):
        repo.commit(Changes(updates=[stale]))
    after = repo.read(payment_references=[("inv-1", "r")], invoice_ids=["inv-9"])
    assert (after.claims["inv-1#r"].payment_id, after.claims["inv-1#r"].version) == (None, 1)
    assert after.invoices == {}


def test_an_invoices_payments_list_in_commit_order_a_page_at_a_time(repo: Repository) -> None:
    at, later = "2026-01-15T10:00:00.000Z", "2026-01-15T10:00:01.000Z"
    repo.commit(
        Changes(
            creates=[
                payment("pay-c", inv="inv-1", created_at=later, allocations=40),
                payment("pay-b", inv="inv-1", created_at=at),
                payment("pay-a", inv="inv-2", created_at=at),
                entry("app-1", memo="cm-1", inv="inv-1", created_at=at),
            ]
        )
    )
    first = repo.list_invoice_payments("inv-1", 1, None)
    assert [p.id for p in first.items] == ["pay-b"]
    rest = repo.list_invoice_payments("inv-1", 5, first.next_token)
    assert [(p.id, len(p.line_allocations)) for p in rest.items] == [("pay-c", 40)]
    assert [p.id for p in repo.list_invoice_payments("inv-2", 5, None).items] == ["pay-a"]
    history = repo.list_application_entries(credit_memo_id=None, invoice_id="inv-1", limit=5, next_token=None)
    assert [e.id for e in history.items] == ["app-1"]  # payments are not application history
    with pytest.raises(ValidationError):
        repo.list_invoice_payments("inv-2", 1, first.next_token)
    # Two records of one millisecond (a payment and its reversal): the invoice's sequence orders them.
    reversal, paid = (
        payment("pay-r", inv="inv-3", created_at=at),
        payment("pay-z", inv="inv-3", created_at=at),
    )
    paid.sequence, reversal.sequence = 4, 5
    repo.commit(Changes(creates=[reversal, paid]))
    assert [p.id for p in repo.list_invoice_payments("inv-3", 5, None).items] == ["pay-z", "pay-r"]


def test_a_listed_invoice_shows_the_payments_its_document_holds(repo: Repository) -> None:
    paid = invoice("inv-p", lines=3)  # 30.00
    paid.net_credits_applied, paid.total_converted_neg_amount = Decimal("4.00"), Decimal("1.50")
    paid.net_payments_applied = Decimal("12.25")
    paid.balance = Decimal("12.25")  # 30.00 - 1.50 - 4.00 - 12.25
    repo.commit(Changes(creates=[paid, invoice("inv-u")]))
    listed = {i.id: i for i in repo.list_invoices("acct-1", None, 10, None).items}
    read = repo.read(invoice_ids=["inv-p", "inv-u"]).invoices
    assert listed["inv-p"].net_payments_applied == read["inv-p"].net_payments_applied == Decimal("12.25")
    assert listed["inv-u"].net_payments_applied == read["inv-u"].net_payments_applied == Decimal("0")
    assert listed["inv-p"].settlement_status == "PartiallySettled"


# ---------------------------------------------------------------- the books (spec section 11)


def _entry(entry_id: str, day: str, account: str = "acct-1") -> Any:
    from credit_memos.domain.journal import JournalEntry, JournalLine

    ten, zero = Decimal("10.00"), Decimal(0)
    return JournalEntry(
        id=entry_id,
        entry_date=day,
        recorded_at=f"{day}T10:00:00.000Z",
        billing_account_id=account,
        currency="USD",
        source_type="InvoicePosted",
        source_id=f"inv-{entry_id}",
        document_number=None,
        reason_code=None,
        created_by="local",
        lines=(
            JournalLine("AccountsReceivable", "1200", ten, zero),
            JournalLine("Revenue", "4000", zero, ten),
        ),
    )


def _posting(entry_id: str, day: str, account: str = "acct-1") -> Changes:
    from credit_memos.domain.events import DomainEvent

    event = DomainEvent(f"evt-{entry_id}", "InvoicePosted", {"sequences": {f"inv-{entry_id}": 1}})
    return Changes(
        creates=[invoice(f"inv-{entry_id}", account=account)],
        events=[event],
        journal=[_entry(entry_id, day, account)],
    )


def test_the_books_lock_refuses_entries_in_closed_months_whole(repo: Repository) -> None:
    from credit_memos.domain.periods import AccountingPeriod, BooksLock, close_period
    from credit_memos.errors import PeriodClosed

    repo.commit(_posting("je-1", "2026-01-20"))
    lock = repo.read(books=True).books or BooksLock()
    record = AccountingPeriod("2026-01")
    repo.commit(Changes(books=close_period(lock, record, actor="a", now="t"), period=record))
    found = repo.read(books=True, periods=["2026-01"])
    assert found.books is not None and found.books.closed_through == "2026-01"
    assert found.periods["2026-01"].closed_by == "a"
    with pytest.raises(PeriodClosed):
        repo.commit(_posting("je-2", "2025-12-31"))
    assert repo.read(invoice_ids=["inv-je-2"]).invoices == {}  # nothing of it was written
    repo.commit(_posting("je-3", "2026-02-01"))
    # A stale lock loses to the close that moved it.
    with pytest.raises(ConflictingWrite):
        repo.commit(Changes(books=close_period(lock, AccountingPeriod("2026-03"), actor="b", now="t")))


def test_the_journal_lists_by_date_across_shards_and_by_account(repo: Repository) -> None:
    days = ["2026-05-03", "2026-05-01", "2026-05-02", "2026-06-01", "2026-05-02"]
    for n, day in enumerate(days):
        repo.commit(_posting(f"je-{n}", day, account=f"acct-{n % 2}"))
    seen, token = [], None
    while True:
        page = repo.list_journal(
            first_day="2026-05-01", last_day="2026-05-31", billing_account_id=None, limit=2, next_token=token
        )
        seen += [(e.entry_date, e.id) for e in page.items]
        token = page.next_token
        if token is None:
            break
    assert seen == sorted(seen) and len(seen) == 4
    mine = repo.list_journal(
        first_day="2026-01-01", last_day="2026-12-31", billing_account_id="acct-1", limit=10, next_token=None
    )
    assert [e.id for e in mine.items] == ["je-1", "je-3"]
    assert mine.items[0].lines[0].debit == Decimal("10.00")


def test_frozen_balances_are_read_only_at_the_version_they_were_frozen_at(repo: Repository) -> None:
    from credit_memos.domain.journal import AccountBalance

    balances = {("USD", None): {"Cash": AccountBalance(Decimal("5.00"), Decimal(0))}, ("USD", "acct-1"): {}}
    repo.write_period_balances("2026-01", 3, balances)
    assert repo.read_period_balances("2026-01", 3, "USD", None) == {
        "Cash": AccountBalance(Decimal("5.00"), Decimal(0))
    }
    assert repo.read_period_balances("2026-01", 3, "EUR", "acct-9") == {}
    assert repo.read_period_balances("2026-01", 4, "USD", None) is None
    assert repo.read_all_period_balances("2026-01", 3) == balances


# ------------------------------------------------------------------ refunds (section 10)


def memo_refund(refund_id: str, *, memo_id: str, created_at: str, allocations: int = 1) -> CreditMemoRefund:
    return CreditMemoRefund(
        id=refund_id,
        type="Refund",
        credit_memo_id=memo_id,
        billing_account_id="acct-1",
        currency="USD",
        amount=Decimal("1.00") * allocations,
        refund_reference=f"ref-{refund_id}",
        effective_date=created_at[:10],
        created_at=created_at,
        has_been_reversed="No",
        credit_memo_balance=Decimal("9.00"),
        line_allocations=[RefundAllocation(f"{memo_id}-l{n}", Decimal("1.00")) for n in range(allocations)],
        method="ACH",
    )


def test_refund_records_and_claims_read_back_and_list_in_commit_order(repo: Repository) -> None:
    at = "2026-01-15T10:00:00.000Z"
    small, large = (
        memo_refund("rfd-1", memo_id="cm-1", created_at=at),
        memo_refund("rfd-2", memo_id="cm-1", created_at=at, allocations=40),
    )
    small.sequence, large.sequence = 3, 4
    claim = RefundReferenceClaim("cm-1", "ref #1", "rfd-1")
    repo.commit(Changes(creates=[large, small, claim, memo_refund("rfd-3", memo_id="cm-2", created_at=at)]))
    snapshot = repo.read(refund_ids=["rfd-1", "rfd-2", "rfd-9"], refund_references=[("cm-1", "ref #1")])
    assert snapshot.refunds == {"rfd-1": small, "rfd-2": large}
    assert snapshot.refund_claims == {claim.id: claim}
    with pytest.raises(ConflictingWrite):  # a rival refund with the same reference
        repo.commit(Changes(creates=[RefundReferenceClaim("cm-1", "ref #1", "rfd-7")]))
    read = snapshot.refunds["rfd-1"]
    read.has_been_reversed = "Yes"
    held = snapshot.refund_claims[claim.id]
    held.refund_id = None  # freed by the reversal
    repo.commit(Changes(updates=[read, held]))
    after = repo.read(refund_ids=["rfd-1"], refund_references=[("cm-1", "ref #1")])
    assert (
        after.refunds["rfd-1"].has_been_reversed == "Yes" and after.refund_claims[claim.id].refund_id is None
    )
    first = repo.list_memo_refunds("cm-1", 1, None)
    assert [r.id for r in first.items] == ["rfd-1"]
    rest = repo.list_memo_refunds("cm-1", 5, first.next_token)
    assert [(r.id, len(r.line_allocations)) for r in rest.items] == [("rfd-2", 40)]
    assert [r.id for r in repo.list_memo_refunds("cm-2", 5, None).items] == ["rfd-3"]


# ------------------------------------------------------------------ profiles (section 12)


def _profile(account: str, name: str, current: BillingAccountProfile | None = None) -> BillingAccountProfile:
    details = ProfileDetails(name, ProfileAddress("Hauptstraße 1", "Berlin", "10115", "DE"), language="de")
    profile = revise_profile(current, account, details, now="2026-12-06T12:00:00.000Z", created_by="alice")
    assert profile is not None
    return profile


def test_profile_revisions_are_kept_and_the_current_one_guards_the_next(repo: Repository) -> None:
    first = _profile("acct-1", "Erste GmbH")
    repo.commit(Changes(creates=[first, ProfileRevision(first)]))
    read = repo.read(profile_ids=["acct-1"]).profiles["acct-1"]
    assert read == first
    second = _profile("acct-1", "Zweite GmbH", read)
    repo.commit(Changes(updates=[second], creates=[ProfileRevision(second)]))
    racing = _profile("acct-1", "Dritte GmbH", read)  # read before the second: stale
    with pytest.raises(ConflictingWrite):
        repo.commit(Changes(updates=[racing], creates=[ProfileRevision(racing)]))
    assert repo.read(profile_ids=["acct-1"]).profiles["acct-1"].details.name == "Zweite GmbH"
    page = repo.list_profile_revisions("acct-1", 1, None)
    assert [p.details.name for p in page.items] == ["Erste GmbH"] and page.next_token
    rest = repo.list_profile_revisions("acct-1", 1, page.next_token)
    assert [(p.details.name, p.revision, p.created_by) for p in rest.items] == [("Zweite GmbH", 2, "alice")]
    with pytest.raises(ValidationError):
        repo.list_profile_revisions("acct-2", 1, page.next_token)
    assert repo.list_profile_revisions("acct-2", 10, None).items == []
