"""Configuration: the environment variables the functions read, validated once into a typed object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError

from credit_memos.domain.documents import SettlementLevel


class Settings(BaseModel):
    """The configuration. Each field reads the environment variable its alias names (template.yaml
    sets them); a variable unset or empty takes the field's default."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    table_name: str = Field("credit-memos", validation_alias="TABLE_NAME")
    credit_application_level: SettlementLevel = Field("Invoice", validation_alias="CREDIT_APPLICATION_LEVEL")
    dynamodb_endpoint_url: str | None = Field(None, validation_alias="DYNAMODB_ENDPOINT_URL")
    idempotency_ttl_hours: int = Field(48, ge=24, validation_alias="IDEMPOTENCY_TTL_HOURS")
    region: str = Field("us-east-1", validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION"))
    # Bounded internal retries of optimistic-concurrency conflicts (spec section 4).
    max_conflict_retries: int = Field(12, validation_alias="MAX_CONFLICT_RETRIES")
    # The outbox publisher's bus (template: the publisher's EVENT_BUS_NAME) and a local endpoint.
    event_bus_name: str = Field("credit-memos", validation_alias="EVENT_BUS_NAME")
    eventbridge_endpoint_url: str | None = Field(None, validation_alias="EVENTBRIDGE_ENDPOINT_URL")
    # The change archive the invariant checker reads (template: its ARCHIVE_BUCKET_NAME).
    archive_bucket_name: str | None = Field(None, validation_alias="ARCHIVE_BUCKET_NAME")
    # Lists read the indexes GSI1/GSI2 (projection ALL) instead of GSI3/GSI4: only while a
    # deployed table migrates to the new indexes (docs/design.md "Migrating a deployed table").
    read_legacy_indexes: bool = Field(False, validation_alias="READ_LEGACY_INDEXES")
    # The prefix of credit memo numbers (template parameter CreditMemoNumberPrefix): one series.
    number_prefix: str = Field(
        "CM-", pattern=r"^[A-Za-z0-9][A-Za-z0-9\-_/]{0,15}$", validation_alias="CREDIT_MEMO_NUMBER_PREFIX"
    )
    # The bound of a posting's retries once it lost the series to another posting.
    max_numbering_retries: int = Field(40, validation_alias="MAX_NUMBERING_RETRIES")
    # How long one request may spend retrying lost races (template Globals: RETRY_BUDGET_SECONDS,
    # kept below the functions' Timeout minus the SDK's read timeout; tests/template checks it).
    retry_budget_seconds: float = Field(
        8.0, gt=0, le=600, allow_inf_nan=False, validation_alias="RETRY_BUDGET_SECONDS"
    )
    # The access policy's file (spec section 9; a deployed stack always names one). None: every
    # caller is an Approver on every account (the local default).
    access_policy_file: str | None = Field(None, validation_alias="ACCESS_POLICY_FILE")
    # The seller on every credit note (spec section 12; template parameters Seller*). A field the
    # document needs and this leaves empty makes the document 409 PROFILE_INCOMPLETE, naming it.
    seller_name: str | None = Field(None, validation_alias="SELLER_NAME")
    seller_address_line1: str | None = Field(None, validation_alias="SELLER_ADDRESS_LINE1")
    seller_address_line2: str | None = Field(None, validation_alias="SELLER_ADDRESS_LINE2")
    seller_city: str | None = Field(None, validation_alias="SELLER_CITY")
    seller_postal_code: str | None = Field(None, validation_alias="SELLER_POSTAL_CODE")
    seller_country_subdivision: str | None = Field(None, validation_alias="SELLER_COUNTRY_SUBDIVISION")
    seller_country: str | None = Field(None, pattern=r"^[A-Z]{2}$", validation_alias="SELLER_COUNTRY")
    seller_vat_id: str | None = Field(None, validation_alias="SELLER_VAT_ID")
    seller_legal_registration_id: str | None = Field(None, validation_alias="SELLER_LEGAL_REGISTRATION_ID")
    seller_email: str | None = Field(None, validation_alias="SELLER_EMAIL")
    # Where issued documents are kept unchanged: an S3 bucket with Object Lock (deployed), else a
    # folder (locally; relative to the working directory).
    document_archive_bucket: str | None = Field(None, validation_alias="DOCUMENT_ARCHIVE_BUCKET")
    document_archive_dir: str = Field(".local/documents", validation_alias="DOCUMENT_ARCHIVE_DIR")
    s3_endpoint_url: str | None = Field(None, validation_alias="S3_ENDPOINT_URL")

    # The ledger's code of each logical account of the journal (spec section 11; template
    # parameters AccountCode*, docs/configuration.md).
    account_code_receivable: str = Field("1200", min_length=1, validation_alias="ACCOUNT_CODE_RECEIVABLE")
    account_code_customer_credit: str = Field(
        "2300", min_length=1, validation_alias="ACCOUNT_CODE_CUSTOMER_CREDIT"
    )
    account_code_revenue: str = Field("4000", min_length=1, validation_alias="ACCOUNT_CODE_REVENUE")
    account_code_sales_returns: str = Field(
        "4100", min_length=1, validation_alias="ACCOUNT_CODE_SALES_RETURNS"
    )
    account_code_tax_payable: str = Field("2200", min_length=1, validation_alias="ACCOUNT_CODE_TAX_PAYABLE")
    account_code_cash: str = Field("1000", min_length=1, validation_alias="ACCOUNT_CODE_CASH")
    account_code_bad_debt: str = Field("6100", min_length=1, validation_alias="ACCOUNT_CODE_BAD_DEBT")

    @property
    def account_codes(self) -> dict[str, str]:
        """Each logical account of the journal and its code."""
        return {
            "AccountsReceivable": self.account_code_receivable,
            "CustomerCredit": self.account_code_customer_credit,
            "Revenue": self.account_code_revenue,
            "SalesReturns": self.account_code_sales_returns,
            "TaxPayable": self.account_code_tax_payable,
            "Cash": self.account_code_cash,
            "BadDebtExpense": self.account_code_bad_debt,
        }

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings from ``environ`` (default: the process's); a RuntimeError names a bad variable."""
        environ = os.environ if environ is None else environ
        try:
            return cls.model_validate({name: value for name, value in environ.items() if value.strip()})
        except ValidationError as error:
            raise RuntimeError(f"invalid configuration: {error}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_environment()
