"""POST /credit-memo-applications/{applicationId}/actions/unapply: reverse an invoice-level application."""

from __future__ import annotations

from credit_memos.api.unapply import build_unapply_function

app, lambda_handler = build_unapply_function("Invoice")
