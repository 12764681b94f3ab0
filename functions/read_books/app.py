"""The books' reads (spec section 11): GET /journal-entries (JSON, or CSV with Accept: text/csv),
GET /trial-balance and GET /accounting-periods/{period}."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Annotated, Any

from credit_memos.api.execution import execute, respond
from credit_memos.api.fields import AccountingPeriodId, CurrencyCode, Identifier, IsoDate
from credit_memos.api.lambda_handlers import make_lambda_handler, new_router
from credit_memos.api.openapi_responses import error_responses, success_response
from credit_memos.api.routing import Header, Path, Query, Response
from credit_memos.api.schemas import JournalQuery, TrialBalanceQuery
from credit_memos.commands import books as commands
from credit_memos.errors import ValidationError
from credit_memos.limits import MAX_PAGE_SIZE, MAX_TOKEN_LENGTH
from credit_memos.usecases import Outcome
from credit_memos.views import AccountingPeriodView, JournalEntryPage, TrialBalanceView
from credit_memos.views.books import CSV_HEADER

app = new_router()

# A CSV answer stops adding pages past this size (Lambda answers at most 6 MB); NEXT_TOKEN_HEADER
# then says where the next request continues.
CSV_BODY_BUDGET = 5_000_000
NEXT_TOKEN_HEADER = "X-Next-Token"  # noqa: S105 - a header name


@app.get(
    "/journal-entries",
    summary="Journal entries by entryDate (inclusive), oldest first",
    description="With Accept: text/csv the same query answers CSV, one row per journal line, read "
    "page by page to the end of the range (the header row only when nextToken is not given); an "
    f"answer that would pass 5 MB stops at a page's end and names the continuation in {NEXT_TOKEN_HEADER}.",
    responses=success_response(200, JournalEntryPage, "A page of journal entries")
    | error_responses(403, 422, 503),
)
def list_journal_entries(
    from_: Annotated[IsoDate, Query(alias="from")],
    to: Annotated[IsoDate, Query()],
    billingAccountId: Annotated[Identifier | None, Query()] = None,
    limit: Annotated[int | None, Query(ge=1, le=MAX_PAGE_SIZE)] = None,
    nextToken: Annotated[str | None, Query(max_length=MAX_TOKEN_LENGTH)] = None,
    accept: Annotated[str | None, Header(alias="Accept")] = None,
) -> Response[str]:
    command = commands.ListJournalEntries(from_, to, billingAccountId, limit, nextToken)
    if accept is not None and "text/csv" in accept:
        text, token = journal_csv(command)
        headers = {NEXT_TOKEN_HEADER: token} if token else {}
        return Response(200, "text/csv; charset=utf-8", text, headers=headers)
    return respond(execute(command))


def journal_csv(command: commands.ListJournalEntries) -> tuple[str, str | None]:
    """The CSV of the query, page by page, until the range ends or the budget is spent."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if command.next_token is None:
        out.write(CSV_HEADER + "\r\n")
    token = command.next_token
    while True:
        page = execute(
            commands.ListJournalEntries(
                command.first_day, command.last_day, command.billing_account_id, command.limit, token
            )
        )
        body = JournalEntryPage.model_validate(page.body)
        for entry in body.items:
            writer.writerows(entry.csv_rows())
        token = body.nextToken
        if token is None or out.tell() > CSV_BODY_BUDGET:
            return out.getvalue(), token


@app.get(
    "/trial-balance",
    summary="Each account's debits, credits and balance at the end of a day, in one currency",
    description="asOf defaults to today (UTC). Without billingAccountId: every account the caller "
    "may see (a caller limited to some billing accounts must name one).",
    responses=success_response(200, TrialBalanceView, "The trial balance") | error_responses(403, 422, 503),
)
def get_trial_balance(
    currency: Annotated[CurrencyCode, Query()],
    asOf: Annotated[IsoDate | None, Query()] = None,
    billingAccountId: Annotated[Identifier | None, Query()] = None,
) -> Response[str]:
    return respond(execute(_trial_balance(asOf, currency, billingAccountId)))


def _trial_balance(as_of: str | None, currency: str, account: str | None) -> commands.GetTrialBalance:
    return commands.GetTrialBalance(as_of or datetime.now(UTC).date().isoformat(), currency, account)


@app.get(
    "/accounting-periods/<period>",
    summary="An accounting period's status (Open or Closed)",
    responses=success_response(200, AccountingPeriodView, "The period") | error_responses(422, 503),
)
def get_accounting_period(period: Annotated[AccountingPeriodId, Path()]) -> Response[str]:
    return respond(execute(commands.GetAccountingPeriod(period)))


def direct(payload: dict[str, Any]) -> Outcome:
    """``{period}`` a period; ``{currency, asOf?, billingAccountId?}`` a trial balance; ``{from, to,
    billingAccountId?, limit?, nextToken?}`` a page of the journal."""
    if "period" in payload:
        return execute(commands.GetAccountingPeriod(str(payload["period"])))
    if "currency" in payload:
        query = TrialBalanceQuery.model_validate(payload)
        return execute(_trial_balance(query.asOf, query.currency, query.billingAccountId))
    if "from" in payload:
        return execute(JournalQuery.model_validate(payload).command())
    raise ValidationError("names a period, a trial balance (currency) or a journal range (from, to)")


lambda_handler = make_lambda_handler(app, direct)
