"""The table's keys and indexes: one place names every item's partition and sort key, and every
index with its key attributes and projection (docs/design.md)."""

from __future__ import annotations

import zlib
from dataclasses import dataclass


def invoice_key(invoice_id: str) -> dict[str, str]:
    return {"pk": f"INVOICE#{invoice_id}", "sk": "INVOICE"}


def memo_key(memo_id: str) -> dict[str, str]:
    return {"pk": f"MEMO#{memo_id}", "sk": "MEMO"}


# A document's lines are stored in chunk items beside its header, under the header's ``pk``
# (docs/design.md "Table design"): ``LINES#0000``, ``LINES#0001``, ...
LINES_SK_PREFIX = "LINES#"


def lines_key(document_key: dict[str, str], index: int) -> dict[str, str]:
    """The key of chunk ``index`` of the document whose header has ``document_key``."""
    return {"pk": document_key["pk"], "sk": f"{LINES_SK_PREFIX}{index:04d}"}


def entry_key(entry_id: str) -> dict[str, str]:
    return {"pk": f"APPLICATION#{entry_id}", "sk": "APPLICATION"}


def payment_key(payment_id: str) -> dict[str, str]:
    """A Payment or Reversal record of an invoice (spec section 8)."""
    return {"pk": f"PAYMENT#{payment_id}", "sk": "PAYMENT"}


def claim_key(invoice_id: str, reference: str) -> dict[str, str]:
    """An invoice's payment reference, held by its unreversed payment (``PaymentReferenceClaim``)."""
    return {"pk": f"PAYREF#{invoice_id}#{reference}", "sk": "PAYREF"}


def refund_key(refund_id: str) -> dict[str, str]:
    """A Refund or Reversal record of a credit memo (spec section 10)."""
    return {"pk": f"REFUND#{refund_id}", "sk": "REFUND"}


def refund_claim_key(credit_memo_id: str, reference: str) -> dict[str, str]:
    """A memo's refund reference, held by its unreversed refund (``RefundReferenceClaim``)."""
    return {"pk": f"REFUNDREF#{credit_memo_id}#{reference}", "sk": "REFUNDREF"}


def idempotency_key(operation: str, key: str) -> dict[str, str]:
    return {"pk": f"IDEMPOTENCY#{operation}#{key}", "sk": "IDEMPOTENCY"}


def outbox_key(event_id: str) -> dict[str, str]:
    return {"pk": f"OUTBOX#{event_id}", "sk": "OUTBOX"}


def series_key(prefix: str) -> dict[str, str]:
    return {"pk": f"SERIES#{prefix}", "sk": "SERIES"}


def profile_key(billing_account_id: str) -> dict[str, str]:
    """A billing account's current profile (its newest revision)."""
    return {"pk": f"PROFILE#{billing_account_id}", "sk": "PROFILE"}


PROFILE_REVISION_PREFIX = "REVISION#"


def profile_revision_key(billing_account_id: str, revision: int) -> dict[str, str]:
    """One revision of a billing account's profile, beside the current one (written once)."""
    return {"pk": f"PROFILE#{billing_account_id}", "sk": f"{PROFILE_REVISION_PREFIX}{revision:08d}"}


def summary_key(billing_account_id: str) -> dict[str, str]:
    """An account's summary totals (the materialised view of docs/design.md "Account summary")."""
    return {"pk": f"ACCOUNT#{billing_account_id}", "sk": "SUMMARY"}


def contribution_key(document_key: str) -> dict[str, str]:
    """What the document whose partition key is ``document_key`` last contributed to the summary."""
    return {"pk": f"SUMMARY#{document_key}", "sk": "CONTRIBUTION"}


def account_partition(document: str, billing_account_id: str, status: str | None = None) -> str:
    """The index partition listing an account's ``document``s (``INVOICE`` or ``MEMO``), by status."""
    partition = f"ACCOUNT#{billing_account_id}#{document}"
    return partition if status is None else f"{partition}#{status}"


def history_partition(document: str, document_id: str) -> str:
    """The index partition of a memo's (``MEMO``) or an invoice's (``INVOICE``) application history."""
    return f"{document}#{document_id}#APPLICATIONS"


def payments_partition(invoice_id: str) -> str:
    """The index partition (BY_STATUS_INDEX, beside the invoice's history) of its payment records."""
    return f"INVOICE#{invoice_id}#PAYMENTS"


def refunds_partition(credit_memo_id: str) -> str:
    """The index partition (BY_STATUS_INDEX) of a memo's refund records."""
    return f"MEMO#{credit_memo_id}#REFUNDS"


@dataclass(frozen=True)
class Index:
    """A global secondary index: its name and the item attributes that are its keys."""

    name: str
    pk: str
    sk: str


