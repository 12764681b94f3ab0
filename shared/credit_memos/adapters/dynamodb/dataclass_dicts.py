"""Documents as plain dicts: ``dataclasses.asdict``'s result without its per-value deep copy."""

from __future__ import annotations

import copy
import dataclasses
from decimal import Decimal
from typing import Any

_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
_IMMUTABLE_KINDS = frozenset((str, int, Decimal, bool, float, type(None)))


def as_dict(value: Any) -> Any:
    """``dataclasses.asdict`` without its per-value ``copy.deepcopy`` (the same result).

    Documents hold str, Decimal, int and None (immutable, so shared rather than copied), lists
    and nested dataclasses; anything else is still deep-copied as ``asdict`` would.
    """
    kind = type(value)
    if kind in _IMMUTABLE_KINDS:
        return value
    names = _FIELD_NAMES.get(kind)
    if names is None:
        if kind is list:
            return [as_dict(v) for v in value]
        if kind is dict:
            return {as_dict(k): as_dict(v) for k, v in value.items()}
        if kind is tuple:
            return tuple(as_dict(v) for v in value)
        if not dataclasses.is_dataclass(value) or isinstance(value, type):
            return copy.deepcopy(value)
        names = _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(value))
    return fields_as_dict(value, names)


def fields_as_dict(value: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """``as_dict`` of the named fields (immutable values taken as they are, without a call)."""
    data = {}
    for name in names:
        field = getattr(value, name)
        data[name] = field if type(field) in _IMMUTABLE_KINDS else as_dict(field)
    return data
