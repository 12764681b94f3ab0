"""Page sizes of the list queries."""

from __future__ import annotations

from credit_memos.errors import ValidationError
from credit_memos.limits import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE


def page_size(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_PAGE_SIZE
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationError(f"must be between 1 and {MAX_PAGE_SIZE}", field=("limit",))
    return limit
