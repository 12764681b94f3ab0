"""The base of every view: JSON names in camelCase, the body as sent, and the API's JSON text."""

import json
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from credit_memos.money import format_amount

Money = Annotated[str, Field(examples=["120.00"])]
CREATED_BY = (
    "Who did it: the caller's IAM identity (userArn, else caller, else accountId), a direct "
    "invocation's actor or lambda:<function name>, or local; null on records written before."
)

# Made once: ``json.dumps`` with options builds a new encoder per call.
_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def json_text(body: Any) -> str:
    """A body as the API sends it: compact JSON, non-ASCII characters as they are (UTF-8)."""
    return _JSON.encode(body)


def copied(source: object, *names: str) -> dict[str, Any]:
    """The named attributes of a domain object: a view names its fields as the domain does."""
    return {name: getattr(source, name) for name in names}


def amounts(source: object, currency: str, *names: str) -> dict[str, str]:
    """The named amounts of a domain object, written as a response writes them in ``currency``."""
    return {name: format_amount(getattr(source, name), currency) for name in names}


class View(BaseModel):
    # Fields are named as the domain names them; the JSON names are their camelCase aliases.
    # defer_build: a model's serializer is built on first use, not at import (cold start).
    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        serialize_by_alias=True,
        defer_build=True,
        frozen=True,
    )

    def body(self) -> dict[str, Any]:
        """The JSON body: what was set, as JSON-ready values."""
        return self.model_dump(mode="json", exclude_unset=True)
