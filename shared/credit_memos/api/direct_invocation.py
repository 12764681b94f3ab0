"""Direct invocation (spec section 5): a JSON object in, the HTTP API's body out, errors raised by name."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from credit_memos.api.actor import acting_as, direct_actor
from credit_memos.api.error_responses import validation_details
from credit_memos.api.errors import BadRequest, error_body
from credit_memos.api.execution import checked_id
from credit_memos.api.fields import IDEMPOTENCY_KEY_PATTERN
from credit_memos.api.observability import current_request, logger
from credit_memos.errors import DomainError, InternalError, ValidationError
from credit_memos.limits import MAX_IDEMPOTENCY_KEY_LENGTH
from credit_memos.usecases import Outcome

DirectHandler = Callable[[dict[str, Any]], Outcome]
_KEY_RE = re.compile(IDEMPOTENCY_KEY_PATTERN)


def invoke_directly(direct: DirectHandler, event: Any, context: Any = None) -> Any:
    """``direct``'s answer to a payload; a problem is raised as the exception named after its errorCode."""
    if not isinstance(event, dict):
        raise BadRequest("a direct invocation takes a JSON object")
    payload = dict(event)
    try:
        actor = current_request().actor = direct_actor(payload, context)
        with acting_as(actor):
            result = direct(payload)
    except PydanticValidationError as error:
        problems = "; ".join(f"{d['field']}: {d['message']}" for d in validation_details(error.errors()))
        raise ValidationError(f"the request is not valid ({problems})"[:1000]) from None
    except DomainError as error:
        if error.field is None:
            raise
        # Step Functions sees only the class name and the message: the message names the field.
        named = type(error)(error_body(error)["message"])
        named.replayed = error.replayed
        raise named from None
    except Exception:
        logger.exception("unexpected error")
        raise InternalError("internal error") from None
    return result.body


def pop_id(payload: dict[str, Any], name: str, what: str) -> str:
    """The id field ``name`` taken out of the payload (``what`` names it in a NotFound)."""
    value = payload.pop(name, None)
    if not isinstance(value, str) or not value:
        raise ValidationError("is required", field=(name,))
    return checked_id(value, what)


def pop_dry_run(payload: dict[str, Any]) -> bool:
    """The payload's ``dryRun`` (the HTTP query parameter's twin), taken out of it."""
    value = payload.pop("dryRun", False)
    if not isinstance(value, bool):
        raise ValidationError("must be true or false", field=("dryRun",))
    return value


def pop_idempotency_key(payload: dict[str, Any]) -> str | None:
    """The payload's ``idempotencyKey``, taken out of it and checked as the HTTP header is."""
    value = payload.pop("idempotencyKey", None)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError("must be a string", field=("idempotencyKey",))
    if not _KEY_RE.fullmatch(value):
        raise ValidationError(
            f"must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters", field=("Idempotency-Key",)
        )
    return value
