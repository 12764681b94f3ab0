"""Per-container objects, built on first use (not at import) and then reused.

Under SnapStart they are built before the snapshot instead (:func:`warm`, a before-snapshot hook),
so that every restored environment starts with its settings read and its clients created.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from credit_memos import snapstart
from credit_memos.adapters.dynamodb import DynamoDbRepository, create_client
from credit_memos.service import CreditMemoService
from credit_memos.settings import get_settings


@lru_cache(maxsize=1)
def get_dynamodb_client() -> Any:
    settings = get_settings()
    return create_client(settings.dynamodb_endpoint_url, settings.region)


@lru_cache(maxsize=1)
def get_service() -> CreditMemoService:
    settings = get_settings()
    return CreditMemoService(DynamoDbRepository(get_dynamodb_client(), settings.table_name), settings)


@snapstart.before_snapshot
def warm() -> None:
    """Read the settings and create the clients and the service (what init should leave behind)."""
    get_service()


def reset() -> None:
    """Forget cached settings and clients (tests change the environment between cases)."""
    get_settings.cache_clear()
    get_dynamodb_client.cache_clear()
    get_service.cache_clear()
