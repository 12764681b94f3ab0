"""An Idempotency-Key's fingerprint is the same text as the records already stored were made from.

A record written before a change of the encoding must still match its retry: otherwise a client
retrying across a deploy would get IDEMPOTENCY_KEY_MISMATCH for the very same request.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from decimal import Decimal
from typing import Any

import pytest
from credit_memos.api import schemas
from credit_memos.usecases.fingerprint import fingerprint

from tests.builders import invoice_body, memo_body


def _stored_form(command: Any) -> str:
    """The canonical text records were fingerprinted with: [operation, asdict(command)].

    Records stored before ``actor`` and ``reason_code`` existed hold neither, and requests
    without a reason still match them.
    """
    fields = dataclasses.asdict(command)
    del fields["actor"], fields["caller"]
    for name in ("reason_code", "status"):  # added since: left out while unset
        if fields.get(name, 0) is None:
            del fields[name]
    canonical = json.dumps([command.operation, fields], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _body(value: Any) -> Any:
    # As the edge reads it (exact decimals). Not through ``api.execution``: importing it here would
    # create Powertools' Metrics before the tests that set its namespace.
    return json.loads(json.dumps(value), parse_float=Decimal, parse_int=Decimal)


# Every optional field set, so that each one reaches the fingerprint.
INVOICE = invoice_body(
    *(
        {
            "chargeAmount": amount,
            "taxAmount": "0.00",
            "productId": f"prod-{index:03d}",
            "productName": f"Product {index}",
            "description": f"Line {index} of the benchmark invoice",
        }
        for index, amount in enumerate(["100.00", "-20.00"])
    ),
    level="Invoice",
    status="Posted",
    invoiceDate="2026-11-01",
    dueDate="2026-12-01",
)
MEMO_WITH_TAXES = memo_body(
    {
        "chargeAmount": "30.00",
        "productId": "p-1",
        "taxes": [{"taxCode": "VAT", "taxName": "VAT", "taxAmount": "3.00"}],
    },
    status="Posted",
    description="Benchmark credit",
    externalReference="BENCH-1",
)
COMMANDS = {
    "create invoice": lambda: schemas.CreateInvoiceRequest.model_validate(_body(INVOICE)).command(),
    "create memo with taxes": lambda: schemas.CreateCreditMemoRequest.model_validate(
        _body(MEMO_WITH_TAXES)
    ).command(),
    "apply": lambda: schemas.ApplyCreditMemoRequest.model_validate(
        _body({"applications": [{"invoiceId": "inv_1", "amount": "2.00"}, {"invoiceId": "inv_2"}]})
    ).command("cm_1"),
    "credit invoice": lambda: schemas.CreditInvoiceRequest.model_validate(
        _body({"taxStrategy": "Ignore", "invoiceLines": [{"invoiceLineId": "l1", "amountToCredit": "1.5"}]})
    ).command("inv_1"),
}


@pytest.mark.parametrize("make", COMMANDS.values(), ids=COMMANDS.keys())
def test_the_fingerprint_is_the_one_stored_records_carry(make: Any) -> None:
    command = make()
    assert fingerprint(command) == _stored_form(command)


def test_different_requests_have_different_fingerprints() -> None:
    one = COMMANDS["apply"]()
    other = dataclasses.replace(one, credit_memo_id="cm_2")
    assert fingerprint(one) != fingerprint(other)
