"""Helpers of the integration tier: a fresh table per module, calls through the real handlers, and
the contract's invariants (spec section 2) checked from what the API itself returns.

Concurrency note: the HTTP path of a handler is *not* safe to call from several threads of one
process. Powertools' ``APIGatewayRestResolver.resolve`` stores the current event on the class
(``BaseRouter.current_event``) and the route arguments on the resolver instance, so two threads
resolving at once can swap request bodies. Lambda never runs two invocations in one process, so
production is unaffected; in-process tests race through direct invocation (``call``), which does
not go through the resolver, and HTTP requests race from separate processes (``test_concurrency``).
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from credit_memos import limits
from credit_memos.api.errors import error_body, http_status
from credit_memos.errors import DomainError

from infra.local.create_tables import create_table
from infra.local.dynamodb_local import dynamodb_client
from tests.harness import Api, base_environment, environment, invoke, template

# ---------------------------------------------------------------- tables and environment


def require_real_engine(engine: Any) -> None:
    """These tests are about DynamoDB Local's behaviour; on the moto fallback they are skipped."""
    if getattr(engine, "engine", None) != "dynamodb-local":
        pytest.skip("needs DynamoDB Local (Java and npm); the session fell back to moto")


@contextmanager
def fresh_table(endpoint_url: str, prefix: str) -> Iterator[str]:
    """The template's table under a new name (so modules never see each other's data)."""
    client = dynamodb_client(endpoint_url)
    definition = template().tables()["CreditMemoTable"]
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    table = dataclasses.replace(
        definition, table_name=name, create_kwargs={**definition.create_kwargs, "TableName": name}
    )
    create_table(client, table, log=lambda _: None)
    try:
        yield name
    finally:
        client.delete_table(TableName=name)


@contextmanager
def service_environment(
    endpoint_url: str, table_name: str, *, level: str = "Invoice", **extra: str
) -> Iterator[None]:
    """The handlers' environment, pointed at DynamoDB Local and ``table_name``."""
    values = base_environment(endpoint_url=endpoint_url, level=level) | {"TABLE_NAME": table_name} | extra
    with environment(values):
        yield


# ---------------------------------------------------------------- calls


@dataclass
class Result:
    """A direct invocation's outcome, in the HTTP terms of the contract."""

    status: int
    body: Any

    @property
    def code(self) -> str | None:
        return self.body.get("errorCode") if self.status >= 300 else None

    def __repr__(self) -> str:
        return f"Result({self.status}, {self.body!r})"


def call(function: str, payload: dict[str, Any]) -> Result:
    """Invoke ``function`` directly (as Step Functions does); a raised domain error becomes its status.

    Any other exception is reported as a 500 so that the tests can assert there are none.
    """
    try:
        body = invoke(function, payload)
    except DomainError as error:
        return Result(http_status(error), error_body(error))
    except Exception as error:  # everything else is what the tests look for
        return Result(500, {"errorCode": "UNEXPECTED", "message": f"{type(error).__name__}: {error}"})
    return Result(200, body)


def new_account() -> str:
    return f"acct-{uuid.uuid4().hex[:12]}"


def money(value: Any) -> Decimal:
    return Decimal(str(value))


def check(response: Any, status: int) -> Any:
    assert response.status == status, response
    return response.body


