"""The Salesforce-compatible translation without storage: spellings, line ids, per-input keys."""

from __future__ import annotations

from decimal import Decimal

import pytest
from credit_memos.errors import ValidationError
from credit_memos.salesforce import envelopes
from credit_memos.salesforce.input_keys import input_key
from credit_memos.salesforce.line_ids import split_line_id
from credit_memos.salesforce.requests import CreditInvoice, GenerateCreditMemo
from pydantic import ValidationError as PydanticValidationError


def generate(**fields: object) -> GenerateCreditMemo:
    body = {"billingAccountId": "acct-1", "currencyIsoCode": "USD", "taxStrategy": "Ignore"}
    body |= {"charges": [{"chargeAmount": Decimal("7.25"), "productId": "p"}]} | fields
    return GenerateCreditMemo.model_validate(body)


@pytest.mark.parametrize(
    ("given", "native"),
    [
        ("Manual Override", "ManualOverride"),
        ("manualoverride", "ManualOverride"),
        ("IGNORE", "Ignore"),
        ("CopyFromInvoiceLine", "CopyFromInvoiceLine"),
    ],
)
def test_tax_strategy_spellings(given: str, native: str) -> None:
    assert generate(taxStrategy=given).taxStrategy == native


def test_calculate_is_refused_naming_the_tax_engine() -> None:
    with pytest.raises(PydanticValidationError, match="tax engine"):
        generate(taxStrategy="Calculate")


@pytest.mark.parametrize("given", ["POSTED", "posted", "Posted"])
def test_type_is_case_insensitive(given: str) -> None:
    assert generate(type=given).native().type == "Posted"


def test_the_native_request_gets_the_exact_amount_and_the_currency() -> None:
    request = generate().native()
    assert request.currency == "USD" and request.charges[0].chargeAmount == Decimal("7.25")


def test_ignore_drops_the_taxes_and_manual_override_keeps_them() -> None:
    taxes = [{"taxAmount": Decimal("0.50"), "taxRate": Decimal("7")}]
    charge = {"chargeAmount": Decimal("10"), "productId": "p", "taxes": taxes}
    assert generate(charges=[charge]).native().charges[0].taxes == []
    kept = generate(taxStrategy="ManualOverride", charges=[charge]).native().charges[0].taxes
    assert [(t.taxAmount, t.taxRate) for t in kept] == [(Decimal("0.50"), Decimal("7"))]


def test_a_credit_with_two_strategies_is_refused_at_the_line() -> None:
    request = CreditInvoice.model_validate(
        {
            "taxStrategy": "ManualOverride",
            "invoiceLines": [
                {"invoiceLineId": "invl_1", "amountToCredit": 1, "taxStrategy": "CopyFromInvoiceLine"}
            ],
        }
    )
    with pytest.raises(ValidationError) as refused:
        request.native()
    assert refused.value.field == ("invoiceLines", 0, "taxStrategy")


def test_line_ids_are_split_at_the_one_separator() -> None:
    assert split_line_id("inv_1.invl_2", ("x",)) == ("inv_1", "invl_2")
    for bad in ("invl_2", ".invl_2", "inv_1.", "inv_1.invl_2.3"):
        with pytest.raises(ValidationError):
            split_line_id(bad, ("x",))


def test_each_input_has_a_key_of_its_own_derived_from_the_request_key() -> None:
    assert input_key(None, "applyCredit", 0) is None
    first = input_key("k", "applyCredit", 0)
    assert first == input_key("k", "applyCredit", 0)
    assert len({first, input_key("k", "applyCredit", 1), input_key("k", "unapplyCredit", 0)}) == 3
    assert first is not None and len(first) == 64


def test_a_dry_run_has_no_status_url() -> None:
    assert envelopes.posted({"id": None}, "v67.0")["statusURL"] == ""
    assert envelopes.posted({"id": "cm_1"}, "v62.0")["statusURL"] == (
        "/services/data/v62.0/sobjects/AsyncOperationTracker/cm_1"
    )
