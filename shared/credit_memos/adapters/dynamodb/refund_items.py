"""Refund records and refund reference claims <-> their items (spec section 10)."""

from __future__ import annotations

import dataclasses
from typing import Any

from credit_memos.adapters.dynamodb.dataclass_dicts import as_dict
from credit_memos.adapters.dynamodb.keys import (
    BY_STATUS_INDEX,
    refund_claim_key,
    refund_key,
    refunds_partition,
)
from credit_memos.domain.refunds import CreditMemoRefund, RefundAllocation, RefundReferenceClaim

_REFUND_FIELDS = {f.name for f in dataclasses.fields(CreditMemoRefund)}


def refund_item(record: CreditMemoRefund) -> dict[str, Any]:
    """A Refund or Reversal record: its fields as one map under ``records`` (indexed when small,
    as a payment record's), so a memo's refund list reads it from its index without new projected
    attributes; ``records_unindexed`` when many line allocations make it large."""
    from credit_memos.adapters.dynamodb.document_items import records_attribute

    data = {k: v for k, v in as_dict(record).items() if v is not None}
    version = data.pop("version")
    records = [data]
    return refund_key(record.id) | {
        "entity": "CreditMemoRefund",
        "id": record.id,
        "credit_memo_id": record.credit_memo_id,
        "created_at": record.created_at,
        "version": version,
        records_attribute(records): records,
        BY_STATUS_INDEX.pk: refunds_partition(record.credit_memo_id),
        BY_STATUS_INDEX.sk: f"{record.sequence:012d}#{record.created_at}#{record.id}",
    }


def refund_from_item(data: dict[str, Any]) -> CreditMemoRefund | None:
    """The record of a table or index item; None for an index item without its records (large)."""
    records = data.get("records", data.get("records_unindexed"))
    if records is None:
        return None
    fields = dict(records[0])
    allocations = [
        RefundAllocation(a["credit_memo_line_id"], a["amount"]) for a in fields.pop("line_allocations", [])
    ]
    record = CreditMemoRefund(**{k: v for k, v in fields.items() if k in _REFUND_FIELDS})
    record.line_allocations = allocations
    record.version, record.sequence = int(data.get("version", 0)), int(record.sequence)
    return record


def refund_claim_item(claim: RefundReferenceClaim) -> dict[str, Any]:
    return refund_claim_key(claim.credit_memo_id, claim.reference) | {
        "entity": "RefundReferenceClaim",
        "credit_memo_id": claim.credit_memo_id,
        "reference": claim.reference,
        "refund_id": claim.refund_id,
        "version": claim.version,
    }


def refund_claim_from_item(data: dict[str, Any]) -> RefundReferenceClaim:
    return RefundReferenceClaim(
        credit_memo_id=data["credit_memo_id"],
        reference=data["reference"],
        refund_id=data.get("refund_id"),
        version=int(data["version"]),
    )