def all_pages(api: Api, path: str, **query: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    token = None
    for _ in range(1000):
        page = check(api.get(path, query={**query, "limit": 100, "nextToken": token}), 200)
        items += page["items"]
        token = page["nextToken"]
        if token is None:
            return items
    raise AssertionError(f"{path}: pagination does not end")


# ---------------------------------------------------------------- invariants (spec section 2)


def _active(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if r["type"] == "Applied" and r["hasBeenUnapplied"] == "No"]


def _check_records(records: list[dict[str, Any]]) -> None:
    applied = {r["id"]: r for r in records if r["type"] == "Applied"}
    unapplied = [r for r in records if r["type"] == "Unapplied"]
    reversed_ids = [r["associatedApplicationId"] for r in unapplied]
    assert len(reversed_ids) == len(set(reversed_ids)), "an application was unapplied twice"
    for record in unapplied:
        original = applied.get(record["associatedApplicationId"])
        assert original is not None, record
        assert original["hasBeenUnapplied"] == "Yes"
        assert money(original["amount"]) == money(record["amount"])
    flagged = {r["id"] for r in applied.values() if r["hasBeenUnapplied"] == "Yes"}
    assert flagged == set(reversed_ids), "hasBeenUnapplied=Yes without an Unapplied record (or vice versa)"
    assert all(money(r["amount"]) > 0 for r in records)


def _unreversed(payments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p for p in payments if p["type"] == "Payment" and p["hasBeenReversed"] == "No"]


def check_invoice(api: Api, invoice_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Assert the invoice invariants (payments included, spec section 8); return the invoice and
    its application records."""
    invoice = check(api.get(f"/invoices/{invoice_id}"), 200)
    records = all_pages(api, f"/invoices/{invoice_id}/applications")
    _check_records(records)
    active = _active(records)
    paid = _unreversed(all_pages(api, f"/invoices/{invoice_id}/payments"))
    total, converted = money(invoice["totalAmountWithTax"]), money(invoice["totalConvertedNegAmount"])
    applied = sum((money(r["amount"]) for r in active), Decimal(0))
    payments = sum((money(p["amount"]) for p in paid), Decimal(0))
    assert money(invoice["balance"]) == total - converted - applied - payments, (
        invoice["balance"],
        total,
        applied,
        payments,
    )
    assert money(invoice["netCreditsApplied"]) == applied
    assert money(invoice["netPaymentsApplied"]) == payments
    assert money(invoice["balance"]) >= 0
    if invoice["settlementLevel"] == "InvoiceLine":
        assert sum((money(line["balance"]) for line in invoice["lines"]), Decimal(0)) == money(
            invoice["balance"]
        )
        for line in invoice["lines"]:
            on_line = sum(
                (money(r["amount"]) for r in active if r["invoiceLineId"] == line["id"]), Decimal(0)
            )
            line_paid = sum(
                (
                    money(a["amount"])
                    for p in paid
                    for a in p.get("lineAllocations", [])
                    if a["invoiceLineId"] == line["id"]
                ),
                Decimal(0),
            )
            expected = money(line["amountWithTax"]) - money(line["convertedNegAmount"]) - on_line - line_paid
            assert money(line["balance"]) == expected, (line, on_line, line_paid)
            assert money(line["netCreditsApplied"]) == on_line
            assert money(line["netPaymentsApplied"]) == line_paid
            assert money(line["balance"]) >= 0, line
    return invoice, records


def check_memo(api: Api, memo_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Assert the memo invariants (refunds included); return the memo and its application records."""
    memo = check(api.get(f"/credit-memos/{memo_id}"), 200)
    records = all_pages(api, f"/credit-memos/{memo_id}/applications")
    _check_records(records)
    active = _active(records)
    refunds = [r for r in all_pages(api, f"/credit-memos/{memo_id}/refunds") if r["hasBeenReversed"] == "No"]
    total = money(memo["totalAmountWithTax"])
    applied = sum((money(r["amount"]) for r in active), Decimal(0))
    refunded = sum((money(r["amount"]) for r in refunds), Decimal(0))
    assert money(memo["netCreditsApplied"]) == applied
    assert money(memo["netRefunds"]) == refunded
    if memo["status"] != "Voided":
        assert money(memo["balance"]) == total - applied - refunded, (
            memo["balance"],
            total,
            applied,
            refunded,
        )
    assert 0 <= money(memo["balance"]) <= total
    line_records = [r for r in active if r["level"] == "InvoiceLine"]
    for line in memo["lines"]:
        on_line = sum(
            (money(r["amount"]) for r in line_records if r["creditMemoLineId"] == line["id"]), Decimal(0)
        )
        drawn = sum(
            (
                money(a["amount"])
                for r in refunds
                for a in r["lineAllocations"]
                if a["creditMemoLineId"] == line["id"]
            ),
            Decimal(0),
        )
        assert money(line["netCreditsApplied"]) == on_line
        assert money(line["netRefunds"]) == drawn
        assert 0 <= money(line["balance"]) <= money(line["amountWithTax"])
        if memo["status"] != "Voided":
            assert money(line["balance"]) == money(line["amountWithTax"]) - on_line - drawn, line
    return memo, records


def multibyte_invoice(api: Api, account: str) -> dict[str, Any]:
    """255 three-byte characters in two fields of 300 lines: ~460 KB of UTF-8, more than one item
    holds; stored as a header and line chunks."""
    body = {
        "billingAccountId": account,
        "currency": "EUR",
        "settlementLevel": "InvoiceLine",
        "lines": [
            {"chargeAmount": "1.00", "productName": "€" * 255, "description": "€" * 255}
            for _ in range(limits.MAX_LINES)
        ],
    }
    return check(api.post("/invoices", raw_body=json.dumps(body, ensure_ascii=False)), 201)  # type: ignore[no-any-return]


def apply_with_long_description(memo_id: str, invoice_id: str) -> str:
    """An apply of a memo line across all 300 invoice lines, each record with a 255-character
    description of four-byte characters: the entry holding the 300 records is over 400 KB."""
    body = {"applications": [{"invoiceId": invoice_id, "description": "\U0001f600" * 255}]}
    return json.dumps(body, ensure_ascii=False)
