"""The views of the books (spec section 11): journal entries, the trial balance, a period."""

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from credit_memos.domain.journal import ACCOUNTS, Account
from credit_memos.money import ZERO, format_amount
from credit_memos.views.base import CREATED_BY, Money, View

if TYPE_CHECKING:
    from credit_memos.domain.journal import Balances, JournalEntry
    from credit_memos.domain.periods import AccountingPeriod

# One row per journal line; the contract's header, in its order.
CSV_HEADER = (
    "entryId,entryDate,billingAccountId,currency,account,accountCode,debit,credit,"
    "sourceType,sourceId,documentNumber,reasonCode,createdBy"
)


class JournalLineView(View):
    account: Account
    account_code: str = Field(description="The account's code in the ledger (deployment setting).")
    debit: Money
    credit: Money


class JournalEntryView(View):
    """A balanced entry (Σ debit = Σ credit); never changed: a correction is a new entry."""

    id: str
    entry_date: str = Field(
        description="The change's effectiveDate (an invoice's invoiceDate; a void's day)."
    )
    recorded_at: str = Field(description="When the change committed (UTC).")
    billing_account_id: str
    currency: str
    source_type: str = Field(
        description="What made it: InvoicePosted, CreditMemoPosted, CreditMemoVoided, CreditApplied, "
        "CreditUnapplied, PaymentRecorded, PaymentReversed, CreditMemoRefunded or RefundReversed (a "
        "write-off books its memo and its application)."
    )
    source_id: str = Field(description="The invoice, credit memo, payment or refund record it books.")
    document_number: str | None
    reason_code: str | None
    created_by: str | None = Field(description=CREATED_BY)
    lines: list[JournalLineView]

    @classmethod
    def of(cls, entry: "JournalEntry") -> "JournalEntryView":
        c = entry.currency
        return cls(
            id=entry.id,
            entry_date=entry.entry_date,
            recorded_at=entry.recorded_at,
            billing_account_id=entry.billing_account_id,
            currency=c,
            source_type=entry.source_type,
            source_id=entry.source_id,
            document_number=entry.document_number,
            reason_code=entry.reason_code,
            created_by=entry.created_by,
            lines=[
                JournalLineView(
                    account=line.account,
                    account_code=line.account_code,
                    debit=format_amount(line.debit, c),
                    credit=format_amount(line.credit, c),
                )
                for line in entry.lines
            ],
        )

    def csv_rows(self) -> list[list[str]]:
        """Its lines as the CSV's rows (the columns of ``CSV_HEADER``)."""
        fixed = (self.source_type, self.source_id, self.document_number or "", self.reason_code or "")
        return [
            [
                *(self.id, self.entry_date, self.billing_account_id, self.currency),
                *(line.account, line.account_code, line.debit, line.credit),
                *fixed,
                self.created_by or "",
            ]
            for line in self.lines
        ]


class JournalEntryPage(View):
    items: list[JournalEntryView]
    nextToken: str | None  # the JSON name: the use cases build pages with it
    asOf: str = Field(
        description="When this page was read (UTC): entries are written with their change, so every "
        "change committed before it is included."
    )


class TrialBalanceLineView(View):
    account: Account
    account_code: str
    debit: Money = Field(description="Σ debits up to the end of asOf.")
    credit: Money = Field(description="Σ credits up to the end of asOf.")
    balance: Money = Field(description="debit - credit.")


class TrialBalanceView(View):
    as_of: str = Field(description="The day whose end the balances are at (inclusive).")
    currency: str
    billing_account_id: str | None = Field(
        None, description="Set when the balance is of one billing account."
    )
    accounts: list[TrialBalanceLineView] = Field(description="Every account, in the chart's order.")

    @classmethod
    def of(
        cls, as_of: str, currency: str, account: str | None, balances: "Balances", codes: dict[str, str]
    ) -> "TrialBalanceView":
        lines = []
        for name in ACCOUNTS:
            held = balances.get(name)
            debit, credit = (held.debit, held.credit) if held else (ZERO, ZERO)
            lines.append(
                TrialBalanceLineView(
                    account=name,
                    account_code=codes[name],
                    debit=format_amount(debit, currency),
                    credit=format_amount(credit, currency),
                    balance=format_amount(debit - credit, currency),
                )
            )
        return cls(as_of=as_of, currency=currency, billing_account_id=account, accounts=lines)


class AccountingPeriodView(View):
    period: str = Field(examples=["2026-11"])
    status: Literal["Open", "Closed"]
    closed_by: str | None = Field(
        description="Who closed it (the close that closed it, for a month "
        "closed with the first period closed)."
    )
    closed_at: str | None

    @classmethod
    def of(cls, period: str, closed: bool, record: "AccountingPeriod | None") -> "AccountingPeriodView":
        return cls(
            period=period,
            status="Closed" if closed else "Open",
            closed_by=record.closed_by if closed and record else None,
            closed_at=record.closed_at if closed and record else None,
        )
