"""Configuration, read once from the environment into a typed object."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from typing import get_args

from credit_memos.domain.documents import SettlementLevel


@dataclass(frozen=True)
class Settings:
    table_name: str
    credit_application_level: SettlementLevel
    dynamodb_endpoint_url: str | None
    idempotency_ttl_hours: int
    region: str
    # Bounded internal retries of optimistic-concurrency conflicts (spec section 4).
    max_conflict_retries: int

    @staticmethod
    def from_environment() -> Settings:
        level = os.environ.get("CREDIT_APPLICATION_LEVEL", "Invoice")
        if level not in get_args(SettlementLevel):
            raise RuntimeError(f"CREDIT_APPLICATION_LEVEL must be Invoice or InvoiceLine, not {level!r}")
        ttl_hours = int(os.environ.get("IDEMPOTENCY_TTL_HOURS", "48"))
        if ttl_hours < 24:
            raise RuntimeError("IDEMPOTENCY_TTL_HOURS must be at least 24")
        return Settings(
            table_name=os.environ.get("TABLE_NAME", "credit-memos"),
            credit_application_level=level,  # type: ignore[arg-type]
            dynamodb_endpoint_url=os.environ.get("DYNAMODB_ENDPOINT_URL") or None,
            idempotency_ttl_hours=ttl_hours,
            region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
            max_conflict_retries=int(os.environ.get("MAX_CONFLICT_RETRIES", "12")),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_environment()
