"""The books' items: journal entries, the books' lock, period records and frozen balances."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from credit_memos.adapters.dynamodb.document_items import as_int
from credit_memos.adapters.dynamodb.keys import (
    BOOKS_LOCK_SHARDS,
    BY_ACCOUNT_INDEX,
    account_journal_partition,
    balances_key,
    books_lock_key,
    journal_partition,
    journal_shard,
    journal_sort_key,
    period_key,
)
from credit_memos.domain.journal import AccountBalance, Balances, JournalEntry, JournalLine
from credit_memos.domain.periods import AccountingPeriod, BooksLock


def entry_item(entry: JournalEntry) -> dict[str, Any]:
    """An entry: its fields as one map under ``records`` (projected into the account index, like
    a payment record), so both the date shards and the account's partition list it whole."""
    sort = journal_sort_key(entry.entry_date, entry.recorded_at, entry.id)
    fields = {
        "id": entry.id,
        "entry_date": entry.entry_date,
        "recorded_at": entry.recorded_at,
        "billing_account_id": entry.billing_account_id,
        "currency": entry.currency,
        "source_type": entry.source_type,
        "source_id": entry.source_id,
        "document_number": entry.document_number,
        "reason_code": entry.reason_code,
        "created_by": entry.created_by,
        "lines": [
            {
                "account": line.account,
                "account_code": line.account_code,
                "debit": line.debit,
                "credit": line.credit,
            }
            for line in entry.lines
        ],
    }
    return {
        "pk": journal_partition(journal_shard(entry.id)),
        "sk": sort,
        "entity": "JournalEntry",
        "id": entry.id,
        "records": [{k: v for k, v in fields.items() if v is not None}],
        BY_ACCOUNT_INDEX.pk: account_journal_partition(entry.billing_account_id),
        BY_ACCOUNT_INDEX.sk: sort,
    }


def entry_from_item(data: dict[str, Any]) -> JournalEntry:
    fields = dict(data["records"][0])
    lines = tuple(
        JournalLine(line["account"], line["account_code"], Decimal(line["debit"]), Decimal(line["credit"]))
        for line in fields.pop("lines")
    )
    fields.update({name: fields.get(name) for name in ("document_number", "reason_code", "created_by")})
    return JournalEntry(**fields, lines=lines)


def lock_items(lock: BooksLock) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Every copy of the lock at its new version, each with its condition (the version read)."""
    condition = _version_condition(lock.version)
    item = {
        "entity": "BooksLock",
        "closed_through": lock.closed_through,
        "first_closed": lock.first_closed,
        "version": lock.version + 1,
    }
    body = {k: v for k, v in item.items() if v is not None}
    return [(books_lock_key(shard) | body, condition) for shard in range(BOOKS_LOCK_SHARDS)]


def lock_from_item(data: dict[str, Any] | None) -> BooksLock:
    if data is None:
        return BooksLock()
    return BooksLock(data.get("closed_through"), data.get("first_closed"), as_int(data["version"]))


def lock_check(earliest_period: str) -> dict[str, Any]:
    """The condition a movement puts on its copy of the lock: the books are not closed through
    the month of its earliest entry."""
    return {
        "ConditionExpression": "attribute_not_exists(closed_through) OR closed_through < :period",
        "ExpressionAttributeValues": {":period": {"S": earliest_period}},
    }


def period_item(record: AccountingPeriod) -> tuple[dict[str, Any], dict[str, Any]]:
    fields = {
        "entity": "AccountingPeriod",
        "period": record.period,
        "closed_by": record.closed_by,
        "closed_at": record.closed_at,
        "reopened_by": record.reopened_by,
        "reopened_at": record.reopened_at,
        "reopen_reason_code": record.reopen_reason_code,
        "version": record.version + 1,
    }
    item = period_key(record.period) | {k: v for k, v in fields.items() if v is not None}
    return item, _version_condition(record.version)


def period_from_item(data: dict[str, Any]) -> AccountingPeriod:
    return AccountingPeriod(
        period=data["period"],
        closed_by=data.get("closed_by"),
        closed_at=data.get("closed_at"),
        reopened_by=data.get("reopened_by"),
        reopened_at=data.get("reopened_at"),
        reopen_reason_code=data.get("reopen_reason_code"),
        version=as_int(data["version"]),
    )


def balances_item(period: str, currency: str, account: str | None, balances: Balances) -> dict[str, Any]:
    return balances_key(period, currency, account) | {
        "entity": "PeriodBalances",
        "balances": {name: {"debit": b.debit, "credit": b.credit} for name, b in balances.items()},
    }


def balances_from_item(data: dict[str, Any]) -> Balances:
    return {
        name: AccountBalance(Decimal(b["debit"]), Decimal(b["credit"]))
        for name, b in data["balances"].items()
    }


def _version_condition(version: int) -> dict[str, Any]:
    if version == 0:
        return {"ConditionExpression": "attribute_not_exists(pk)"}
    return {
        "ConditionExpression": "#version = :read_version",
        "ExpressionAttributeNames": {"#version": "version"},
        "ExpressionAttributeValues": {":read_version": {"N": str(version)}},
    }
