"""The service's ISO 4217 table is the ``iso4217`` package's, regenerated whenever the package changes."""

from __future__ import annotations

import iso4217
import pytest
from credit_memos.currency_table import MINOR_UNITS, PUBLISHED
from credit_memos.errors import ValidationError
from credit_memos.money import MAX_MINOR_UNITS, minor_units, money_currencies
from iso4217 import Currency

from infra.currencies import main as currencies_main


def test_the_generated_table_is_the_packages() -> None:
    assert {currency.code: currency.exponent for currency in Currency} == MINOR_UNITS
    assert iso4217.__published__.isoformat() == PUBLISHED
    assert currencies_main(["--check"]) == 0  # the committed file, byte for byte


def test_minor_units_as_iso_publishes_them() -> None:
    assert (minor_units("USD"), minor_units("JPY"), minor_units("BHD"), minor_units("CLF")) == (2, 0, 3, 4)
    assert max(MINOR_UNITS[c] or 0 for c in money_currencies()) == MAX_MINOR_UNITS
    assert "XAU" not in money_currencies()
    for code in ("XAU", "usd", "ZZZ", "", None, 840):
        with pytest.raises(ValidationError):
            minor_units(code)  # type: ignore[arg-type]
