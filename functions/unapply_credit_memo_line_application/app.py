"""POST /credit-memo-line-applications/{applicationId}/actions/unapply: reverse a line-level application."""

from __future__ import annotations

from credit_memos.api.unapply import build_unapply_function

app, lambda_handler = build_unapply_function("InvoiceLine")
