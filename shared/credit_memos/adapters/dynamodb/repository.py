"""DynamoDB implementation of the repository (table design: docs/design.md).

The only module that calls DynamoDB. AWS errors become domain errors or the
repository signals of ``credit_memos.ports``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from credit_memos.adapters.dynamodb.attribute_codec import deserialize, serialize
from credit_memos.adapters.dynamodb.document_items import (
    PROFILE_ENTITY,
    claim_from_item,
    document_from_item,
    payment_from_item,
    profile_from_item,
    series_from_item,
    series_item,
)
from credit_memos.adapters.dynamodb.errors import translate
from credit_memos.adapters.dynamodb.idempotency_items import idempotency_from_item, idempotency_item
from credit_memos.adapters.dynamodb.index_queries import IndexQueries
from credit_memos.adapters.dynamodb.item_size import estimated_size
from credit_memos.adapters.dynamodb.journal_items import (
    entry_item,
    lock_check,
    lock_from_item,
    lock_items,
    period_from_item,
    period_item,
)
from credit_memos.adapters.dynamodb.journal_queries import JournalQueries
from credit_memos.adapters.dynamodb.keys import (
    INDEXES,
    PENDING_INDEX,
    PROFILE_REVISION_PREFIX,
    Index,
    books_lock_key,
    books_lock_shard,
    claim_key,
    entry_key,
    idempotency_key,
    invoice_key,
    lines_key,
    memo_key,
    outbox_key,
    payment_key,
    pending_partition,
    pending_shard,
    period_key,
    profile_key,
    refund_claim_key,
    refund_key,
    series_key,
)
from credit_memos.adapters.dynamodb.line_chunks import StoredLines, assemble, chunk_keys, document_write
from credit_memos.adapters.dynamodb.refund_items import refund_claim_from_item, refund_from_item
from credit_memos.adapters.dynamodb.tokens import decode_token, encode_token, invalid_token
from credit_memos.adapters.outbox import OUTBOX_ATTRIBUTE, OUTBOX_COMMITTED_AT, encode_outbox
from credit_memos.domain.documents import ApplicationEntry, CreditMemo, Invoice, NumberSeries
from credit_memos.domain.periods import period_closed_message
from credit_memos.errors import PeriodClosed, ServiceUnavailable, ValidationError
from credit_memos.limits import MAX_TRANSACTION_ITEMS
from credit_memos.ports import (
    Changes,
    ConflictingWrite,
    IdempotencyRecordExists,
    Page,
    Snapshot,
)

if TYPE_CHECKING:
    pass

# An item may be 400 KB; keep a margin for attribute overhead we do not count.
MAX_ITEM_BYTES = 380_000
# Re-reads of a document whose header and chunks were read across a concurrent write.
MAX_TORN_READS = 8

Key = tuple[str, str]
Action = tuple[str, dict[str, Any], dict[str, Any]]  # (kind, condition, item): every write is a Put


def _key(item: dict[str, Any]) -> Key:
    return item["pk"], item["sk"]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class DynamoDbRepository(IndexQueries, JournalQueries):
    """Reads by key and the transactional commit (the lists: ``IndexQueries``, the journal's
    reads: ``JournalQueries``)."""

    def __init__(
        self,
        client: Any,
        table_name: str,
        *,
        clock: Callable[[], datetime] = _utc_now,
        sleep: Callable[[float], None] = time.sleep,
        indexes: tuple[Index, Index] = INDEXES,
    ) -> None:
        super().__init__(client, table_name, sleep=sleep, indexes=indexes)
        self._clock = clock

    def _epoch(self) -> int:
        return int(self._clock().timestamp())

    # ------------------------------------------------------------ reads

    def read(
        self,
        *,
        invoice_ids: Sequence[str] = (),
        memo_ids: Sequence[str] = (),
        entry_ids: Sequence[str] = (),
        idempotency: tuple[str, str] | None = None,
        consistent: bool = True,
        series: str | None = None,
        payment_ids: Sequence[str] = (),
        payment_references: Sequence[tuple[str, str]] = (),
        books: bool = False,
        periods: Sequence[str] = (),
        refund_ids: Sequence[str] = (),
        refund_references: Sequence[tuple[str, str]] = (),
        profile_ids: Sequence[str] = (),
    ) -> Snapshot:
        documents = [invoice_key(i) for i in dict.fromkeys(invoice_ids)]
        documents += [memo_key(m) for m in dict.fromkeys(memo_ids)]
        # Each document's first chunk is read with its header: a document of up to LINES_PER_CHUNK
        # lines (most) is read whole in this one request; longer ones need one more (_documents).
        keys = [*documents, *(lines_key(k, 0) for k in documents)]
        keys += [payment_key(p) for p in dict.fromkeys(payment_ids)]
        keys += [claim_key(*ref) for ref in dict.fromkeys(payment_references)]
        keys += [refund_key(r) for r in dict.fromkeys(refund_ids)]
        keys += [refund_claim_key(*ref) for ref in dict.fromkeys(refund_references)]
        keys += [profile_key(a) for a in dict.fromkeys(profile_ids)]
        if series is not None:
            keys.append(series_key(series))
        keys += [entry_key(e) for e in dict.fromkeys(entry_ids)]
        keys += [period_key(p) for p in dict.fromkeys(periods)]
        if books:
            keys.append(books_lock_key(0))
        if idempotency is not None:
            keys.append(idempotency_key(*idempotency))
        snapshot = Snapshot(series=NumberSeries(series) if series is not None else None)
        if books:
            snapshot.books = lock_from_item(None)
        if not keys:
            return snapshot
        found = {_key(data): data for data in self._batch_get(keys, consistent)}
        for doc, lines in self._documents([_key(k) for k in documents], found, consistent):
            snapshot.stored[doc.id] = lines
            if isinstance(doc, Invoice):
                snapshot.invoices[doc.id] = doc
            else:
                snapshot.memos[doc.id] = doc
        for data in found.values():
            entity = data.get("entity")
            if entity == "NumberSeries":
                snapshot.series = series_from_item(data)
            elif entity == "InvoicePayment":
                payment = payment_from_item(data)
                assert payment is not None  # a table item has its records
                snapshot.payments[payment.id] = payment
            elif entity == "PaymentReferenceClaim":
                claim = claim_from_item(data)
                snapshot.claims[claim.id] = claim
            elif entity == "BooksLock":
                snapshot.books = lock_from_item(data)
            elif entity == "AccountingPeriod":
                record = period_from_item(data)
                snapshot.periods[record.period] = record
            elif entity == "CreditMemoRefund":
                refund = refund_from_item(data)
                assert refund is not None  # a table item has its records
                snapshot.refunds[refund.id] = refund
            elif entity == "RefundReferenceClaim":
                refund_claim = refund_claim_from_item(data)
                snapshot.refund_claims[refund_claim.id] = refund_claim
            elif entity == PROFILE_ENTITY:
                profile = profile_from_item(data)
                snapshot.profiles[profile.billing_account_id] = profile
            elif entity == "IdempotencyRecord":
                held = idempotency_from_item(data)
                # Live until the commit's condition (expiresAt < :now) would let it be replaced.
                if held.expires_at >= self._epoch():
                    snapshot.idempotency = held
            else:
                entry = document_from_item(data)
                assert isinstance(entry, ApplicationEntry)
                snapshot.entries[entry.id] = entry
        return snapshot

    def _documents(
        self, keys: list[Key], found: dict[Key, dict[str, Any]], consistent: bool
    ) -> list[tuple[Invoice | CreditMemo, StoredLines]]:
        """The invoices and memos of ``keys`` that exist, in that order, each assembled from its
        header and chunks (taken out of ``found``; the chunks not in it are read) and each one
        committed state: a read torn by a write between the items' reads is read again. Each
        comes with what was read of its lines, so that a write rewrites only the changed chunks."""
        owners = {pk: (pk, sk) for pk, sk in keys}
        headers: dict[Key, dict[str, Any]] = {}
        chunks: dict[Key, dict[str, dict[str, Any]]] = {key: {} for key in keys}
        for key in list(found):
            owner = owners.get(key[0])
            if owner is not None:
                data = found.pop(key)
                if key == owner:
                    headers[key] = data
                else:
                    chunks[owner][key[1]] = data
        docs: dict[Key, tuple[Invoice | CreditMemo, StoredLines]] = {}
        for attempt in range(MAX_TORN_READS):
            missing = [
                k for key, header in headers.items() for k in chunk_keys(header) if k["sk"] not in chunks[key]
            ]
            for data in self._batch_get(missing, consistent) if missing else ():
                chunks[owners[data["pk"]]][data["sk"]] = data
            torn: list[Key] = []
            for key, header in headers.items():
                assembled = assemble(header, chunks[key])
                if assembled is None:
                    torn.append(key)
                    continue
                doc, lines = assembled
                assert isinstance(doc, Invoice | CreditMemo)
                docs[key] = doc, lines
            if not torn:
                return [docs[key] for key in keys if key in docs]
            if attempt:
                self._sleep(min(0.2, 0.005 * 2**attempt))
            consistent = True  # an eventually consistent read may stay torn longer
            headers = {_key(d): d for d in self._batch_get([{"pk": pk, "sk": sk} for pk, sk in torn], True)}
            chunks = {key: {} for key in torn}
        raise ServiceUnavailable("the documents are being changed by other requests; retry the request")

    def list_profile_revisions(self, billing_account_id: str, limit: int, next_token: str | None) -> Page:
        """The account's profile revisions, oldest first: a consistent Query of its partition."""
        partition = profile_key(billing_account_id)["pk"]
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :revision)",
            "ExpressionAttributeValues": {
                ":pk": {"S": partition},
                ":revision": {"S": PROFILE_REVISION_PREFIX},
            },
            "Limit": limit,
            "ConsistentRead": True,
        }
        if next_token is not None:
            start = decode_token(next_token, partition)
            if set(start) != {"pk", "sk"} or start["pk"]["S"] != partition:
                raise invalid_token()
            request["ExclusiveStartKey"] = start
        try:
            response = self._client.query(**request)
        except (ClientError, BotoCoreError) as error:
            raise translate(error) from error
        items = [profile_from_item(deserialize(item)) for item in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        return Page(items, encode_token(last, partition) if last else None)

    # ------------------------------------------------------------ writes

    def commit(self, unit: Changes) -> None:
        items: list[Action] = []
        for doc in unit.creates:
            write = document_write(doc, version=doc.version, read=None)
            items.append(("create", {"ConditionExpression": "attribute_not_exists(pk)"}, write.header))
            items += [("chunk", {}, chunk) for chunk in write.chunks]
        for doc in unit.updates:
            # The header is conditional on the version read; the chunks whose lines changed go in
            # the same transaction, so a writer that changed any other chunk meanwhile (it bumped
            # the version) makes this one fail as a whole.
            write = document_write(doc, version=doc.version + 1, read=unit.stored.get(doc.id))
            condition = {
                "ConditionExpression": "#version = :read_version",
                "ExpressionAttributeNames": {"#version": "version"},
                "ExpressionAttributeValues": {":read_version": {"N": str(doc.version)}},
            }
            items.append(("update", condition, write.header))
            items += [("chunk", {}, chunk) for chunk in write.chunks]
        if unit.series is not None:
            # The series is the hot item of every posting: conditional on the version read, so a
            # number is issued once, and only by a write that commits (docs/design.md "Numbers").
            read_version = unit.series.version
            series_condition: dict[str, Any] = (
                {"ConditionExpression": "attribute_not_exists(pk)"}
                if read_version == 0
                else {
                    "ConditionExpression": "#version = :read_version",
                    "ExpressionAttributeNames": {"#version": "version"},
                    "ExpressionAttributeValues": {":read_version": {"N": str(read_version)}},
                }
            )
            items.append(("series", series_condition, series_item(unit.series)))
        if unit.idempotency is not None:
            condition = {
                # An expired record (TTL deletes lazily) no longer holds its key.
                "ConditionExpression": "attribute_not_exists(pk) OR expiresAt < :now",
                "ExpressionAttributeValues": {":now": {"N": str(self._epoch())}},
            }
            items.append(("idempotency", condition, idempotency_item(unit.idempotency)))
        items += self._books_actions(unit)
        if not items and not unit.events:
            return  # a request that changed nothing (a profile set to what it says) writes nothing
        # Each item's size once: a serialization of a 300-line document is not free.
        sizes = [estimated_size(item) for kind, _, item in items if kind != "check"]
        if unit.events:
            # Transactional outbox: the write's events get an OUTBOX item of their own in this
            # very transaction. It reaches the publisher through the table's stream (NEW_IMAGE)
            # and stays on the pending index (PENDING_INDEX) until the publisher, or a replay,
            # has seen EventBridge accept the events: the table, not only the stream's 24 hours,
            # keeps every event until it is delivered.
            outbox_item = self._outbox_item(unit)
            items.append(("outbox", {"ConditionExpression": "attribute_not_exists(pk)"}, outbox_item))
            sizes.append(estimated_size(items[-1][2]))
        if max(sizes) > MAX_ITEM_BYTES:
            raise ValidationError(
                "the document is too large to store (item limit 400 KB); shorten its text fields or lines"
            )
        if len(items) > MAX_TRANSACTION_ITEMS:
            raise ValidationError(
                f"the request would change {len(items)} stored items, more than the {MAX_TRANSACTION_ITEMS} "
                "one atomic write can hold; split it into smaller requests (fewer invoices or lines)"
            )
        if len(items) == 1:
            self._put_one(*items[0])
        else:
            self._transact(items)
        for doc in unit.updates:
            doc.version += 1
        if unit.series is not None:
            unit.series.version += 1

    def _books_actions(self, unit: Changes) -> list[Action]:
        """The journal entries and the check that the books are open for them (docs/design.md
        "The books"), or a close's or reopen's lock and period record."""
        actions: list[Action] = [
            ("create", {"ConditionExpression": "attribute_not_exists(pk)"}, entry_item(e))
            for e in unit.journal
        ]
        if unit.journal:
            first = unit.events[0]
            document_id = next(iter(first.detail.get("sequences") or {}), first.event_id)
            earliest = min(entry.period for entry in unit.journal)
            actions.append(("check", lock_check(earliest), books_lock_key(books_lock_shard(document_id))))
        if unit.books is not None:
            actions += [("books", condition, item) for item, condition in lock_items(unit.books)]
        if unit.period is not None:
            item, condition = period_item(unit.period)
            actions.append(("books", condition, item))
        return actions

    def _outbox_item(self, unit: Changes) -> dict[str, Any]:
        first = unit.events[0]
        # The shard follows the write's first document, so one document's writes share a shard.
        document_id = next(iter(first.detail.get("sequences") or {}), first.event_id)
        committed_at = self._clock().astimezone(UTC).isoformat(timespec="microseconds")
        return outbox_key(first.event_id) | {
            "entity": "Outbox",
            OUTBOX_ATTRIBUTE: encode_outbox(unit.events),
            OUTBOX_COMMITTED_AT: committed_at,
            PENDING_INDEX.pk: pending_partition(pending_shard(document_id)),
            PENDING_INDEX.sk: f"{committed_at}#{first.event_id}",
        }

    def _put_one(self, kind: str, condition: dict[str, Any], item: dict[str, Any]) -> None:
        try:
            self._client.put_item(TableName=self._table, Item=serialize(item), **condition)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                if kind == "idempotency":
                    raise IdempotencyRecordExists from None
                raise ConflictingWrite from None
            raise translate(error) from error
        except BotoCoreError as error:
            raise translate(error) from error

    def _transact(self, items: list[Action]) -> None:
        request = [
            {"ConditionCheck": {"TableName": self._table, "Key": serialize(item), **cond}}
            if kind == "check"
            else {"Put": {"TableName": self._table, "Item": serialize(item), **cond}}
            for kind, cond, item in items
        ]
        try:
            # The token makes the SDK's own retries of this call (e.g. after a timeout) idempotent.
            self._client.transact_write_items(TransactItems=request, ClientRequestToken=str(uuid.uuid4()))
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code == "TransactionCanceledException":
                reasons = [r.get("Code", "None") for r in error.response.get("CancellationReasons", [])]
                self._raise_for_cancellation(items, reasons, error)
            if code in ("TransactionConflictException", "TransactionInProgressException"):
                raise ConflictingWrite from None
            raise translate(error) from error
        except BotoCoreError as error:
            raise translate(error) from error

    @staticmethod
    def _raise_for_cancellation(items: list[Action], reasons: list[str], error: ClientError) -> None:
        for (kind, _, _), reason in zip(items, reasons, strict=False):
            if kind == "idempotency" and reason == "ConditionalCheckFailed":
                raise IdempotencyRecordExists from None
        for (kind, condition, _), reason in zip(items, reasons, strict=False):
            if kind == "check" and reason == "ConditionalCheckFailed":
                period = condition["ExpressionAttributeValues"][":period"]["S"]
                raise PeriodClosed(period_closed_message(period)) from None
        if any(r in ("ConditionalCheckFailed", "TransactionConflict") for r in reasons) or not reasons:
            raise ConflictingWrite from None
        if any(
            r in ("ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded") for r in reasons
        ):
            raise ServiceUnavailable("the database is busy; retry the request") from None
        if "ValidationError" in reasons:
            raise ValidationError(
                "the request is too large to store atomically; split it into smaller requests"
            )
        raise translate(error) from error
