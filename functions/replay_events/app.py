"""Replay the outbox: publish every event the table holds as not yet delivered (operator only).

Invoked directly (``aws lambda invoke --function-name <ReplayEventsFunctionName>:live``), never by
the API. ``{}`` publishes and confirms every pending write in per-document sequence order;
``{"dryRun": true}`` only counts them. Returns ``{pending, writesPublished, eventsPublished,
alreadyConfirmed, held, failed, quarantined, complete}``; a non-empty ``failed`` means EventBridge
refused a write for now and the run stopped there, ``complete`` false that it stopped (refusal, or
a minute before its timeout): invoke again, it resumes from what is still pending. A write refused
for good is quarantined (``quarantined``) and its documents' later writes ``held``. The same as
``python -m infra.replay`` (docs/orchestration-and-events.md).
"""

from __future__ import annotations

from typing import Any

import credit_memos
from aws_lambda_powertools.metrics import MetricUnit
from credit_memos.adapters.outbox_replay import replay_with
from credit_memos.api import runtime
from credit_memos.api.observability import logger, metrics, tracer
from credit_memos.errors import ValidationError
from credit_memos.settings import get_settings
from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticError

# Room left to finish the write in flight and answer: the run stops there, the next one resumes.
STOP_BEFORE_TIMEOUT_MS = 60_000


class ReplayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    dryRun: bool = False


@logger.inject_lambda_context(log_event=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        request = ReplayRequest.model_validate(event or {})
    except PydanticError as error:
        raise ValidationError(f"the replay request is invalid: {error.errors()[0]['msg']}") from None
    client = runtime.get_dynamodb_client()
    report = replay_with(
        get_settings(),
        dynamodb_client=client,
        dry_run=request.dryRun,
        out_of_time=lambda: context.get_remaining_time_in_millis() < STOP_BEFORE_TIMEOUT_MS,
    )
    metrics.add_metric(name="EventsReplayed", unit=MetricUnit.Count, value=report.events_published)
    if report.quarantined:
        metrics.add_metric(
            name="OutboxWritesQuarantined", unit=MetricUnit.Count, value=len(report.quarantined)
        )
    logger.info("outbox replayed", extra=report.as_dict())
    return report.as_dict()


credit_memos.end_of_init()  # the collector as it was before init (credit_memos/__init__.py)
