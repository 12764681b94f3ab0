"""The table's keys: one place names every item's partition and sort key (docs/design.md)."""

from __future__ import annotations


def invoice_key(invoice_id: str) -> dict[str, str]:
    return {"pk": f"INVOICE#{invoice_id}", "sk": "INVOICE"}


def memo_key(memo_id: str) -> dict[str, str]:
    return {"pk": f"MEMO#{memo_id}", "sk": "MEMO"}


def entry_key(entry_id: str) -> dict[str, str]:
    return {"pk": f"APPLICATION#{entry_id}", "sk": "APPLICATION"}


def idempotency_key(operation: str, key: str) -> dict[str, str]:
    return {"pk": f"IDEMPOTENCY#{operation}#{key}", "sk": "IDEMPOTENCY"}


def outbox_key(event_id: str) -> dict[str, str]:
    return {"pk": f"OUTBOX#{event_id}", "sk": "OUTBOX"}


def account_partition(document: str, billing_account_id: str, status: str | None = None) -> str:
    """The index partition listing an account's ``document``s (``INVOICE`` or ``MEMO``), by status."""
    partition = f"ACCOUNT#{billing_account_id}#{document}"
    return partition if status is None else f"{partition}#{status}"


def history_partition(document: str, document_id: str) -> str:
    """The index partition of a memo's (``MEMO``) or an invoice's (``INVOICE``) application history."""
    return f"{document}#{document_id}#APPLICATIONS"
