"""Every limit of the service, defined once.

Request models (pydantic constraints and so the OpenAPI document), the domain rules, the
use cases and the README's limits table (tests/template/test_readme.py checks it) all read
these names; none of them repeats a number.
"""

from __future__ import annotations

from decimal import Decimal

# Amounts, and documents' totals, are below this in absolute value (spec sections 1 and 6).
MAX_ABS_AMOUNT = Decimal(10) ** 15
# Lines of one invoice or credit memo (and charges / invoice lines of one request).
MAX_LINES = 300
# Taxes of one memo charge.
MAX_TAXES_PER_LINE = 5
# One DynamoDB transaction holds 100 items; every request is one transaction. An apply writes
# the memo's header + N invoice headers + N application entries + the idempotency record + the
# outbox item, and each chunk of lines (adapters.dynamodb.line_chunks.LINES_PER_CHUNK lines) whose
# balances it changes (docs/design.md "Table design"). The target limits keep an invoice-level
# apply and a 300-line memo onto a 300-line invoice within it; a request that would still change
# more items (e.g. line-level applies spreading over many 300-line invoices at once) is refused
# with a 422 before anything is written (MAX_TRANSACTION_ITEMS).
MAX_APPLY_TARGETS = 25
MAX_LINE_APPLY_TARGETS = 50
MAX_TRANSACTION_ITEMS = 100
# List pages.
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
MAX_TOKEN_LENGTH = 2048
# Idempotency keys: 1 to 255 visible ASCII characters.
MAX_IDEMPOTENCY_KEY_LENGTH = 255
# Text fields (characters).
MAX_SHORT_TEXT = 64  # tax codes and names
MAX_ID_TEXT = 128  # product ids, ids
MAX_TEXT = 255  # descriptions of lines and applications, product names, references
MAX_LONG_TEXT = 1000  # a memo's or a credit's description
MAX_PAYMENT_REFERENCE = 128  # a payment's reference (spec section 8), unique per invoice
MAX_REFUND_REFERENCE = 128  # a refund's reference (spec section 10), unique per memo
MAX_REFUND_METHOD = 64  # how a refund was paid (ACH, card, cheque)
# A direct invocation's actor (createdBy): printable ASCII characters (an IAM ARN is at most 2048).
MAX_ACTOR_LENGTH = 2048
# Request bodies.
MAX_BODY_BYTES = 1_000_000
MAX_JSON_DEPTH = 32
# Settlement (Step Functions): pairs applied by one execution, documents read while planning.
MAX_PLAN_ITEMS = 100
MAX_SETTLEMENT_DOCUMENTS = 5000
MAX_SETTLEMENT_MEMO_IDS = 100
MAX_SETTLEMENT_EXCLUDED_INVOICES = 100
# Invoices of one write-off request (spec section 10), each written off in its own transaction.
MAX_WRITE_OFF_INVOICES = 100

# The limits table of docs/reference.md (python -m infra.readme writes it from these; a test keeps it
# in sync).
DESCRIBED: tuple[tuple[str, object], ...] = (
    ("lines per invoice or credit memo (and per credit or conversion request)", MAX_LINES),
    ("taxes per memo charge", MAX_TAXES_PER_LINE),
    ("invoices per apply request", MAX_APPLY_TARGETS),
    ("invoice lines per memo-line apply request", MAX_LINE_APPLY_TARGETS),
    (
        "stored items one request changes (each document's header, each chunk of its lines that "
        "changes, each application entry; more is a 422)",
        MAX_TRANSACTION_ITEMS,
    ),
    ("amount, line or document total (absolute value, exclusive)", f"10^{MAX_ABS_AMOUNT.adjusted()}"),
    ("list page size (`limit`), default", f"1 to {MAX_PAGE_SIZE}, {DEFAULT_PAGE_SIZE}"),
    ("`nextToken` length", MAX_TOKEN_LENGTH),
    ("`Idempotency-Key`: visible ASCII characters", f"1 to {MAX_IDEMPOTENCY_KEY_LENGTH}"),
    ("tax codes and names (characters)", MAX_SHORT_TEXT),
    ("product ids (characters)", MAX_ID_TEXT),
    ("product names, line and application descriptions, references (characters)", MAX_TEXT),
    ("memo and credit descriptions (characters)", MAX_LONG_TEXT),
    (
        "payment reference (characters; one unreversed payment per reference and invoice)",
        f"1 to {MAX_PAYMENT_REFERENCE}",
    ),
    (
        "refund reference (characters; one unreversed refund per reference and memo), method",
        f"1 to {MAX_REFUND_REFERENCE}, 1 to {MAX_REFUND_METHOD}",
    ),
    ("direct invocation `actor`: printable ASCII characters", f"1 to {MAX_ACTOR_LENGTH}"),
    ("request body (bytes)", f"{MAX_BODY_BYTES:,}"),
    ("request body nesting (levels)", MAX_JSON_DEPTH),
    ("applies per settlement execution", MAX_PLAN_ITEMS),
    ("invoices per write-off request", MAX_WRITE_OFF_INVOICES),
)
