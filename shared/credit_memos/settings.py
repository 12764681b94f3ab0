"""Configuration, read once from the environment into a typed object."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import get_args

from credit_memos.domain.documents import SettlementLevel

_TRUE = {"1", "true", "t", "yes", "y", "on"}


@dataclass(frozen=True)
class Settings:
    """The configuration, read once from the environment."""

    table_name: str
    credit_application_level: SettlementLevel
    dynamodb_endpoint_url: str | None
    idempotency_ttl_hours: int
    region: str
    # Bounded internal retries of optimistic-concurrency conflicts (spec section 4).
    max_conflict_retries: int
    # The outbox publisher's bus (template: the publisher's EVENT_BUS_NAME) and a local endpoint.
    event_bus_name: str = "credit-memos"
    eventbridge_endpoint_url: str | None = None
    # Lists read the indexes GSI1/GSI2 (projection ALL) instead of GSI3/GSI4: only while a
    # deployed table migrates to the new indexes (docs/design.md "Migrating a deployed table").
    read_legacy_indexes: bool = False
    # The prefix of credit memo numbers (template parameter CreditMemoNumberPrefix): one series.
    number_prefix: str = "CM-"
    # The bound of a posting's retries once it lost the series to another posting.
    max_numbering_retries: int = 40
    # How long one request may spend retrying lost races (template Globals: RETRY_BUDGET_SECONDS,
    # kept below the functions' Timeout minus the SDK's read timeout; tests/template checks it).
    retry_budget_seconds: float = 8.0

    @staticmethod
    def from_environment(environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        level = environ.get("CREDIT_APPLICATION_LEVEL", "Invoice")
        if level not in get_args(SettlementLevel):
            raise RuntimeError(f"CREDIT_APPLICATION_LEVEL must be Invoice or InvoiceLine, not {level!r}")
        ttl_hours = int(environ.get("IDEMPOTENCY_TTL_HOURS", "48"))
        if ttl_hours < 24:
            raise RuntimeError("IDEMPOTENCY_TTL_HOURS must be at least 24")
        return Settings(
            table_name=environ.get("TABLE_NAME", "credit-memos"),
            credit_application_level=level,  # type: ignore[arg-type]
            dynamodb_endpoint_url=environ.get("DYNAMODB_ENDPOINT_URL") or None,
            idempotency_ttl_hours=ttl_hours,
            region=environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1",
            max_conflict_retries=int(environ.get("MAX_CONFLICT_RETRIES", "12")),
            event_bus_name=environ.get("EVENT_BUS_NAME") or "credit-memos",
            eventbridge_endpoint_url=environ.get("EVENTBRIDGE_ENDPOINT_URL") or None,
            read_legacy_indexes=environ.get("READ_LEGACY_INDEXES", "false").strip().lower() in _TRUE,
            max_numbering_retries=int(environ.get("MAX_NUMBERING_RETRIES", "40")),
            retry_budget_seconds=_positive_seconds(environ.get("RETRY_BUDGET_SECONDS", "8")),
            number_prefix=_number_prefix(environ.get("CREDIT_MEMO_NUMBER_PREFIX", "CM-")),
        )


def _positive_seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 600:
        raise RuntimeError(f"RETRY_BUDGET_SECONDS must be a number of seconds above 0, not {value!r}")
    return seconds


def _number_prefix(prefix: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9\-_/]{0,15}", prefix):
        raise RuntimeError("CREDIT_MEMO_NUMBER_PREFIX must be 1-16 letters, digits, -, _ or /")
    return prefix


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_environment()
