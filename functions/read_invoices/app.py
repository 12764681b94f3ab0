"""Read-only invoice routes: list, get, and application history."""

from __future__ import annotations

from credit_memos.api.reads import build_read_function

app, lambda_handler = build_read_function("Invoice")
