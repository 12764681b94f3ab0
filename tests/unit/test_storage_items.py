"""The warm path's shortcuts store and return exactly what the general encoders would."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from boto3.dynamodb.types import DYNAMODB_CONTEXT as BOTO3_CONTEXT
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from credit_memos.adapters.dynamodb.attribute_codec import DYNAMODB_CONTEXT, deserialize, serialize
from credit_memos.adapters.dynamodb.idempotency_items import idempotency_item
from credit_memos.adapters.dynamodb.item_size import estimated_size
from credit_memos.ports import IdempotencyRecord
from credit_memos.views import json_text

ITEM = {
    "pk": "MEMO#cm_1",
    "sk": "LINES#0000",
    "entity": "CreditMemoLines",
    "version": 3,
    "amount": Decimal("-12.50"),
    "big": Decimal("1E+20"),
    "nothing": None,
    "flag": True,
    "text": 'é "quoted" \\ \n \x7f 😀',
    "lines": [{"id": "cml_1", "amount": Decimal("0.01"), "taxes": [], "name": "naïve"}, {}],
    "versions": [1, 2, 3],
    "empty": {},
}


def test_items_serialize_and_deserialize_as_boto3_does() -> None:
    item = ITEM | {"zipped": b"\x00\xffbytes"}
    expected = {k: TypeSerializer().serialize(v) for k, v in item.items()}
    assert serialize(item) == expected
    read = deserialize(expected)
    boto3_read = {k: TypeDeserializer().deserialize(v) for k, v in expected.items()}
    # Binary comes back as bytes (boto3: its Binary wrapper, equal to the same bytes)
    assert read == boto3_read
    assert type(read["zipped"]) is bytes
    sets = {"names": {"a", "b"}, "numbers": {Decimal(1)}}
    assert deserialize(serialize(sets)) == sets  # the unusual types still go through boto3's


def test_numbers_follow_dynamodbs_context_as_boto3_defines_it() -> None:
    for attribute in ("prec", "Emin", "Emax", "rounding", "capitals", "clamp"):
        assert getattr(DYNAMODB_CONTEXT, attribute) == getattr(BOTO3_CONTEXT, attribute), attribute
    assert {t for t, on in DYNAMODB_CONTEXT.traps.items() if on} == {
        t for t, on in BOTO3_CONTEXT.traps.items() if on
    }


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), 1.5])
def test_numbers_dynamodb_refuses_are_refused(value: object) -> None:
    with pytest.raises(TypeError):
        serialize({"n": value})


def test_item_size_counts_the_item_as_json() -> None:
    """Top-level strings as UTF-8 bytes, top-level numbers as digits, the rest as JSON text."""
    size = 1
    for name, value in ITEM.items():
        if isinstance(value, str):
            length = len(value.encode()) + 2
        elif isinstance(value, int | Decimal) and not isinstance(value, bool):
            length = len(str(value)) + (2 if isinstance(value, Decimal) else 0)
        else:
            length = len(json.dumps(value, separators=(",", ":"), default=str))
        size += len(name) + length + 4
    assert estimated_size(ITEM) == size


@pytest.mark.parametrize(
    "body", [{"id": "cm_1", "amount": "1.00"}, {"description": "naïve 😀"}, {"description": "a\x7fb"}]
)
def test_stored_response_is_the_same_with_or_without_the_api_text(body: dict[str, str]) -> None:
    def record(text: str | None) -> IdempotencyRecord:
        return IdempotencyRecord("op", "key", "fp", 201, body, "2026-01-01T00:00:00", 1, body_json=text)

    stored = idempotency_item(record(None))
    assert idempotency_item(record(json_text(body))) == stored
    assert json.loads(stored["body"]) == body
