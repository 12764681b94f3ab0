"""The account summary's rule (spec section 8, "Account summary"): what one document contributes
to its billing account's totals, and what a newer state of it changes.

The summary is a materialised view kept by a stream consumer (docs/design.md "Account summary"):
per document it stores the contribution of the last state it applied (with that state's
``version``), per account the sums. A document change is applied as "totals += new contribution -
stored contribution", only if the change is newer than the stored one (``is_newer``), so applying
any sequence of a document's states, in any order and with any repetition, leaves exactly the
contribution of its newest state: the totals converge to the sums over the documents.

No storage here: the DynamoDB adapter (``adapters/dynamodb/summary_store.py``) writes the rule's
results, one transaction per applied change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from credit_memos.money import ZERO

# The document types the summary counts (the ``entity`` of their header items).
SUMMARIZED_ENTITIES = ("Invoice", "CreditMemo")


@dataclass(frozen=True)
class DocumentState:
    """What the summary reads of one stored state of an invoice or a credit memo."""

    document_key: str  # the document's partition key (INVOICE#..., MEMO#...)
    entity: str  # "Invoice" or "CreditMemo"
    billing_account_id: str
    currency: str
    status: str
    balance: Decimal
    version: int
    changed_at: str  # ISO 8601 UTC: when this state was committed (see ``AccountTotals.as_of``)


@dataclass(frozen=True)
class Amounts:
    """What a document adds to one (account, currency), or the sum of many of them."""

    open_credit: Decimal = ZERO
    open_receivable: Decimal = ZERO
    posted_memo_count: int = 0
    open_invoice_count: int = 0

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(
            self.open_credit + other.open_credit,
            self.open_receivable + other.open_receivable,
            self.posted_memo_count + other.posted_memo_count,
            self.open_invoice_count + other.open_invoice_count,
        )

    def __neg__(self) -> Amounts:
        return Amounts(
            -self.open_credit, -self.open_receivable, -self.posted_memo_count, -self.open_invoice_count
        )

    def __sub__(self, other: Amounts) -> Amounts:
        return self + -other

    def is_zero(self) -> bool:
        return self == Amounts()


@dataclass(frozen=True)
class Contribution:
    """A document's share of its account's totals, as of one version of the document."""

    billing_account_id: str
    currency: str
    version: int
    amounts: Amounts


def contribution_of(state: DocumentState) -> Contribution:
    """What ``state`` adds to its account's totals in its currency.

    - a Posted credit memo: its balance to ``open_credit`` and 1 to ``posted_memo_count`` (a Posted
      memo fully applied still counts, with balance 0); a Draft or Voided memo nothing;
    - a Posted invoice: its balance to ``open_receivable`` and, if that balance is above 0, 1 to
      ``open_invoice_count`` (an invoice still to be paid or credited); a Draft invoice nothing.
    """
    amounts = Amounts()
    if state.status == "Posted":
        if state.entity == "CreditMemo":
            amounts = Amounts(open_credit=state.balance, posted_memo_count=1)
        elif state.entity == "Invoice":
            amounts = Amounts(open_receivable=state.balance, open_invoice_count=int(state.balance > 0))
    return Contribution(state.billing_account_id, state.currency, state.version, amounts)


def is_newer(state: DocumentState, stored: Contribution | None) -> bool:
    """Whether ``state`` is to be applied over ``stored``: the document's versions only grow, so an
    older or repeated state (a replayed or out-of-order stream record) is skipped."""
    return stored is None or stored.version < state.version


@dataclass(frozen=True)
class Delta:
    """What applying one change adds to one (account, currency)'s totals."""

    billing_account_id: str
    currency: str
    amounts: Amounts


def deltas(stored: Contribution | None, new: Contribution) -> list[Delta]:
    """What replacing ``stored`` by ``new`` changes, per (account, currency), zero changes left out.

    A document never changes account or currency; if one did, its old totals would lose what the
    new ones gain (two deltas), and the sums would still be exact.
    """
    changes: dict[tuple[str, str], Amounts] = {}
    if stored is not None:
        changes[(stored.billing_account_id, stored.currency)] = -stored.amounts
    key = (new.billing_account_id, new.currency)
    changes[key] = changes.get(key, Amounts()) + new.amounts
    return [Delta(account, currency, amounts) for (account, currency), amounts in changes.items()]


def combined_deltas(changes: Iterable[tuple[Contribution | None, Contribution]]) -> list[Delta]:
    """What replacing each ``stored`` by its ``new`` changes, summed per (account, currency)."""
    sums: dict[tuple[str, str], Amounts] = {}
    for stored, new in changes:
        for delta in deltas(stored, new):
            key = (delta.billing_account_id, delta.currency)
            sums[key] = sums.get(key, Amounts()) + delta.amounts
    return [Delta(account, currency, amounts) for (account, currency), amounts in sums.items()]


@dataclass(frozen=True)
class AccountTotals:
    """One account's summary: per currency the sums of its documents' contributions.

    ``as_of``: the commit time of the newest document change applied to the account (None if none
    was). The totals include that change, every earlier change of the same document, and every
    change of the account's other documents the consumer has received; a change still on its way
    through the stream (a few seconds behind, under the IteratorAge alarm) may be missing.
    """

    billing_account_id: str
    currencies: Mapping[str, Amounts]
    as_of: str | None

    @property
    def listed(self) -> list[tuple[str, Amounts]]:
        """Currencies in code order; one whose four figures are all 0 is left out."""
        return [(c, a) for c, a in sorted(self.currencies.items()) if not a.is_zero()]


def newest_states(states: Iterable[DocumentState]) -> list[DocumentState]:
    """The newest state of each document among ``states`` (first-seen order of the documents):
    applying only these is the same as applying all of them, for less."""
    newest: dict[str, DocumentState] = {}
    for state in states:
        held = newest.get(state.document_key)
        if held is None or held.version < state.version:
            newest[state.document_key] = state
    return list(newest.values())


def account_groups(states: Iterable[DocumentState], size: int) -> list[list[DocumentState]]:
    """The newest state of each document, grouped by account, at most ``size`` a group: what one
    transaction applies (one totals item per account, however many of its documents changed)."""
    by_account: dict[str, list[DocumentState]] = {}
    for state in newest_states(states):
        by_account.setdefault(state.billing_account_id, []).append(state)
    return [group[i : i + size] for group in by_account.values() for i in range(0, len(group), size)]


def summarize(states: Iterable[DocumentState], billing_account_id: str) -> AccountTotals:
    """The exact totals over documents' current states (what the view converges to)."""
    sums: dict[str, Amounts] = {}
    as_of: str | None = None
    for state in newest_states(states):
        if state.billing_account_id != billing_account_id:
            continue
        contribution = contribution_of(state)
        sums[state.currency] = sums.get(state.currency, Amounts()) + contribution.amounts
        as_of = state.changed_at if as_of is None else max(as_of, state.changed_at)
    return AccountTotals(billing_account_id, sums, as_of)
