"""Per-container objects, built on first use (not at import) and then reused.

Under SnapStart they are built before the snapshot instead (:func:`warm`, a before-snapshot hook),
so that every restored environment starts with its settings read and its clients created.
Tests and benchmarks that need another repository or client build a service with
``build_service`` and install it with ``use_service``; nothing reaches into private state.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from typing import Any

import credit_memos
from credit_memos import commands, snapstart, usecases
from credit_memos.access import CLOSED_POLICY, OPEN_POLICY, AccessPolicy
from credit_memos.adapters.dynamodb.client import create_client
from credit_memos.adapters.dynamodb.keys import INDEXES, LEGACY_INDEXES
from credit_memos.adapters.dynamodb.repository import DynamoDbRepository
from credit_memos.ports import Repository
from credit_memos.settings import get_settings
from credit_memos.usecases import CreditMemoService
from credit_memos.usecases.service import utc_now
from credit_memos.views import View

_installed: CreditMemoService | None = None


@lru_cache(maxsize=1)
def get_dynamodb_client() -> Any:
    """The container's client, created once (on the first request, or before a SnapStart snapshot)."""
    settings = get_settings()
    return credit_memos.build_long_lived(
        lambda: create_client(settings.dynamodb_endpoint_url, settings.region)
    )


def build_service(
    *,
    client: Any | None = None,
    wrap: Callable[[Repository], Repository] | None = None,
    clock: Callable[[], datetime] = utc_now,
    sleep: Callable[[float], None] = time.sleep,
) -> CreditMemoService:
    """The service on this container's settings; ``client`` and ``wrap`` replace or decorate storage."""
    settings = get_settings()
    repository: Repository = DynamoDbRepository(
        client if client is not None else get_dynamodb_client(),
        settings.table_name,
        clock=clock,
        sleep=sleep,
        indexes=LEGACY_INDEXES if settings.read_legacy_indexes else INDEXES,
    )
    if wrap is not None:
        repository = wrap(repository)
    return CreditMemoService(repository, settings, clock=clock, sleep=sleep)


@lru_cache(maxsize=1)
def get_access_policy() -> AccessPolicy:
    """The container's access policy, read once; a named file that cannot be read or is not a
    policy refuses every caller (a deployed stack never runs without its policy)."""
    path = get_settings().access_policy_file
    if path is None:
        return OPEN_POLICY
    try:
        return AccessPolicy.load(path)
    except ValueError as error:
        logging.getLogger(__name__).error("refusing every request: %s", error)
        return CLOSED_POLICY


@lru_cache(maxsize=1)
def _default_service() -> CreditMemoService:
    return build_service()


def get_service() -> CreditMemoService:
    return _installed if _installed is not None else _default_service()


def install(service: CreditMemoService | None) -> None:
    """Handlers use ``service`` from now on (tests, benchmarks); ``None`` goes back to the default."""
    global _installed
    _installed = service


@contextmanager
def use_service(service: CreditMemoService) -> Iterator[CreditMemoService]:
    """Handlers use ``service`` inside the block."""
    previous = _installed
    install(service)
    try:
        yield service
    finally:
        install(previous)


@snapstart.before_snapshot
def warm() -> None:
    """Read the settings, create the clients and the service, import every use case and build the
    views' serializers (what init should leave behind: the use case modules are otherwise imported
    on a command's first use, the serializers built on a view's first use; each handler's router
    registers its own validators, ``HttpRouter.prepare``)."""
    get_service()
    usecases.load(commands.command_types())
    for view in _subclasses(View):  # the response models' serializers (deferred: built on first use)
        view.model_rebuild()


def _subclasses(cls: type[View]) -> list[type[View]]:
    found, pending = [], list(cls.__subclasses__())
    while pending:
        found.append(pending.pop())
        pending.extend(found[-1].__subclasses__())
    return found


def reset() -> None:
    """Forget cached settings, clients and any installed service (tests change the environment)."""
    install(None)
    get_settings.cache_clear()
    get_dynamodb_client.cache_clear()
    _default_service.cache_clear()
    get_access_policy.cache_clear()
    from credit_memos.api.documents import document_tools

    document_tools.cache_clear()
