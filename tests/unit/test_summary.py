"""The account summary's rule (credit_memos.domain.summary): contributions, deltas, and that
applying a document's states in any order, any number of times, leaves its newest state's share."""

from __future__ import annotations

from decimal import Decimal

from credit_memos.domain.summary import (
    AccountTotals,
    Amounts,
    Contribution,
    DocumentState,
    account_groups,
    combined_deltas,
    contribution_of,
    deltas,
    is_newer,
    newest_states,
    summarize,
)
from credit_memos.views import AccountSummaryView
from hypothesis import given, settings
from hypothesis import strategies as st

D = Decimal


def state(
    entity: str = "Invoice",
    status: str = "Posted",
    balance: str = "10.00",
    version: int = 1,
    *,
    key: str = "INVOICE#inv_1",
    account: str = "acct-1",
    currency: str = "USD",
    at: str = "2026-11-25T10:00:00.000Z",
) -> DocumentState:
    return DocumentState(key, entity, account, currency, status, D(balance), version, at)


def test_a_posted_memo_counts_its_balance_as_open_credit_even_when_fully_applied() -> None:
    assert contribution_of(state("CreditMemo", balance="12.50")).amounts == Amounts(
        open_credit=D("12.50"), posted_memo_count=1
    )
    assert contribution_of(state("CreditMemo", balance="0.00")).amounts == Amounts(posted_memo_count=1)


def test_draft_and_voided_memos_and_draft_invoices_count_nothing() -> None:
    for entity, status in (("CreditMemo", "Draft"), ("CreditMemo", "Voided"), ("Invoice", "Draft")):
        assert contribution_of(state(entity, status, balance="99.00")).amounts == Amounts()


def test_a_posted_invoice_is_open_only_while_its_balance_is_above_zero() -> None:
    assert contribution_of(state(balance="40.00")).amounts == Amounts(
        open_receivable=D("40.00"), open_invoice_count=1
    )
    assert contribution_of(state(balance="0.00")).amounts == Amounts()
    # A negative balance (negative lines not yet converted) still counts in the receivable's sum.
    assert contribution_of(state(balance="-5.00")).amounts == Amounts(open_receivable=D("-5.00"))


def test_only_a_newer_version_is_applied() -> None:
    stored = Contribution("acct-1", "USD", 3, Amounts())
    assert is_newer(state(version=0), None)
    assert is_newer(state(version=4), stored)
    assert not is_newer(state(version=3), stored)
    assert not is_newer(state(version=2), stored)


def test_the_delta_is_new_minus_stored_and_a_changed_account_moves_its_share() -> None:
    old = contribution_of(state(balance="40.00", version=1))
    new = contribution_of(state(balance="15.00", version=2))
    (delta,) = deltas(old, new)
    assert delta.amounts == Amounts(open_receivable=D("-25.00"))
    moved = contribution_of(state(balance="15.00", version=2, account="acct-2"))
    by_account = {d.billing_account_id: d.amounts for d in deltas(old, moved)}
    assert by_account == {
        "acct-1": Amounts(open_receivable=D("-40.00"), open_invoice_count=-1),
        "acct-2": Amounts(open_receivable=D("15.00"), open_invoice_count=1),
    }


def test_the_view_lists_currencies_by_code_with_their_minor_units_and_drops_empty_ones() -> None:
    totals = AccountTotals(
        "acct-1",
        {
            "USD": Amounts(open_credit=D("5"), posted_memo_count=1),
            "EUR": Amounts(),
            "JPY": Amounts(open_receivable=D("100"), open_invoice_count=1),
        },
        "2026-11-25T10:00:00.000Z",
    )
    body = AccountSummaryView.of(totals).body()
    assert body == {
        "billingAccountId": "acct-1",
        "currencies": [
            {
                "currency": "JPY",
                "openCredit": "0",
                "openReceivable": "100",
                "postedMemoCount": 0,
                "openInvoiceCount": 1,
            },
            {
                "currency": "USD",
                "openCredit": "5.00",
                "openReceivable": "0.00",
                "postedMemoCount": 1,
                "openInvoiceCount": 0,
            },
        ],
        "asOf": "2026-11-25T10:00:00.000Z",
    }


# ------------------------------------------------------------ convergence


