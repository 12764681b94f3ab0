"""Which billing accounts a message of the summary consumer's failure queue names.

Lambda sends a stream batch it gave up on to SummarizeAccountsFailureQueue as its position only
(``DDBStreamBatchInfo``: stream, shard, first and last sequence number); the records themselves
are read back from the stream, which keeps them 24 hours. Past that they are gone; the accounts
then come from the failure items the consumer kept for the records it could not apply
(``SummaryStore.failed_accounts``), and :class:`NotReadable` says so only when there are none. A
message put on the queue by hand may name
what to repair directly: ``billingAccountIds``, ``documentKeys`` (``INVOICE#<id>``, ``MEMO#<id>``)
or stream ``Records`` (NEW_IMAGE).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from botocore.exceptions import ClientError
from credit_memos.adapters.dynamodb.repository import DynamoDbRepository
from credit_memos.domain.documents import CreditMemo, Invoice
from credit_memos.domain.summary import SUMMARIZED_ENTITIES

# Reads of an open shard that may come back empty before the batch's records (GetRecords can
# return an empty page with more behind it).
MAX_EMPTY_READS = 5
# The stream's answers when the records or the shard are no longer there.
GONE_CODES = ("TrimmedDataAccessException", "ResourceNotFoundException", "ExpiredIteratorException")


class NotReadable(Exception):
    """The message names no account that can be found (the reason is the message)."""


def accounts_of(
    message: Mapping[str, Any],
    *,
    streams: Any,
    repository: DynamoDbRepository,
    failed_accounts: Callable[[str, str], set[str]] | None = None,
) -> set[str]:
    """The billing accounts whose documents the message's batch (or list) names: from the stream
    while it keeps the records, then from the failure items the consumer kept
    (``failed_accounts(first, last)``)."""
    if "DDBStreamBatchInfo" in message:
        info = message["DDBStreamBatchInfo"]
        try:
            return set(_accounts_in_records(_batch_records(streams, info)))
        except NotReadable:
            first, last = info.get("startSequenceNumber"), info.get("endSequenceNumber")
            kept = failed_accounts(str(first), str(last)) if failed_accounts and first and last else set()
            if kept:
                return kept
            raise
    if "billingAccountIds" in message or "billingAccountId" in message:
        accounts = message.get("billingAccountIds") or [message.get("billingAccountId")]
        return {str(a) for a in accounts if a}
    if "documentKeys" in message:
        return _accounts_of_documents(repository, message["documentKeys"])
    if "Records" in message:
        return set(_accounts_in_records(message["Records"]))
    raise NotReadable(
        "not a stream batch's position (DDBStreamBatchInfo) nor a list of billingAccountIds,"
        " documentKeys or Records"
    )


def _accounts_in_records(records: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """The accounts of the invoice and memo headers among the records (the consumer's filter)."""
    for record in records:
        image = (record.get("dynamodb") or {}).get("NewImage") or {}
        if record.get("eventName") == "REMOVE" or image.get("entity", {}).get("S") not in SUMMARIZED_ENTITIES:
            continue
        account = image.get("billing_account_id", {}).get("S")
        if not account:
            raise NotReadable(f"the record of {image.get('pk', {}).get('S')} names no billing_account_id")
        yield account


def _batch_records(streams: Any, info: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The records from the batch's first sequence number to its last, read back from the stream."""
    first, last = info.get("startSequenceNumber"), info.get("endSequenceNumber")
    if not (info.get("streamArn") and info.get("shardId") and first and last):
        raise NotReadable(f"the stream position is incomplete: {dict(info)}")
    try:
        iterator = streams.get_shard_iterator(
            StreamArn=info["streamArn"],
            ShardId=info["shardId"],
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=first,
        )["ShardIterator"]
        empty = 0
        while iterator and empty < MAX_EMPTY_READS:
            response = streams.get_records(ShardIterator=iterator, Limit=1000)
            records = response.get("Records", [])
            empty = 0 if records else empty + 1
            for record in records:
                if int(record["dynamodb"]["SequenceNumber"]) > int(last):
                    return
                yield record
                if int(record["dynamodb"]["SequenceNumber"]) == int(last):
                    return
            iterator = response.get("NextShardIterator")
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code not in GONE_CODES:
            raise
        raise NotReadable(_gone(info, code)) from None
    raise NotReadable(f"the stream ended before the batch's last record ({last}): {_window(info)}")


def _gone(info: Mapping[str, Any], code: str) -> str:
    return (
        f"the batch's stream records are gone ({code}; the stream keeps records 24 hours), so the"
        f" accounts it changed are unknown: {_window(info)}. Find them in SummarizeAccountsFunction's"
        " log ('summary changes not applied' names billing_account_id) and pass them as ACCOUNT..."
    )


def _window(info: Mapping[str, Any]) -> str:
    return (
        f"records {info.get('approximateArrivalOfFirstRecord')} to"
        f" {info.get('approximateArrivalOfLastRecord')}, shard {info.get('shardId')}"
    )


def _accounts_of_documents(repository: DynamoDbRepository, keys: Iterable[str]) -> set[str]:
    invoice_ids = [k.removeprefix("INVOICE#") for k in keys if k.startswith("INVOICE#")]
    memo_ids = [k.removeprefix("MEMO#") for k in keys if k.startswith("MEMO#")]
    snapshot = repository.read(invoice_ids=invoice_ids, memo_ids=memo_ids)
    found: list[Invoice | CreditMemo] = [*snapshot.invoices.values(), *snapshot.memos.values()]
    if len(found) < len(invoice_ids) + len(memo_ids):
        known = {f"INVOICE#{i}" for i in snapshot.invoices} | {f"MEMO#{m}" for m in snapshot.memos}
        missing = sorted(set(keys) - known)
        raise NotReadable(f"documents not found: {', '.join(missing)}")
    return {document.billing_account_id for document in found}