# The two list indexes, named here by what they list (docs/design.md "Indexes"); each is overloaded:
# - BY_ACCOUNT_INDEX: an account's invoices or memos, and a memo's application history;
# - BY_STATUS_INDEX: an account's invoices or memos in one status, an invoice's application history
#   and its payment records; a memo's refund records.
# Their deployed names (GSI3, GSI4) and key attributes (gsi1pk/gsi1sk, gsi2pk/gsi2sk) are kept: a
# deployed table can neither rename an index nor change its keys, and the key attribute names are
# part of every item already written. They replaced LEGACY_INDEXES (the same keys, projection ALL),
# so a page token of a legacy index continues on its successor.
BY_ACCOUNT_INDEX = Index("GSI3", "gsi1pk", "gsi1sk")
BY_STATUS_INDEX = Index("GSI4", "gsi2pk", "gsi2sk")
INDEXES = (BY_ACCOUNT_INDEX, BY_STATUS_INDEX)
LEGACY_INDEXES = (Index("GSI1", "gsi1pk", "gsi1sk"), Index("GSI2", "gsi2pk", "gsi2sk"))

# What the list indexes hold besides their keys and the table's (template.yaml lists the same names;
# tests/template checks it): the fields a list shows of an invoice or a memo (the views without
# lines), and an application entry's ``records`` when they are small. Lines, the outbox, versions
# and large records are not copied into the indexes (docs/design.md "Indexes").
INDEXED_ATTRIBUTES = (
    "entity",
    "id",
    "billing_account_id",
    "currency",
    "status",
    "settlement_level",
    "source_action",
    "reference_invoice_id",
    "invoice_date",
    "effective_date",
    "due_date",
    "description",
    "external_reference",
    "total_charge_amount",
    "total_tax_amount",
    "total_amount_with_tax",
    "total_converted_neg_amount",
    "net_credits_applied",
    "balance",
    "line_count",
    "created_at",
    "updated_at",
    "document_number",
    "reason_code",
    "void_reason_code",
    "created_by",
    "voided_by",
    "credit_memo_id",
    "invoice_id",
    "level",
    "ordinal",
    "records",
)

# The outbox items not yet confirmed published (docs/design.md "Indexes", docs/orchestration-and-events.md).
# Sparse: only a pending OUTBOX item has ``gsi5pk``; the publisher removes it once EventBridge has
# accepted the item's events, so the index holds exactly the events still to deliver. Keys only.
# The partition is sharded by the write's first document (``PENDING_SHARDS``), so that no single index
# partition takes every write; the sort key orders a shard by commit time.
PENDING_INDEX = Index("GSI5", "gsi5pk", "gsi5sk")
PENDING_SHARDS = 16


def pending_partition(shard: int) -> str:
    return f"OUTBOX#PENDING#{shard:02d}"


def pending_shard(document_id: str) -> int:
    """The pending-index shard of a write whose first document is ``document_id`` (stable, not hash())."""
    return zlib.crc32(document_id.encode()) % PENDING_SHARDS


# A write EventBridge refuses every time leaves the pending shards for this partition of the same
# index (its sort key kept), where the operator lists it; nothing delivers it until released.
QUARANTINE_PARTITION = "OUTBOX#QUARANTINED"
# The documents whose delivery waits behind a quarantined write (one item, a string set).
HELD_DOCUMENTS_KEY = {"pk": "OUTBOX#HELD", "sk": "HELD"}


# The sparse index of credit memo numbers: only a numbered memo has the key attribute (a Draft,
# an older memo and every other item have none), and it holds only the keys (KEYS_ONLY): a lookup
# reads the memo itself from the table.
NUMBER_INDEX = "GSI6"
NUMBER_ATTRIBUTE = "document_number"


# The books (docs/design.md "The books"). Journal entries are table items in JOURNAL_SHARDS date-
# ordered partitions (a date range is one Query per shard, merged), and copies in BY_ACCOUNT_INDEX
# under the account's journal partition (a range of one account is one Query).
JOURNAL_SHARDS = 8
# The books' lock is one item copied into BOOKS_LOCK_SHARDS items: a movement checks the copy of
# its first document's shard, a close or reopen writes them all.
BOOKS_LOCK_SHARDS = 32


def journal_partition(shard: int) -> str:
    return f"JOURNAL#{shard:02d}"


def journal_shard(entry_id: str) -> int:
    return zlib.crc32(entry_id.encode()) % JOURNAL_SHARDS


def journal_sort_key(entry_date: str, recorded_at: str, entry_id: str) -> str:
    return f"{entry_date}#{recorded_at}#{entry_id}"


def account_journal_partition(billing_account_id: str) -> str:
    return f"ACCOUNT#{billing_account_id}#JOURNAL"


def books_lock_key(shard: int) -> dict[str, str]:
    return {"pk": f"BOOKS#LOCK#{shard:02d}", "sk": "LOCK"}


def books_lock_shard(document_id: str) -> int:
    return zlib.crc32(document_id.encode()) % BOOKS_LOCK_SHARDS


def period_key(period: str) -> dict[str, str]:
    """An accounting period's record (its last close and reopen)."""
    return {"pk": f"PERIOD#{period}", "sk": "PERIOD"}


def balances_key(period: str, currency: str, billing_account_id: str | None) -> dict[str, str]:
    """The balances frozen at the end of a closed period: of all accounts (``*``) or one."""
    return {"pk": f"BALANCES#{period}", "sk": f"{currency}#{billing_account_id or '*'}"}


def balances_ready_key(period: str) -> dict[str, str]:
    """Written last when a period's balances are frozen: the absent ones are then zero."""
    return {"pk": f"BALANCES#{period}", "sk": "READY"}
