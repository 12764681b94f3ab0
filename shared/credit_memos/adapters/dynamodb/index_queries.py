"""The list indexes: pages of an account's documents, a document's history, a memo by number
(and the account summary's one item).

Everything here is read from the table's indexes (eventually consistent); the repository
(``repository.py``) adds reads by key and the transactional commit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from credit_memos.adapters.dynamodb.attribute_codec import deserialize
from credit_memos.adapters.dynamodb.batch_reads import batch_get
from credit_memos.adapters.dynamodb.document_items import listed_document, payment_from_item
from credit_memos.adapters.dynamodb.errors import translate
from credit_memos.adapters.dynamodb.keys import (
    INDEXES,
    NUMBER_ATTRIBUTE,
    NUMBER_INDEX,
    Index,
    account_partition,
    history_partition,
    payments_partition,
    refunds_partition,
)
from credit_memos.adapters.dynamodb.refund_items import refund_from_item
from credit_memos.adapters.dynamodb.tokens import decode_token, encode_token, invalid_token
from credit_memos.ports import Page

if TYPE_CHECKING:
    from credit_memos.domain.summary import AccountTotals


class IndexQueries:
    """The repository's lists, read from the table's indexes."""

    def __init__(
        self,
        client: Any,
        table_name: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        indexes: tuple[Index, Index] = INDEXES,
    ) -> None:
        self._client = client
        self._table = table_name
        self._sleep = sleep
        # The index of an account's documents (and a memo's history), and of an account's
        # documents by status (and an invoice's history).
        self._by_account, self._by_status = indexes

    def _batch_get(self, keys: list[dict[str, str]], consistent: bool) -> list[dict[str, Any]]:
        return batch_get(self._client, self._table, keys, consistent=consistent, sleep=self._sleep)

    def _query(
        self,
        index: Index,
        partition: str,
        limit: int,
        next_token: str | None,
        reason_code: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index.name,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": index.pk},
            "ExpressionAttributeValues": {":pk": {"S": partition}},
            "Limit": limit,
        }
        if reason_code is not None:
            # Applied to the page DynamoDB read (Limit items): a page may hold fewer, even none,
            # and still have a nextToken.
            request["FilterExpression"] = "#reason = :reason"
            request["ExpressionAttributeNames"]["#reason"] = "reason_code"
            request["ExpressionAttributeValues"][":reason"] = {"S": reason_code}
        if next_token is not None:
            start = decode_token(next_token, partition)
            # A start key is one this query returned: the index's four keys, on this partition.
            if set(start) != {"pk", "sk", index.pk, index.sk} or start[index.pk]["S"] != partition:
                raise invalid_token()
            request["ExclusiveStartKey"] = start
        try:
            response = self._client.query(**request)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if next_token is not None and code == "ValidationException":
                raise invalid_token() from None  # the engine refused the start key: a forged token
            raise translate(error) from error
        except BotoCoreError as error:
            raise translate(error) from error
        last = response.get("LastEvaluatedKey")
        items = [deserialize(item) for item in response.get("Items", [])]
        return items, (encode_token(last, partition) if last else None)

    def _listed(self, items: list[dict[str, Any]]) -> list[Any]:
        """The documents of index items, in their order; those the index lacks read from the table."""
        listed = [listed_document(item) for item in items]
        missing = [
            {"pk": item["pk"], "sk": item["sk"]}
            for item, doc in zip(items, listed, strict=True)
            if doc is None
        ]
        if missing:
            # Eventually consistent, like the index query itself.
            found = {(d["pk"], d["sk"]): d for d in self._batch_get(missing, consistent=False)}
            for position, item in enumerate(items):
                if listed[position] is None:
                    data = found.get((item["pk"], item["sk"]))
                    listed[position] = None if data is None else listed_document(data)
        return [doc for doc in listed if doc is not None]

    def _list_documents(
        self,
        document: str,
        billing_account_id: str,
        status: str | None,
        limit: int,
        next_token: str | None,
        reason_code: str | None = None,
    ) -> Page:
        index = self._by_account if status is None else self._by_status
        partition = account_partition(document, billing_account_id, status)
        items, token = self._query(index, partition, limit, next_token, reason_code)
        return Page(self._listed(items), token)

    def list_invoices(
        self, billing_account_id: str, status: str | None, limit: int, next_token: str | None
    ) -> Page:
        return self._list_documents("INVOICE", billing_account_id, status, limit, next_token)

    def list_credit_memos(
        self,
        billing_account_id: str,
        status: str | None,
        limit: int,
        next_token: str | None,
        reason_code: str | None = None,
    ) -> Page:
        return self._list_documents("MEMO", billing_account_id, status, limit, next_token, reason_code)

    def find_credit_memo_id(self, document_number: str) -> str | None:
        request = {
            "TableName": self._table,
            "IndexName": NUMBER_INDEX,
            "KeyConditionExpression": "#number = :number",
            "ExpressionAttributeNames": {"#number": NUMBER_ATTRIBUTE},
            "ExpressionAttributeValues": {":number": {"S": document_number}},
            "Limit": 2,
        }
        try:
            items = self._client.query(**request).get("Items", [])
        except (ClientError, BotoCoreError) as error:
            raise translate(error) from error
        if not items:
            return None
        return str(deserialize(items[0])["pk"]).removeprefix("MEMO#")

    def read_account_summary(self, billing_account_id: str) -> AccountTotals | None:
        # Imported here: only ReadAccountSummaryFunction reads summaries (a cold start of every
        # other function need not import the summary's domain module).
        from credit_memos.adapters.dynamodb.summary_store import SummaryStore

        try:
            return SummaryStore(self._client, self._table).read(billing_account_id)
        except (ClientError, BotoCoreError) as error:
            raise translate(error) from error

    def list_application_entries(
        self, *, credit_memo_id: str | None, invoice_id: str | None, limit: int, next_token: str | None
    ) -> Page:
        if credit_memo_id is not None:
            partition, index = history_partition("MEMO", credit_memo_id), self._by_account
        else:
            partition, index = history_partition("INVOICE", invoice_id or ""), self._by_status
        items, token = self._query(index, partition, limit, next_token)
        return Page(self._listed(items), token)

    def list_invoice_payments(self, invoice_id: str, limit: int, next_token: str | None) -> Page:
        partition = payments_partition(invoice_id)
        items, token = self._query(self._by_status, partition, limit, next_token)
        listed = [payment_from_item(item) for item in items]
        missing = [{"pk": i["pk"], "sk": i["sk"]} for i, p in zip(items, listed, strict=True) if p is None]
        if missing:
            # A record with many line allocations keeps them out of the index (records_unindexed).
            found = {d["pk"]: payment_from_item(d) for d in self._batch_get(missing, consistent=False)}
            listed = [p if p is not None else found.get(i["pk"]) for i, p in zip(items, listed, strict=True)]
        return Page([p for p in listed if p is not None], token)

    def list_memo_refunds(self, credit_memo_id: str, limit: int, next_token: str | None) -> Page:
        items, token = self._query(self._by_status, refunds_partition(credit_memo_id), limit, next_token)
        listed = [refund_from_item(item) for item in items]
        missing = [{"pk": i["pk"], "sk": i["sk"]} for i, r in zip(items, listed, strict=True) if r is None]
        if missing:
            # A record with many line allocations keeps them out of the index (records_unindexed).
            found = {d["pk"]: refund_from_item(d) for d in self._batch_get(missing, consistent=False)}
            listed = [r if r is not None else found.get(i["pk"]) for i, r in zip(items, listed, strict=True)]
        return Page([r for r in listed if r is not None], token)
