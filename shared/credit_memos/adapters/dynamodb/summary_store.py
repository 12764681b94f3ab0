"""The account summary's items (docs/design.md "Account summary"): written by the stream consumer
(SummarizeAccountsFunction), read by ReadAccountSummaryFunction.

Two kinds of item, neither on any index:

- per invoice or memo, its contribution (``contribution_key``): account, currency, the document
  version last applied and what that version contributed (``domain.summary.contribution_of``);
- per billing account, its totals (``summary_key``): per currency ``open_credit_<CCY>``,
  ``open_receivable_<CCY>``, ``posted_memo_count_<CCY>``, ``open_invoice_count_<CCY>``, the set
  ``currencies``, and ``as_of``.

One document change is applied as one TransactWriteItems: the contribution replaced, conditional
on the version that was read (or on its absence), and each affected totals item updated with
``ADD`` of the difference. Applying is idempotent by the document's version (an older or repeated
change is skipped, ``domain.summary.is_newer``), so replays and out-of-order stream records never
count twice. The write path of the service never touches these items.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from credit_memos.adapters.dynamodb.errors import RETRYABLE_CODES
from credit_memos.adapters.dynamodb.items import deserialize, serialize
from credit_memos.adapters.dynamodb.keys import contribution_key, summary_key
from credit_memos.domain.summary import (
    SUMMARIZED_ENTITIES,
    AccountTotals,
    Amounts,
    Contribution,
    DocumentState,
    contribution_of,
    deltas,
    is_newer,
)

CONTRIBUTION_ENTITY = "SummaryContribution"
TOTALS_ENTITY = "AccountSummary"
# Attempts of one change before it is reported failed (the stream then delivers it again).
MAX_APPLY_ATTEMPTS = 8
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

    def stored_contribution(self, document_key: str) -> Contribution | None:
        response = self._client.get_item(
            TableName=self._table, Key=serialize(contribution_key(document_key)), ConsistentRead=True
        )
        item = response.get("Item")
        return _contribution_from_item(deserialize(item)) if item else None

    # ------------------------------------------------------------ writes

    def apply(self, state: DocumentState) -> bool:
        """Apply one document state; False if it was skipped (not newer than what is applied).

        Raises the client's error when it still fails after ``max_attempts`` (throttling, conflicts):
        the caller reports the record failed and the stream delivers it again.
        """
        advance_as_of = True
        for attempt in range(1, self._max_attempts + 1):
            stored = self.stored_contribution(state.document_key)
            if not is_newer(state, stored):
                return False
            try:
                self._client.transact_write_items(
                    TransactItems=self._transaction(state, stored, advance_as_of)
                )
                return True
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                    if attempt == self._max_attempts or not _retryable(error):
                        raise
                else:
                    reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
                    if any(code == "ConditionalCheckFailed" for code in reasons[1:]):
                        # A newer change of this account was applied first (another shard):
                        # count this one and leave as_of where it is.
                        advance_as_of = False
                    elif reasons[:1] != ["ConditionalCheckFailed"] and attempt == self._max_attempts:
                        raise
                    # reasons[0] failed: another applier replaced the contribution; re-read.
            self._sleep(random.uniform(0, min(0.5, 0.01 * 2**attempt)))  # noqa: S311 - jitter
        raise RuntimeError(f"summary change of {state.document_key} v{state.version} not applied")

    def _transaction(
        self, state: DocumentState, stored: Contribution | None, advance_as_of: bool
    ) -> list[dict[str, Any]]:
        new = contribution_of(state)
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
        items: list[dict[str, Any]] = [{"Put": put}]
        for delta in deltas(stored, new):
            items.append(
                {
                    "Update": self._totals_update(
                        delta.billing_account_id,
                        delta.currency,
                        delta.amounts,
                        state.changed_at,
                        advance_as_of,
                    )
                }
            )
        return items

    def _totals_update(
        self, account: str, currency: str, amounts: Amounts, changed_at: str, advance_as_of: bool
    ) -> dict[str, Any]:
        names = {f"#{i}": _attribute(field, currency) for i, field in enumerate(_FIELDS)}
        values: dict[str, Any] = {f":{i}": getattr(amounts, field) for i, field in enumerate(_FIELDS)} | {
            ":currency": {currency},
            ":account": account,
            ":entity": TOTALS_ENTITY,
        }
        sets = ["entity = :entity", "billing_account_id = :account"]
        update: dict[str, Any] = {"TableName": self._table, "Key": serialize(summary_key(account))}
        if advance_as_of:
            sets.append("as_of = :as_of")
            values[":as_of"] = changed_at
            update["ConditionExpression"] = "attribute_not_exists(as_of) OR as_of <= :as_of"
        adds = ", ".join(f"#{i} :{i}" for i in range(len(_FIELDS))) + ", currencies :currency"
        update["UpdateExpression"] = f"SET {', '.join(sets)} ADD {adds}"
        update["ExpressionAttributeNames"] = names
        update["ExpressionAttributeValues"] = serialize(values)
        return update


def _retryable(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    return code in RETRYABLE_CODES or code in (
        "TransactionConflictException",
        "TransactionInProgressException",
    )
