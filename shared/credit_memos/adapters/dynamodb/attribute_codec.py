"""DynamoDB attribute values <-> Python values, exactly as boto3's TypeSerializer and
TypeDeserializer convert them, without importing boto3 (a departure from the library kept for its
warm and cold-start gain: docs/design.md)."""

from __future__ import annotations

from decimal import Clamped, Context, Decimal, Inexact, Overflow, Rounded, Underflow
from functools import lru_cache
from typing import Any

# DynamoDB's numbers: 38 digits, exponents -130..125 (boto3.dynamodb.types.DYNAMODB_CONTEXT, the
# same context, which tests/unit compares). Defined here so that a handler never imports boto3.
DYNAMODB_CONTEXT = Context(
    Emin=-128, Emax=126, prec=38, traps=[Clamped, Overflow, Inexact, Rounded, Underflow]
)
_create_decimal = DYNAMODB_CONTEXT.create_decimal


@lru_cache(maxsize=1)
def _boto3_types() -> tuple[Any, Any]:
    """boto3's TypeSerializer and TypeDeserializer, for what the common types below do not cover
    (sets, and errors worded as boto3 words them); imported only then, off the cold start."""
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

    return TypeSerializer(), TypeDeserializer()


def _attribute(value: Any) -> dict[str, Any]:
    """boto3's TypeSerializer, with the common types first (the same output).

    Sets and anything unusual still go through TypeSerializer; numbers are checked as it checks
    them (exact within DynamoDB's 38 digits).
    """
    kind = type(value)
    if kind is str:
        return {"S": value}
    if kind is dict:
        return {"M": {k: {"S": v} if type(v) is str else _attribute(v) for k, v in value.items()}}
    if kind is list:
        return {"L": [{"S": v} if type(v) is str else _attribute(v) for v in value]}
    if kind is Decimal or kind is int:
        # TypeSerializer's number: exact within DynamoDB's 38 digits (its context traps the rest).
        number = str(_create_decimal(value))
        if number in ("Infinity", "NaN"):
            serialized: dict[str, Any] = _boto3_types()[0].serialize(value)  # raises its TypeError
            return serialized
        return {"N": number}
    if value is None:
        return {"NULL": True}
    if kind is bool:
        return {"BOOL": value}
    if kind is bytes or kind is bytearray:
        return {"B": value}
    unusual: dict[str, Any] = _boto3_types()[0].serialize(value)
    return unusual


def _value(attribute: dict[str, Any]) -> Any:
    """boto3's TypeDeserializer, with the common types first (the same output: like it, by the
    attribute's first type)."""
    for kind, inner in attribute.items():
        if kind == "S":
            return inner
        if kind == "N":
            return _create_decimal(inner)
        if kind == "M":
            return {k: _value(v) for k, v in inner.items()}
        if kind == "L":
            return [_value(v) for v in inner]
        if kind == "NULL":
            return None
        if kind == "BOOL":
            return inner
        if kind == "B":
            # TypeDeserializer gives a Binary; the only binary attribute (a stored response's
            # bodyZ) is read with bytes(), which takes either.
            return bytes(inner)
        break
    return _boto3_types()[1].deserialize(attribute)


def serialize(item: dict[str, Any]) -> dict[str, Any]:
    """An item as DynamoDB's wire format holds it."""
    return {k: {"S": v} if type(v) is str else _attribute(v) for k, v in item.items()}


def deserialize(item: dict[str, Any]) -> dict[str, Any]:
    """An item of DynamoDB's wire format as Python values (numbers as Decimal)."""
    return {k: _value(v) for k, v in item.items()}
