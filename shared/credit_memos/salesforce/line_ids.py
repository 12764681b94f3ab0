"""Line ids on the Salesforce-compatible surface: ``{documentId}.{lineId}``.

Salesforce names a memo line or an invoice line by its own id alone; this service finds a line
through its document, so the surface takes both in one id (docs/salesforce.md "Ids").
"""

from __future__ import annotations

from credit_memos.errors import FieldPath, ValidationError

SEPARATOR = "."


def split_line_id(value: str, field: FieldPath) -> tuple[str, str]:
    """``("inv_1", "invl_2")`` from ``"inv_1.invl_2"``; any other form is a ValidationError."""
    document_id, separator, line_id = value.partition(SEPARATOR)
    if not separator or not document_id or not line_id or SEPARATOR in line_id:
        raise ValidationError(
            "a line is named {documentId}.{lineId} here (for example inv_1.invl_2)", field=field
        )
    return document_id, line_id


def is_line_id(value: str) -> bool:
    return SEPARATOR in value
