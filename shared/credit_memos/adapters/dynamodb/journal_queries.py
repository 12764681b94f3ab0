"""The journal's reads: entries by date (the date shards merged, or one account's index partition)
and the balances frozen when a period closes (docs/design.md "The books")."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from credit_memos.adapters.dynamodb.attribute_codec import deserialize, serialize
from credit_memos.adapters.dynamodb.errors import translate
from credit_memos.adapters.dynamodb.journal_items import balances_from_item, balances_item, entry_from_item
from credit_memos.adapters.dynamodb.keys import (
    BY_ACCOUNT_INDEX,
    JOURNAL_SHARDS,
    account_journal_partition,
    balances_key,
    balances_ready_key,
    journal_partition,
)
from credit_memos.domain.journal import Balances
from credit_memos.errors import ValidationError
from credit_memos.limits import MAX_TOKEN_LENGTH
from credit_memos.ports import Page

# Past every sort key of a day (``{date}#{recordedAt}#{id}``).
_END_OF_DAY = "#~"


class JournalQueries:
    """Mixed into the repository: ``_client``, ``_table`` and ``_sleep`` are its."""

    _client: Any
    _table: str

    def _batch_get(self, keys: list[dict[str, str]], consistent: bool) -> list[dict[str, Any]]:
        raise NotImplementedError  # IndexQueries'

    def list_journal(
        self,
        *,
        first_day: str,
        last_day: str,
        billing_account_id: str | None,
        limit: int,
        next_token: str | None,
    ) -> Page:
        query = f"{first_day}|{last_day}|{billing_account_id or ''}"
        positions = _decode(next_token, query)
        if billing_account_id is not None:
            shards = {"a": account_journal_partition(billing_account_id)}
            per_shard = limit
        else:
            shards = {f"{s:02d}": journal_partition(s) for s in range(JOURNAL_SHARDS)}
            # Each shard holds about 1/JOURNAL_SHARDS of a range: read a little more than that.
            per_shard = max(4, 2 * -(-limit // JOURNAL_SHARDS))
        fetched: list[tuple[str, str, dict[str, Any]]] = []
        bound: str | None = None  # the entries past it may still come from a shard not read that far
        more: set[str] = set()
        for name, partition in shards.items():
            after = positions.get(name, "")
            if after == "~":
                continue  # that shard is done
            items, has_more = self._journal_query(
                partition, name == "a", first_day, last_day, after, per_shard
            )
            fetched += [(item["sk"], name, item) for item in items]
            if has_more:
                more.add(name)
                last = items[-1]["sk"] if items else after
                bound = last if bound is None else min(bound, last)
        fetched.sort(key=lambda found: found[0])
        page = [f for f in fetched if bound is None or f[0] <= bound][:limit]
        for sk, name, _ in page:
            positions[name] = sk
        for name in shards:
            taken_all = all(f[0] <= positions.get(name, "") for f in fetched if f[1] == name)
            if name not in more and taken_all:
                positions[name] = "~"
        done = all(positions.get(name) == "~" for name in shards)
        token = None if done else _encode(query, positions)
        return Page([entry_from_item(item) for _, _, item in page], token)

    def _journal_query(
        self, partition: str, by_account: bool, first_day: str, last_day: str, after: str, limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        pk, sk = (BY_ACCOUNT_INDEX.pk, BY_ACCOUNT_INDEX.sk) if by_account else ("pk", "sk")
        lower = f"{after}~" if after else first_day  # strictly after the position: a key never ends in "~"
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#pk = :pk AND #sk BETWEEN :lo AND :hi",
            "ExpressionAttributeNames": {"#pk": pk, "#sk": sk},
            "ExpressionAttributeValues": {
                ":pk": {"S": partition},
                ":lo": {"S": lower},
                ":hi": {"S": last_day + _END_OF_DAY},
            },
            "Limit": limit,
        }
        if by_account:
            request["IndexName"] = BY_ACCOUNT_INDEX.name
        try:
            response = self._client.query(**request)
        except (ClientError, BotoCoreError) as error:
            raise translate(error) from error
        items = [deserialize(item) for item in response.get("Items", [])]
        if by_account:
            for item in items:
                item["sk"] = item[BY_ACCOUNT_INDEX.sk]  # the same sort key as the table's
        return items, "LastEvaluatedKey" in response

    def read_period_balances(
        self, period: str, version: int, currency: str, billing_account_id: str | None
    ) -> Balances | None:
        keys = [balances_ready_key(period), balances_key(period, currency, billing_account_id)]
        found = {d["sk"]: d for d in self._get(keys)}
        ready = found.get("READY")
        if ready is None or int(ready["period_version"]) != version:
            return None
        held = found.get(keys[1]["sk"])
        return balances_from_item(held) if held is not None else {}

    def read_all_period_balances(
        self, period: str, version: int
    ) -> dict[tuple[str, str | None], Balances] | None:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": balances_ready_key(period)["pk"]}},
        }
        items: list[dict[str, Any]] = []
        try:
            while True:
                response = self._client.query(**request)
                items += [deserialize(item) for item in response.get("Items", [])]
                if "LastEvaluatedKey" not in response:
                    break
                request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        except (ClientError, BotoCoreError) as error:
            raise translate(error) from error
        ready = next((item for item in items if item["sk"] == "READY"), None)
        if ready is None or int(ready["period_version"]) != version:
            return None
        frozen: dict[tuple[str, str | None], Balances] = {}
        for item in items:
            if item["sk"] != "READY":
                currency, _, account = item["sk"].partition("#")
                frozen[(currency, None if account == "*" else account)] = balances_from_item(item)
        return frozen

    def write_period_balances(
        self, period: str, version: int, balances: dict[tuple[str, str | None], Balances]
    ) -> None:
        items = [balances_item(period, currency, account, b) for (currency, account), b in balances.items()]
        # The marker last: until it names the period record's version, readers do not use these.
        # One PutItem each (no BatchWriteItem: no function may hold a write that can delete).
        items.append(
            balances_ready_key(period) | {"entity": "PeriodBalancesReady", "period_version": version}
        )
        try:
            for item in items:
                self._client.put_item(TableName=self._table, Item=serialize(item))
        except (ClientError, BotoCoreError) as error:
            raise translate(error) from error

    def _get(self, keys: list[dict[str, str]]) -> list[dict[str, Any]]:
        try:
            return self._batch_get(keys, True)
        except (ClientError, BotoCoreError) as error:
            raise translate(error) from error


def _encode(query: str, positions: dict[str, str]) -> str:
    raw = json.dumps({"q": query, "s": positions}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(token: str | None, query: str) -> dict[str, str]:
    if token is None:
        return {}
    invalid = ValidationError("is not valid for this query", field=("next_token",))
    if len(token) > MAX_TOKEN_LENGTH:
        raise invalid
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise invalid from None
    if not isinstance(data, dict) or data.get("q") != query or not isinstance(data.get("s"), dict):
        raise invalid
    positions = data["s"]
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in positions.items()):
        raise invalid
    return positions
