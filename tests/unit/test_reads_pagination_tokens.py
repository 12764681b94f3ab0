"""Pagination tokens (adapters/dynamodb.py): opaque, bound to their query, garbage is a 422."""

from __future__ import annotations

import base64
import json

import pytest
from credit_memos.adapters.dynamodb.tokens import decode_token, encode_token
from credit_memos.api.errors import field_name, http_status
from credit_memos.errors import ValidationError

PARTITION = "ACCOUNT#acct-1#INVOICE"
LAST_KEY = {
    "pk": {"S": "INVOICE#inv_1"},
    "sk": {"S": "INVOICE"},
    "gsi1pk": {"S": PARTITION},
    "gsi1sk": {"S": "2026-11-25#inv_1"},
}


def _token(payload: object) -> str:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_round_trip() -> None:
    token = encode_token(LAST_KEY, PARTITION)
    assert "=" not in token and "INVOICE" not in token  # url-safe and opaque
    assert decode_token(token, PARTITION) == LAST_KEY


def test_token_of_another_query_is_rejected() -> None:
    token = encode_token(LAST_KEY, PARTITION)
    for other in ("ACCOUNT#acct-2#INVOICE", "ACCOUNT#acct-1#INVOICE#Posted", "ACCOUNT#acct-1#MEMO", ""):
        with pytest.raises(ValidationError) as caught:
            decode_token(token, other)
        assert caught.value.error_code == "VALIDATION_ERROR"
        assert field_name(caught.value.field) == "nextToken"


@pytest.mark.parametrize(
    "token",
    [
        "",
        "garbage",
        "!!!!",
        "%%%",
        "a" * 2049,
        _token(b"\xff\xfe\x00not json"),
        _token([PARTITION, LAST_KEY]),
        _token("just a string"),
        _token({"p": PARTITION}),
        _token({"p": PARTITION, "k": {}}),
        _token({"p": PARTITION, "k": []}),
        _token({"p": PARTITION, "k": "pk"}),
        _token({"k": LAST_KEY}),
        _token({"p": PARTITION, "k": {"pk": {"N": "1"}}}),
        _token({"p": PARTITION, "k": {"pk": {"S": 1}}}),
        _token({"p": PARTITION, "k": {"pk": {"S": "x", "N": "1"}}}),
        _token({"p": PARTITION, "k": {"pk": "INVOICE#inv_1"}}),
        _token({"p": PARTITION, "k": {"secret": {"S": "x"}}}),
        _token({"p": PARTITION, "k": {**LAST_KEY, "balance": {"S": "0"}}}),
    ],
)
def test_garbage_tokens_are_validation_errors(token: str) -> None:
    with pytest.raises(ValidationError) as caught:
        decode_token(token, PARTITION)
    assert http_status(caught.value) == 422


def test_oversized_but_valid_looking_token_is_rejected() -> None:
    key = {"pk": {"S": "x" * 3000}}
    with pytest.raises(ValidationError):
        decode_token(encode_token(key, PARTITION), PARTITION)