def apply_all(changes: list[DocumentState]) -> tuple[dict[str, dict[str, Amounts]], dict[str, int]]:
    """What the consumer's store does, in memory: per document its stored contribution, per
    account and currency the totals, each change applied only if newer, by its delta."""
    stored: dict[str, Contribution] = {}
    totals: dict[str, dict[str, Amounts]] = {}
    for change in changes:
        held = stored.get(change.document_key)
        if not is_newer(change, held):
            continue
        new = contribution_of(change)
        for delta in deltas(held, new):
            account = totals.setdefault(delta.billing_account_id, {})
            account[delta.currency] = account.get(delta.currency, Amounts()) + delta.amounts
        stored[change.document_key] = new
    return totals, {key: c.version for key, c in stored.items()}


amounts = st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def histories(draw: st.DrawFn) -> list[list[DocumentState]]:
    """A few documents of two accounts and two currencies, each a run of states, versions rising."""
    documents = []
    for n in range(draw(st.integers(1, 6))):
        entity = draw(st.sampled_from(["Invoice", "CreditMemo"]))
        statuses = ["Draft", "Posted"] + (["Voided"] if entity == "CreditMemo" else [])
        account, currency = draw(st.sampled_from(["acct-1", "acct-2"])), draw(st.sampled_from(["USD", "EUR"]))
        versions = sorted(draw(st.sets(st.integers(0, 30), min_size=1, max_size=6)))
        documents.append(
            [
                state(
                    entity,
                    draw(st.sampled_from(statuses)),
                    str(draw(amounts)),
                    version,
                    key=f"DOC#{n}",
                    account=account,
                    currency=currency,
                )
                for version in versions
            ]
        )
    return documents


@settings(max_examples=300, deadline=None)
@given(data=st.data(), documents=histories())
def test_any_order_and_any_repetition_of_the_states_converges_to_the_newest(
    data: st.DataObject, documents: list[list[DocumentState]]
) -> None:
    every = [s for history in documents for s in history]
    # Some states delivered more than once, all of them in a random order (a shuffled stream
    # with replays), then everything replayed once more.
    repeated = every + data.draw(st.lists(st.sampled_from(every), max_size=len(every) * 2))
    delivered = data.draw(st.permutations(repeated)) + every
    totals, versions = apply_all(delivered)
    newest = [history[-1] for history in documents]
    assert versions == {s.document_key: s.version for s in newest}
    for account in ("acct-1", "acct-2"):
        expected = summarize(every, account)
        got = {c: a for c, a in totals.get(account, {}).items() if not a.is_zero()}
        assert got == {c: a for c, a in expected.currencies.items() if not a.is_zero()}


@given(documents=histories())
def test_applying_only_each_documents_newest_state_of_a_batch_is_the_same(
    documents: list[list[DocumentState]],
) -> None:
    every = [s for history in documents for s in history]
    assert apply_all(newest_states(every)) == apply_all(every)


def apply_in_groups(batches: list[list[DocumentState]], size: int) -> dict[str, dict[str, Amounts]]:
    """As the consumer does: per batch, per account group, the newer states' summed deltas."""
    stored: dict[str, Contribution] = {}
    totals: dict[str, dict[str, Amounts]] = {}
    for batch in batches:
        for group in account_groups(batch, size):
            assert len(group) <= size and len({s.billing_account_id for s in group}) == 1
            fresh = [s for s in group if is_newer(s, stored.get(s.document_key))]
            changes = [(stored.get(s.document_key), contribution_of(s)) for s in fresh]
            for delta in combined_deltas(changes):
                account = totals.setdefault(delta.billing_account_id, {})
                account[delta.currency] = account.get(delta.currency, Amounts()) + delta.amounts
            stored.update({s.document_key: contribution_of(s) for s in fresh})
    return totals


@settings(max_examples=200, deadline=None)
@given(data=st.data(), documents=histories(), size=st.integers(1, 4))
def test_batches_applied_by_account_groups_converge_too(
    data: st.DataObject, documents: list[list[DocumentState]], size: int
) -> None:
    every = [s for history in documents for s in history]
    delivered = data.draw(st.permutations(every + data.draw(st.lists(st.sampled_from(every), max_size=10))))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(delivered)), max_size=6)))
    batches = [delivered[a:b] for a, b in zip([0, *cuts], [*cuts, len(delivered)], strict=True)]
    totals = apply_in_groups(batches, size)
    for account in ("acct-1", "acct-2"):
        expected = summarize(every, account)
        got = {c: a for c, a in totals.get(account, {}).items() if not a.is_zero()}
        assert got == {c: a for c, a in expected.currencies.items() if not a.is_zero()}
