"""The view of a billing account's summary: open credit and receivables per currency."""

from typing import TYPE_CHECKING

from pydantic import Field

from credit_memos.money import format_amount
from credit_memos.views.base import Money, View

if TYPE_CHECKING:
    from credit_memos.domain.summary import AccountTotals


class CurrencySummaryView(View):
    currency: str
    open_credit: Money = Field(description="Σ balances of the account's Posted credit memos.")
    open_receivable: Money = Field(description="Σ balances of the account's Posted invoices.")
    posted_memo_count: int = Field(description="Posted credit memos (with or without a balance left).")
    open_invoice_count: int = Field(description="Posted invoices whose balance is above 0.")


class AccountSummaryView(View):
    billing_account_id: str
    currencies: list[CurrencySummaryView] = Field(
        description="One entry per currency the account has something open or posted in, by code; "
        "[] for an account with no such document."
    )
    as_of: str | None = Field(
        description="Commit time (UTC) of the newest document change the summary includes; null "
        "if it includes none. The summary is kept from the table's stream and lags the writes by "
        "a few seconds: a change committed after asOf, or still in flight before it, may be missing.",
        examples=["2026-01-31T12:00:00.000Z"],
    )

    @classmethod
    def of(cls, totals: "AccountTotals") -> "AccountSummaryView":
        return cls(
            billing_account_id=totals.billing_account_id,
            currencies=[
                dict(
                    currency=currency,
                    open_credit=format_amount(amounts.open_credit, currency),
                    open_receivable=format_amount(amounts.open_receivable, currency),
                    posted_memo_count=amounts.posted_memo_count,
                    open_invoice_count=amounts.open_invoice_count,
                )
                for currency, amounts in totals.listed
            ],
            as_of=totals.as_of,
        )
