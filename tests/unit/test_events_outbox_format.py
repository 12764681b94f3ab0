"""The outbox attribute: JSON text, compressed when long; read back from the table and from Lambda's
stream records (binary base64-encoded) alike."""

from __future__ import annotations

import base64
import json
import zlib

import pytest
from credit_memos.adapters.dynamodb.attribute_codec import deserialize, serialize
from credit_memos.adapters.outbox import (
    OUTBOX_COMPRESS_OVER,
    MalformedOutbox,
    decode_outbox,
    encode_outbox,
    stream_outbox,
)
from credit_memos.domain.events import DomainEvent


def event(number: int, description: str = "") -> DomainEvent:
    detail = {"eventId": f"evt_{number}", "creditMemo": {"id": "cm_1", "description": description}}
    return DomainEvent(event_id=f"evt_{number}", detail_type="CreditApplied", detail=detail)


def as_dicts(events: list[DomainEvent]) -> list[dict[str, object]]:
    return [{"id": e.event_id, "detailType": e.detail_type, "detail": e.detail} for e in events]


def test_a_short_list_stays_json_text() -> None:
    events = [event(1)]
    value = encode_outbox(events)
    assert isinstance(value, str)
    assert json.loads(value) == as_dicts(events)
    assert [e.detail for e in decode_outbox(value)] == [e.detail for e in events]


def test_a_long_list_is_stored_compressed_and_reads_back_the_same() -> None:
    events = [event(1, "x" * 300), event(2, "x" * 300), event(3, "naïve 😀")]
    assert len(json.dumps(as_dicts(events))) > OUTBOX_COMPRESS_OVER
    value = encode_outbox(events)
    assert isinstance(value, bytes)
    assert json.loads(zlib.decompress(value)) == as_dicts(events)
    text_size = len(json.dumps(as_dicts(events), separators=(",", ":")))
    assert len(value) < text_size / 2
    # through the table's item encoding (binary attribute) and back
    stored = deserialize(serialize({"outbox": value}))["outbox"]
    assert [(e.event_id, e.detail) for e in decode_outbox(stored)] == [(e.event_id, e.detail) for e in events]


def test_stream_images_give_the_value_lambda_encoded() -> None:
    compressed = encode_outbox([event(1, "y" * 900)])
    assert isinstance(compressed, bytes)
    lambda_image = {"pk": {"S": "OUTBOX#evt_1"}, "outbox": {"B": base64.b64encode(compressed).decode()}}
    assert stream_outbox(lambda_image) == compressed
    assert stream_outbox({"outbox": {"S": "[]"}}) == "[]"
    assert stream_outbox({"pk": {"S": "MEMO#cm_1"}}) is None
    with pytest.raises(MalformedOutbox):
        stream_outbox({"outbox": {"B": "not base64!"}})
    with pytest.raises(MalformedOutbox):
        stream_outbox({"outbox": {"N": "1"}})


@pytest.mark.parametrize("value", [b"not zlib", zlib.compress(b"\xff\xfe"), zlib.compress(b"{}"), 12])
def test_what_is_not_an_outbox_is_malformed(value: object) -> None:
    with pytest.raises(MalformedOutbox):
        decode_outbox(value)
