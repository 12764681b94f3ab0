"""Who is asking (spec section 7): the caller of the invocation being handled, recorded on every change."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from credit_memos.errors import ValidationError
from credit_memos.limits import MAX_ACTOR_LENGTH

# Set by the handler for one invocation; never read from a request body (request models forbid
# unknown fields).
_actor: ContextVar[str | None] = ContextVar("actor", default=None)
_ACTOR_RE = re.compile(rf"^[\x21-\x7e][\x20-\x7e]{{0,{MAX_ACTOR_LENGTH - 1}}}$")


def current_actor() -> str | None:
    return _actor.get()


def api_gateway_actor(event: dict[str, Any]) -> str | None:
    """The caller from API Gateway's request context: ``oauth:<client id>`` when a Cognito authorizer
    admitted an OAuth client (its token's ``client_id`` claim), else the IAM identity: userArn,
    caller, accountId."""
    context = event.get("requestContext") or {}
    claims = (context.get("authorizer") or {}).get("claims") or {}
    client_id = claims.get("client_id") if isinstance(claims, dict) else None
    if isinstance(client_id, str) and client_id:
        return f"oauth:{client_id}"
    identity = context.get("identity") or {}
    for name in ("userArn", "caller", "accountId"):
        value = identity.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def direct_actor(payload: dict[str, Any], context: Any) -> str | None:
    """A direct invocation's ``actor`` (taken out of the payload), else ``lambda:<function name>``."""
    value = payload.pop("actor", None)
    if value is not None:
        if not isinstance(value, str) or not _ACTOR_RE.fullmatch(value):
            raise ValidationError(
                f"must be 1 to {MAX_ACTOR_LENGTH} printable ASCII characters", field=("actor",)
            )
        return value
    name = getattr(context, "function_name", None)
    return f"lambda:{name}" if isinstance(name, str) and name else None


@contextmanager
def acting_as(actor: str | None) -> Iterator[None]:
    """``actor`` is the current actor inside the block."""
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)
