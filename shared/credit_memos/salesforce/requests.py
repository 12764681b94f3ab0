"""Salesforce's request bodies as Revenue Cloud Billing documents them, each translated into the native
request model of api/schemas.py (``native()``), whose ``command()`` is the operation's one conversion.

The field types are the native ones (api/fields.py), so an amount, a date or an id is checked by the
same rule under either name. Fields Salesforce documents that mean nothing here are accepted and
ignored (``Ignored``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from credit_memos.api import schemas
from credit_memos.api.fields import (
    CurrencyCode,
    Identifier,
    IdText,
    IsoDate,
    LongText,
    NonNegativeAmount,
    PositiveAmount,
    Rate,
    ShortText,
    Text,
)
from credit_memos.limits import (
    MAX_APPLY_TARGETS,
    MAX_LINE_APPLY_TARGETS,
    MAX_LINES,
    MAX_TAXES_PER_LINE,
    MAX_WRITE_OFF_INVOICES,
)

# Documented by Salesforce, meaningless here (no contacts, addresses, tax engine or treatments).
Ignored = Any

_STRATEGIES = {
    "ignore": "Ignore",
    "manualoverride": "ManualOverride",
    "copyfrominvoiceline": "CopyFromInvoiceLine",
}


def _tax_strategy(value: Any) -> Any:
    """``Manual Override`` and any case name the native strategies; ``Calculate`` is refused."""
    if not isinstance(value, str):
        return value
    key = value.replace(" ", "").lower()
    if key == "calculate":
        raise ValueError(
            "Calculate needs a tax engine, which this service does not have: send the taxes with "
            "ManualOverride, or use CopyFromInvoiceLine or Ignore"
        )
    return _STRATEGIES.get(key, value)


def _status(value: Any) -> Any:
    """``POSTED``, ``posted`` and ``Posted`` are the same type."""
    return value.capitalize() if isinstance(value, str) else value


# The native request's own rule, stated for the document: a charge names its product.
_PRODUCT_ID_OR_NAME = schemas.MemoChargeRequest.model_config.get("json_schema_extra")
_CURRENCY_EITHER_SPELLING: dict[str, Any] = {
    "anyOf": [
        {"required": [name], "properties": {name: {"type": "string"}}}
        for name in ("currencyIsoCode", "currency")
    ],
    "description": "The currency is named by currencyIsoCode (or the native currency).",
}
TaxStrategy = Annotated[
    Literal["Ignore", "ManualOverride", "CopyFromInvoiceLine"], BeforeValidator(_tax_strategy)
]
MemoType = Annotated[Literal["Draft", "Posted"], BeforeValidator(_status)]
# A credit is created Posted (the native actions/credit takes no type): Draft is refused.
CreditType = Annotated[Literal["Posted"], BeforeValidator(_status)]
# A line named through its document, as line_ids.py reads it.
QualifiedLineId = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_:\-]{0,127}\.[A-Za-z0-9][A-Za-z0-9_:\-]{0,127}$",
        examples=["inv_01j9.invl_01j9"],
        description="A line as {documentId}.{lineId}",
    ),
]


class SalesforceBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def as_native[Request: BaseModel](request_type: type[Request], body: dict[str, Any]) -> Request:
    """``body`` as the native request ``request_type``; what its rules refuse is a ValidationError
    (422) naming the native fields, as the native route answers it."""
    from pydantic import ValidationError as PydanticValidationError

    from credit_memos.api.error_responses import validation_details
    from credit_memos.errors import ValidationError

    try:
        return request_type.model_validate(body)
    except PydanticValidationError as error:
        details = "; ".join(f"{d['field']}: {d['message']}" for d in validation_details(error.errors()))
        raise ValidationError(f"the request is not valid: {details}"[:1000]) from None


class Tax(SalesforceBody):
    taxAmount: NonNegativeAmount
    taxCode: ShortText | None = None
    taxName: ShortText | None = None
    taxRate: Rate | None = None

    def native(self) -> dict[str, Any]:
        # The values as read (exact Decimals), not serialized: dumping would write them as text.
        return {name: value for name, value in self if value is not None}


class Charge(SalesforceBody):
    model_config = ConfigDict(json_schema_extra=_PRODUCT_ID_OR_NAME)

    chargeAmount: PositiveAmount
    productId: IdText | None = None
    productName: Text | None = None
    description: Text | None = None
    taxStrategy: TaxStrategy | None = None
    taxes: list[Tax] = Field(default_factory=list, max_length=MAX_TAXES_PER_LINE)
    treatmentId: Ignored = None
    taxEffectiveDate: Ignored = None
    addresses: Ignored = None
    startDate: Ignored = None
    endDate: Ignored = None


class GenerateCreditMemo(SalesforceBody):
    """``POST .../credit-memos/actions/generate``: a standalone memo."""

    model_config = ConfigDict(json_schema_extra=_CURRENCY_EITHER_SPELLING)

    billingAccountId: Identifier
    currencyIsoCode: CurrencyCode | None = None
    currency: CurrencyCode | None = None  # the native spelling, accepted as well
    type: MemoType = "Posted"
    description: LongText | None = None
    effectiveDate: IsoDate | None = None
    externalReference: Text | None = None
    taxStrategy: TaxStrategy
    charges: list[Charge] = Field(min_length=1, max_length=MAX_LINES)
    billToContactId: Ignored = None
    externalReferenceDataSource: Ignored = None
    taxEffectiveDate: Ignored = None
    addresses: Ignored = None

    def native(self) -> schemas.CreateCreditMemoRequest:
        # Ignore: no tax lines, whatever taxes a charge lists (Salesforce's meaning of the strategy).
        def taxes(charge: Charge) -> list[dict[str, Any]]:
            strategy = charge.taxStrategy or self.taxStrategy
            return [] if strategy == "Ignore" else [t.native() for t in charge.taxes]

        body: dict[str, Any] = {
            "billingAccountId": self.billingAccountId,
            "currency": self.currencyIsoCode or self.currency,
            "type": self.type,
            "description": self.description,
            "effectiveDate": self.effectiveDate,
            "externalReference": self.externalReference,
            "charges": [
                {
                    "chargeAmount": c.chargeAmount,
                    "productId": c.productId,
                    "productName": c.productName,
                    "description": c.description,
                    "taxes": taxes(c),
                }
                for c in self.charges
            ],
        }
        return as_native(schemas.CreateCreditMemoRequest, body)


class CreditLine(SalesforceBody):
    invoiceLineId: Identifier
    amountToCredit: PositiveAmount
    taxStrategy: TaxStrategy | None = None
    taxes: list[Tax] = Field(default_factory=list, max_length=MAX_TAXES_PER_LINE)
    taxEffectiveDate: Ignored = None
    addresses: Ignored = None


class CreditInvoice(SalesforceBody):
    """``POST .../invoices/{invoiceId}/actions/credit``: a memo from invoice lines, applied."""

    taxStrategy: TaxStrategy
    type: CreditType = "Posted"
    description: LongText | None = None
    effectiveDate: IsoDate | None = None
    invoiceLines: list[CreditLine] = Field(min_length=1, max_length=MAX_LINES)
    taxEffectiveDate: Ignored = None

    def native(self) -> schemas.CreditInvoiceRequest:
        from credit_memos.errors import ValidationError

        for index, line in enumerate(self.invoiceLines):
            if line.taxStrategy not in (None, self.taxStrategy):
                raise ValidationError(
                    f"one tax strategy per request here ({self.taxStrategy}): send the lines of "
                    f"{line.taxStrategy} in a request of their own",
                    field=("invoiceLines", index, "taxStrategy"),
                )
        body = {
            "taxStrategy": self.taxStrategy,
            "description": self.description,
            "effectiveDate": self.effectiveDate,
            "invoiceLines": [
                {
                    "invoiceLineId": line.invoiceLineId,
                    "amountToCredit": line.amountToCredit,
                    "taxes": [t.native() for t in line.taxes],
                }
                for line in self.invoiceLines
            ],
        }
        return as_native(schemas.CreditInvoiceRequest, body)


class Application(SalesforceBody):
    appliedToId: Identifier
    amount: PositiveAmount | None = None
    description: Text | None = None
    effectiveDate: IsoDate | None = None


class ApplyCreditMemo(SalesforceBody):
    """``POST .../credit-memos/{creditMemoId}/actions/apply``."""

    applications: list[Application] = Field(min_length=1, max_length=MAX_APPLY_TARGETS)

    def native(self) -> schemas.ApplyCreditMemoRequest:
        targets = [
            {
                "invoiceId": a.appliedToId,
                "amount": a.amount,
                "description": a.description,
                "effectiveDate": a.effectiveDate,
            }
            for a in self.applications
        ]
        return as_native(schemas.ApplyCreditMemoRequest, {"applications": targets})


class LineApplication(SalesforceBody):
    invoiceLineId: QualifiedLineId
    appliedAmount: PositiveAmount | None = None
    description: Text | None = None
    effectiveDate: IsoDate | None = None


class ApplyCreditMemoLine(SalesforceBody):
    """``POST .../credit-memo-lines/{creditMemoLineId}/actions/apply``."""

    applyCreditDetails: list[LineApplication] = Field(min_length=1, max_length=MAX_LINE_APPLY_TARGETS)

    def native(self) -> schemas.ApplyCreditMemoLineRequest:
        from credit_memos.salesforce.line_ids import split_line_id

        targets = []
        for index, detail in enumerate(self.applyCreditDetails):
            invoice_id, line_id = split_line_id(
                detail.invoiceLineId, ("applyCreditDetails", index, "invoiceLineId")
            )
            targets.append(
                {
                    "invoiceId": invoice_id,
                    "invoiceLineId": line_id,
                    "amount": detail.appliedAmount,
                    "description": detail.description,
                    "effectiveDate": detail.effectiveDate,
                }
            )
        return as_native(schemas.ApplyCreditMemoLineRequest, {"applications": targets})


class Unapply(SalesforceBody):
    """Both unapply resources: an optional description and effective date."""

    description: Text | None = None
    effectiveDate: IsoDate | None = None

    def native(self) -> schemas.UnapplyRequest:
        return schemas.UnapplyRequest(description=self.description, effectiveDate=self.effectiveDate)


class ConvertToCredit(SalesforceBody):
    """``POST .../invoices/{invoiceId}/actions/convert-to-credit``: ``invoiceLines`` are line ids."""

    invoiceLines: list[Identifier] | None = Field(None, min_length=1, max_length=MAX_LINES)
    description: LongText | None = None
    effectiveDate: IsoDate | None = None

    def native(self) -> schemas.ConvertNegativeLinesRequest:
        return as_native(
            schemas.ConvertNegativeLinesRequest,
            {
                "invoiceLineIds": self.invoiceLines,
                "description": self.description,
                "effectiveDate": self.effectiveDate,
            },
        )


class PostCreditMemos(SalesforceBody):
    """``POST .../credit/collection/actions/post``: one Draft memo per request, as Salesforce allows."""

    creditMemoIds: list[Identifier] = Field(min_length=1, max_length=1)
    correlationId: Ignored = None


def _write_off_reason(code: str, text: str | None) -> tuple[str, str | None]:
    """A Salesforce reason code as the native code it names (``Bad Debt`` is BadDebt); a code this
    service does not have is written off as Other, the code kept in the description."""
    from typing import get_args

    from credit_memos.domain.documents import WriteOffReasonCode

    codes = {name.lower(): name for name in get_args(WriteOffReasonCode)}
    found = codes.get(code.replace(" ", "").lower())
    if found is not None:
        return found, text
    return "Other", f"{code}: {text}" if text else code


class WriteOffInvoice(SalesforceBody):
    invoiceId: Identifier
    reasonCode: ShortText
    reason: Text | None = None
    description: Text | None = None


class WriteOffInvoices(SalesforceBody):
    """``POST .../invoices/actions/write-off``: each invoice on its own."""

    invoices: list[WriteOffInvoice] = Field(min_length=1, max_length=MAX_WRITE_OFF_INVOICES)

    def native(self) -> schemas.WriteOffInvoicesRequest:
        invoices = []
        for item in self.invoices:
            code, description = _write_off_reason(item.reasonCode, item.reason or item.description)
            invoices.append({"invoiceId": item.invoiceId, "reasonCode": code, "description": description})
        return as_native(schemas.WriteOffInvoicesRequest, {"invoices": invoices})
