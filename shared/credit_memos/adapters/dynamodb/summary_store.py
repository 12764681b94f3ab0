"""The account summary's items (docs/design.md "Account summary"): written by the stream consumer
(SummarizeAccountsFunction), read by ReadAccountSummaryFunction.

Two kinds of item, neither on any index:

- per invoice or memo, its contribution (``contribution_key``): account, currency, the document
  version last applied and what that version contributed (``domain.summary.contribution_of``);
- per billing account, its totals (``summary_key``): per currency ``open_credit_<CCY>``,
  ``open_receivable_<CCY>``, ``posted_memo_count_<CCY>``, ``open_invoice_count_<CCY>``, the set
  ``currencies``, and ``as_of``.

The changes of a group of one account's documents (``domain.summary.account_groups``) are applied
as one consistent BatchGetItem of their contributions and one TransactWriteItems: each contribution
replaced, conditional on the version that was read (or on its absence), and the account's totals
updated with ``ADD`` of the differences. Applying is idempotent by each document's version (an
older or repeated change is skipped, ``domain.summary.is_newer``), so replays and out-of-order
stream records never count twice. The write path of the service never touches these items.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from credit_memos.adapters.dynamodb.attribute_codec import deserialize, serialize
from credit_memos.adapters.dynamodb.errors import RETRYABLE_CODES
from credit_memos.adapters.dynamodb.keys import contribution_key, invoice_key, memo_key, summary_key
from credit_memos.domain.documents import CreditMemo, Invoice
from credit_memos.domain.summary import (
    SUMMARIZED_ENTITIES,
    AccountTotals,
    Amounts,
    Contribution,
    Delta,
    DocumentState,
    combined_deltas,
    contribution_of,
    is_newer,
)

CONTRIBUTION_ENTITY = "SummaryContribution"
TOTALS_ENTITY = "AccountSummary"
# Attempts of one group of changes before it is reported failed (the stream delivers it again).
MAX_APPLY_ATTEMPTS = 8
# Documents of one account applied in one transaction: their contributions (one Put each) and the
# account's totals (an Update, two if a document changed account) within TransactWriteItems' 100
# items, and their contributions read in one BatchGetItem (100 keys).
MAX_GROUP = 50
_FIELDS = ("open_credit", "open_receivable", "posted_memo_count", "open_invoice_count")


def iso_timestamp(moment: datetime) -> str:
    """The service's timestamp form (``updated_at``'s): UTC, milliseconds, ``Z``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def state_from_image(image: Mapping[str, Any], committed: float | datetime | None) -> DocumentState | None:
    """The summarized state in a stream record's NEW_IMAGE (DynamoDB's typed JSON), or None if the
    item is not an invoice's or a memo's header item.

    Only the header's ``pk``, ``entity``, ``billing_account_id``, ``currency``, ``status``,
    ``balance`` and ``version`` are read, so an item split into a header and line items reads the
    same. ``committed`` is the record's ApproximateCreationDateTime (epoch seconds, or a datetime as
    the DynamoDB Streams API returns it); without it, the image's ``updated_at``.
    """
    entity = image.get("entity", {}).get("S")
    if entity not in SUMMARIZED_ENTITIES:
        return None
    data = deserialize(
        {
            k: image[k]
            for k in ("pk", "billing_account_id", "currency", "status", "balance", "version", "updated_at")
            if k in image
        }
    )
    if isinstance(committed, datetime):
        changed_at = iso_timestamp(committed)
    elif committed is not None:
        changed_at = iso_timestamp(datetime.fromtimestamp(float(committed), UTC))
    else:
        changed_at = str(data.get("updated_at", ""))
    return DocumentState(
        document_key=data["pk"],
        entity=entity,
        billing_account_id=data["billing_account_id"],
        currency=data["currency"],
        status=data["status"],
        balance=Decimal(data["balance"]),
        version=int(data["version"]),
        changed_at=changed_at,
    )


def document_state(document: Invoice | CreditMemo) -> DocumentState:
    """The summarized state of a document as read from the table (its stored ``version``)."""
    key = invoice_key(document.id) if isinstance(document, Invoice) else memo_key(document.id)
    return DocumentState(
        document_key=key["pk"],
        entity="Invoice" if isinstance(document, Invoice) else "CreditMemo",
        billing_account_id=document.billing_account_id,
        currency=document.currency,
        status=document.status,
        balance=document.balance,
        version=document.version,
        changed_at=document.updated_at,
    )


def _attribute(field: str, currency: str) -> str:
    return f"{field}_{currency}"


