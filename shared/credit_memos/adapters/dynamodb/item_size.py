"""An item's size as DynamoDB counts it, estimated before a write (items over 400 KB are refused)."""

from __future__ import annotations

import json
from decimal import Decimal
from json.encoder import encode_basestring_ascii as _escaped
from typing import Any


def _size_of_value(value: Any) -> str:
    return "." * len(value) if isinstance(value, bytes | bytearray) else str(value)


_SIZE_JSON = json.JSONEncoder(separators=(",", ":"), default=_size_of_value)


def _json_length(value: Any) -> int:
    """``len(_SIZE_JSON.encode(value))``, counted without building the text for the shapes items
    hold (maps with string keys, lists, strings, Decimals, ints, None)."""
    kind = type(value)
    if kind is str:
        return len(_escaped(value))
    if kind is Decimal:
        return len(str(value)) + 2  # _size_of_value's text, quoted
    if kind is dict:
        length = 2 * len(value) + 1 if value else 2  # braces, colons and commas
        for key, inner in value.items():
            if type(key) is not str:
                return len(_SIZE_JSON.encode(value))
            length += len(_escaped(key)) + _json_length(inner)
        return length
    if kind is list:
        length = len(value) + 1 if value else 2  # brackets and commas
        for inner in value:
            length += _json_length(inner)
        return length
    if kind is int:
        return len(str(value))
    if value is None:
        return 4
    return len(_SIZE_JSON.encode(value))


def estimated_size(item: dict[str, Any]) -> int:
    """Bytes of the item as JSON (names + values; a number as its digits, binary as its raw bytes),
    an upper bound close to DynamoDB's own accounting.

    Top-level strings (a stored response body, the outbox) count their UTF-8 bytes without being
    encoded again as JSON (what DynamoDB counts; re-escaping a large body was the estimate's main
    cost), top-level numbers their digits; lists and maps are measured as JSON text.
    """
    # "name":value, per attribute, less the last comma, and the braces; the names' and the
    # top-level strings' lengths each summed in one call.
    size = 1 + 4 * len(item) + len("".join(item))
    strings = []
    for value in item.values():
        kind = type(value)
        if kind is str:
            strings.append(value)
            size += 2
        elif kind is Decimal:
            size += len(str(value)) + 2
        elif kind is int:
            size += len(str(value))
        elif kind is bytes or kind is bytearray:
            size += len(value) + 2
        else:
            size += _json_length(value)
    return size + len("".join(strings).encode())
