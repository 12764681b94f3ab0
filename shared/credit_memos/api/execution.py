"""Carrying out a request's command and answering with its outcome."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from aws_lambda_powertools.metrics import MetricUnit

from credit_memos.api.actor import current_actor
from credit_memos.api.error_responses import REPLAY_HEADER
from credit_memos.api.fields import ID_RE
from credit_memos.api.observability import current_request, metrics
from credit_memos.api.routing import Query, Response
from credit_memos.api.runtime import get_access_policy, get_service
from credit_memos.commands import Command
from credit_memos.errors import NotFound
from credit_memos.usecases import Outcome
from credit_memos.views import json_text

DRY_RUN_HEADER = "Dry-Run"
# The query parameter of every POST that creates or moves money (spec section 10).
DryRun = Annotated[
    bool,
    Query(
        alias="dryRun",
        description="true: answer what the call would answer now (200; the ids and documentNumber "
        "of what it would create null), with the header Dry-Run: true, and write nothing",
    ),
]


def execute(command: Command, idempotency_key: str | None = None, dry_run: bool = False) -> Outcome:
    """Carry out one command as the current actor, who is who the access policy says they are
    (a ``dry_run`` only says what it would do); a first success (not a replay, not a dry run)
    emits the command's business metric. The key was checked where the request was read."""
    actor = current_actor()
    command = dataclasses.replace(command, actor=actor, caller=get_access_policy().caller(actor))
    request = current_request()
    request.operation = command.operation
    request.dry_run = dry_run
    outcome = get_service().execute(command, idempotency_key, dry_run=dry_run)
    request.replayed = outcome.replayed
    if command.metric is not None and not outcome.replayed and not outcome.dry_run:
        metrics.add_metric(name=command.metric, unit=MetricUnit.Count, value=1)
    return outcome


def respond(outcome: Outcome) -> Response[str]:
    """The HTTP response of an outcome (a replay and a dry run say so in a header)."""
    headers = {REPLAY_HEADER: "true"} if outcome.replayed else {}
    if outcome.dry_run:
        headers[DRY_RUN_HEADER] = "true"
    text = outcome.text if outcome.text is not None else json_text(outcome.body)
    return Response(outcome.status_code, "application/json", text, headers=headers)


def checked_id(value: str, what: str) -> str:
    """An id from a path or payload. Ids are opaque, but one that could never have been issued
    cannot exist: NotFound."""
    if not ID_RE.match(value):
        raise NotFound(f"{what} {value[:64]!r} does not exist")
    return value