def _contribution_from_item(data: Mapping[str, Any]) -> Contribution:
    return Contribution(
        billing_account_id=data["billing_account_id"],
        currency=data["currency"],
        version=int(data["version"]),
        amounts=Amounts(
            Decimal(data["open_credit"]),
            Decimal(data["open_receivable"]),
            int(data["posted_memo_count"]),
            int(data["open_invoice_count"]),
        ),
    )


def totals_from_item(data: Mapping[str, Any]) -> AccountTotals:
    currencies = {
        currency: Amounts(
            Decimal(data.get(_attribute("open_credit", currency), 0)),
            Decimal(data.get(_attribute("open_receivable", currency), 0)),
            int(data.get(_attribute("posted_memo_count", currency), 0)),
            int(data.get(_attribute("open_invoice_count", currency), 0)),
        )
        for currency in data.get("currencies", ())
    }
    return AccountTotals(data["billing_account_id"], currencies, data.get("as_of"))


# Where the consumer keeps the records it could not apply (one item each, by sequence number).
FAILURES_PK = "SUMMARY#FAILED"


def _sequence_key(sequence: str) -> str:
    """A stream sequence number (decimal digits, up to 40) as a sort key that sorts like it."""
    return sequence.zfill(40)


class SummaryStore:
    def __init__(
        self,
        client: Any,
        table_name: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = MAX_APPLY_ATTEMPTS,
    ) -> None:
        self._client = client
        self._table = table_name
        self._sleep = sleep
        self._max_attempts = max_attempts

    # ------------------------------------------------------------ reads

    def read(self, billing_account_id: str, *, consistent: bool = False) -> AccountTotals | None:
        """An account's totals (one GetItem; eventually consistent unless ``consistent``)."""
        response = self._client.get_item(
            TableName=self._table, Key=serialize(summary_key(billing_account_id)), ConsistentRead=consistent
        )
        item = response.get("Item")
        return totals_from_item(deserialize(item)) if item else None

    def stored_contributions(self, document_keys: Sequence[str]) -> dict[str, Contribution]:
        """What these documents contribute now (one consistent BatchGetItem; absent if never applied)."""
        found: dict[str, Contribution] = {}
        pending: dict[str, Any] = {
            self._table: {
                "Keys": [serialize(contribution_key(k)) for k in dict.fromkeys(document_keys)],
                "ConsistentRead": True,
            }
        }
        for attempt in range(self._max_attempts):
            response = self._client.batch_get_item(RequestItems=pending)
            for item in response.get("Responses", {}).get(self._table, []):
                data = deserialize(item)
                found[str(data["pk"]).removeprefix("SUMMARY#")] = _contribution_from_item(data)
            pending = response.get("UnprocessedKeys") or {}
            if not pending:
                return found
            self._sleep(random.uniform(0, min(0.5, 0.01 * 2**attempt)))  # noqa: S311 - jitter
        raise RuntimeError("summary contributions not read: keys left unprocessed")

    def failed_accounts(self, first_sequence: str, last_sequence: str) -> set[str]:
        """The accounts of the failure items the consumer left for stream records in this range
        (``record_failures``): what a failure queue's message names once the stream has let its
        records go. Sequence numbers of other shards may fall in the range: repairing their
        accounts too is harmless."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :first AND :last",
            "ExpressionAttributeValues": serialize(
                {
                    ":pk": FAILURES_PK,
                    ":first": _sequence_key(first_sequence),
                    ":last": _sequence_key(last_sequence),
                }
            ),
        }
        accounts: set[str] = set()
        while True:
            response = self._client.query(**request)
            accounts |= {deserialize(item)["billing_account_id"] for item in response.get("Items", [])}
            if "LastEvaluatedKey" not in response:
                return accounts
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    # ------------------------------------------------------------ writes

    def record_failures(self, failures: Sequence[tuple[str, str, str]], now: str) -> None:
        """Keep, per stream record the consumer could not apply, its (sequence number, account,
        document key): the failure queue gets only the batch's stream position, which means
        nothing once the stream has let the records go (24 hours)."""
        for sequence, account, document_key in failures:
            self._client.put_item(
                TableName=self._table,
                Item=serialize(
                    {
                        "pk": FAILURES_PK,
                        "sk": _sequence_key(sequence),
                        "billing_account_id": account,
                        "document_key": document_key,
                        "failedAt": now,
                    }
                ),
            )

    def apply(self, states: Sequence[DocumentState]) -> tuple[int, int]:
        """Apply these states of distinct documents in one transaction; (applied, skipped).

        A state not newer than what its document contributes now is skipped. One item per document
        and one totals item per account, so ``states`` should be one account's (at most
        ``MAX_GROUP`` of them: ``domain.summary.account_groups``). Raises the client's error when
        it still fails after ``max_attempts`` (throttling, conflicts): the caller reports the
        records failed and the stream delivers them again.
        """
        advance_as_of = True
        for attempt in range(1, self._max_attempts + 1):
            stored = self.stored_contributions([s.document_key for s in states])
            fresh = [
                (s, stored.get(s.document_key)) for s in states if is_newer(s, stored.get(s.document_key))
            ]
            if not fresh:
                return 0, len(states)
            try:
                self._client.transact_write_items(TransactItems=self._transaction(fresh, advance_as_of))
                return len(fresh), len(states) - len(fresh)
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code")
                if code != "TransactionCanceledException":
                    if attempt == self._max_attempts or not _retryable(error):
                        raise
                else:
                    reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
                    if "ConditionalCheckFailed" in reasons[len(fresh) :]:
                        # A newer change of the account was applied first (another shard):
                        # count these and leave as_of where it is.
                        advance_as_of = False
                    elif attempt == self._max_attempts:
                        raise
                    # A contribution's condition failed: another applier replaced it; re-read.
            self._sleep(random.uniform(0, min(0.5, 0.01 * 2**attempt)))  # noqa: S311 - jitter
        raise RuntimeError(f"summary changes of {len(states)} documents not applied")

    def _transaction(
        self, fresh: Sequence[tuple[DocumentState, Contribution | None]], advance_as_of: bool
    ) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        changes: list[tuple[Contribution | None, Contribution]] = []
        as_of: dict[str, str] = {}
        for state, stored in fresh:
            new = contribution_of(state)
            changes.append((stored, new))
            as_of[state.billing_account_id] = max(as_of.get(state.billing_account_id, ""), state.changed_at)
            item = contribution_key(state.document_key) | {
                "entity": CONTRIBUTION_ENTITY,
                "billing_account_id": new.billing_account_id,
                "currency": new.currency,
                "version": new.version,
                "open_credit": new.amounts.open_credit,
                "open_receivable": new.amounts.open_receivable,
                "posted_memo_count": new.amounts.posted_memo_count,
                "open_invoice_count": new.amounts.open_invoice_count,
            }
            put: dict[str, Any] = {"TableName": self._table, "Item": serialize(item)}
            if stored is None:
                put["ConditionExpression"] = "attribute_not_exists(pk)"
            else:
                put["ConditionExpression"] = "#version = :read_version"
                put["ExpressionAttributeNames"] = {"#version": "version"}
                put["ExpressionAttributeValues"] = {":read_version": {"N": str(stored.version)}}
            items.append({"Put": put})
        by_account: dict[str, list[Delta]] = {}
        for delta in combined_deltas(changes):
            by_account.setdefault(delta.billing_account_id, []).append(delta)
        for account, account_deltas in by_account.items():
            changed_at = as_of.get(account) if advance_as_of else None
            items.append({"Update": self._totals_update(account, account_deltas, changed_at)})
        return items

    def _totals_update(
        self, account: str, account_deltas: Sequence[Delta], as_of: str | None
    ) -> dict[str, Any]:
        """ADD each currency's deltas to the account's totals; SET as_of if it moves forward."""
        names: dict[str, str] = {}
        values: dict[str, Any] = {":account": account, ":entity": TOTALS_ENTITY}
        adds = []
        for c, delta in enumerate(account_deltas):
            for f, field in enumerate(_FIELDS):
                names[f"#a{c}_{f}"] = _attribute(field, delta.currency)
                values[f":a{c}_{f}"] = getattr(delta.amounts, field)
                adds.append(f"#a{c}_{f} :a{c}_{f}")
        values[":currencies"] = {delta.currency for delta in account_deltas}
        adds.append("currencies :currencies")
        sets = ["entity = :entity", "billing_account_id = :account"]
        update: dict[str, Any] = {"TableName": self._table, "Key": serialize(summary_key(account))}
        if as_of is not None:
            sets.append("as_of = :as_of")
            values[":as_of"] = as_of
            update["ConditionExpression"] = "attribute_not_exists(as_of) OR as_of <= :as_of"
        update["UpdateExpression"] = f"SET {', '.join(sets)} ADD {', '.join(adds)}"
        update["ExpressionAttributeNames"] = names
        update["ExpressionAttributeValues"] = serialize(values)
        return update


def _retryable(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    return code in RETRYABLE_CODES or code in (
        "TransactionConflictException",
        "TransactionInProgressException",
    )
