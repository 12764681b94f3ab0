"""Random sequences of requests against the HTTP API; spec section 2's invariants after each.

A hypothesis ``RuleBasedStateMachine``: every rule sends one mutating request through the
in-process API (moto behind it), predicts its status and errorCode from what it last read,
and records the application records the service returned. After every step an invariant
reads every document by GET and checks:

- memo.balance = total - active applications of the memo (both levels), 0 <= balance <= total,
  and the same per memo line for its line-level applications (a Voided memo has balance 0);
- invoice.balance = totalAmountWithTax - totalConvertedNegAmount - active credits >= 0, and at
  level InvoiceLine the invoice balance is the sum of its lines, each line's balance being
  amountWithTax - convertedNegAmount - its active line-level credits;
- each invoice line has had no more charge and tax credited from it (by the memos made with
  actions/credit that are not voided) than it has; the tax of each credit is predicted exactly
  by its taxStrategy (CopyFromInvoiceLine: spec section 6);
- voiding a conversion memo undoes the conversion (lines unconverted, balance restored);
- no 5xx ever, and a failed request changed nothing at all (every document compared);
- numbering (spec section 7): every memo that is not a Draft has a documentNumber, a Draft none;
  the numbers are CM-00000001 to CM-<n> for the n numbered memos (unique, no gap, whatever
  failed, was retried under its key or refused), a memo's number never changes, a later posting
  gets a larger one, and GET /credit-memos?documentNumber= finds the memo;
- createdBy is the local server's caller on every document and record; reason codes are kept;
- who may do what (spec section 9), under an access policy: a Reader's mutation is 403 and changes
  nothing, and another account's Operator finds none of the documents (404);
- payments (spec section 8): invoice.balance also loses the unreversed payments (netPaymentsApplied,
  per line at level InvoiceLine, spread highest balance first), a reference is used once per
  invoice by an unreversed payment, a reversal restores exactly, and settlementStatus counts them;
- refunds (spec section 10): memo.balance also loses the unreversed refunds (netRefunds, per line,
  drawn highest balance first), a reference is used once per memo by an unreversed refund, a
  reversal restores exactly, and a memo with an unreversed refund is not voided.
- write-offs (spec section 10): each invoice on its own, predicted per invoice; a written-off
  invoice is Settled by a Posted memo of exactly its balance, each memo line's tax its invoice
  line's share; the whole answer replays under its key;
- dry runs (spec section 10): while they are on, every request is first sent as a dry run, which
  must leave the table byte for byte as it was and answer what the real call then answers (its
  status, 200 for a 201, and body; the ids and number of what the real call creates null).

At teardown each document's application history, each invoice's payment records and each memo's
refund records are
compared with the records returned.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import uuid
from contextlib import ExitStack
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import boto3
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from moto import mock_aws

from tests.harness import TABLE_NAME, Api, HttpResult, base_environment, create_table, environment

D = Decimal
ZERO = D(0)
DIGITS = {"USD": 2, "JPY": 0}
MAX_INVOICES = 3
MAX_STANDALONE_MEMOS = 3
MAX_MEMOS = 5
# The initial documents share account and currency (credit can move); later ones may not.
ACCOUNTS = st.sampled_from(["acct-a", "acct-a", "acct-a", "acct-b"])
CURRENCIES = st.sampled_from(["USD", "USD", "USD", "JPY"])
STATUSES = st.sampled_from(["Posted", "Posted", "Posted", "Draft"])
REASONS = st.sampled_from([None, None, "Goodwill", "BillingError", "Cancellation"])
NUMBER = re.compile(r"^CM-(\d{8,})$")
# The local server's caller acts as an Approver; two more principals try what they may not.
READER = "arn:aws:iam::111122223333:role/billing-audit"
OUTSIDER = "arn:aws:iam::111122223333:role/billing-ops-other"
POLICY = {
    "principals": [
        {"match": "local", "role": "Approver", "billingAccounts": ["*"]},
        {"match": READER, "role": "Reader", "billingAccounts": ["*"]},
        {"match": OUTSIDER, "role": "Operator", "billingAccounts": ["other-*"]},
    ]
}


def units(currency: str) -> D:
    return D(1).scaleb(-DIGITS[currency])


def text(amount: D, currency: str) -> str:
    return f"{amount.quantize(units(currency)):f}"


def money(value: str) -> D:
    return D(value)


def amount_re(currency: str) -> re.Pattern[str]:
    digits = DIGITS[currency]
    return re.compile(r"^-?\d+$" if digits == 0 else rf"^-?\d+\.\d{{{digits}}}$")


class Expected:
    """The outcome a request should have: a status and, for a failure, an errorCode."""

    def __init__(self, status: int, code: str | None = None) -> None:
        self.status, self.code = status, code

    def __repr__(self) -> str:
        return f"Expected({self.status}, {self.code})"


def fail(code: str) -> Expected:
    status = {"VALIDATION_ERROR": 422, "NOT_FOUND": 404, "FORBIDDEN": 403}.get(code, 409)
    return Expected(status, code)


class CreditMemoMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self._stack = ExitStack()
        try:
            policy = Path(self._stack.enter_context(tempfile.TemporaryDirectory())) / "policy.json"
            policy.write_text(json.dumps(POLICY))
            self._stack.enter_context(environment(base_environment() | {"ACCESS_POLICY_FILE": str(policy)}))
            self._stack.enter_context(mock_aws())
            create_table(boto3.client("dynamodb", region_name="us-east-1"))
        except BaseException:
            self._stack.close()
            raise
        self.api = Api()
        self.invoice_ids: list[str] = []
        self.memo_ids: list[str] = []
        self.standalone_memos = 0
        # The taxStrategy of every memo made by actions/credit.
        self.strategies: dict[str, str] = {}
        # Last GET of every document; refreshed by the invariant after each step.
        self.docs: dict[str, dict[str, Any]] = {}
        # Every application record the service returned, by id (the model of history).
        self.records: dict[str, dict[str, Any]] = {}
        self.record_order: list[str] = []
        self.last_failed = False
        # (document id, field, value) the next read must show (snapshots in records).
        self.pending: list[tuple[str, str, str]] = []
        # (invoice id, line id, convertedNegAmount) the next read must show.
        self.pending_lines: list[tuple[str, str, str]] = []
        # Every memo's number, once it had one, and the order they were first seen in.
        self.numbers: dict[str, str] = {}
        # Every Payment and Reversal record the service returned, by id, and in order.
        self.payments: dict[str, dict[str, Any]] = {}
        self.payment_order: list[str] = []
        # Every Refund and Reversal record the service returned, by id, and in order.
        self.refunds: dict[str, dict[str, Any]] = {}
        self.refund_order: list[str] = []
        # Whether every request is sent as a dry run first.
        self.dry_first = False

    def teardown(self) -> None:
        try:
            if sys.exc_info()[0] is None:  # not while a failing step is being reported
                self.check_histories()
        finally:
            self._stack.close()

    # ------------------------------------------------------------ plumbing

    def send(
        self, path: str, body: Any, expected: Expected, key: str | None = None, principal: str | None = None
    ) -> HttpResult:
        headers = {"Idempotency-Key": key} if key else {}
        if principal is not None:
            headers["X-Local-Principal"] = principal
        if self.dry_first:
            before = self.table()
            dry = self.api.post(path, body, headers=headers, query={"dryRun": "true"})
            assert self.table() == before, (path, "a dry run wrote")
        r = self.api.post(path, body, headers=headers)
        assert r.status < 500, r
        assert r.status == expected.status, (path, body, expected, r)
        if self.dry_first:
            self.same_answer(dry, r, json.dumps(before, default=str))
        if r.status >= 400:
            assert isinstance(r.body, dict) and r.body.get("errorCode") == expected.code, (expected, r)
            self.last_failed = True
        else:
            # A failure is checked against the previous step's reads: nothing may succeed after it.
            assert not self.last_failed, "a step sent a request after a failed one"
        return r

    @staticmethod
    def table() -> list[dict[str, Any]]:
        client = boto3.client("dynamodb", region_name="us-east-1")
        return sorted(
            client.scan(TableName=TABLE_NAME)["Items"], key=lambda item: (item["pk"]["S"], item["sk"]["S"])
        )

    def same_answer(self, dry: HttpResult, real: HttpResult, before: str) -> None:
        """A dry run answered what the real call did: its refusal, or its body with what only the
        real call made (new ids, the number it took) null, and times aside."""
        if real.status >= 400 or real.headers.get("Idempotent-Replayed") == "true":
            assert (dry.status, dry.body) == (real.status, real.body), (dry, real)
            return
        assert dry.status == 200 and dry.headers.get("Dry-Run") == "true", dry

        def same(d: Any, r: Any, where: str) -> None:
            if isinstance(r, dict):
                assert isinstance(d, dict) and d.keys() == r.keys(), where
                for name in r:
                    if not name.endswith(("At", "Date")):
                        same(d[name], r[name], f"{where}.{name}")
            elif isinstance(r, list):
                assert isinstance(d, list) and len(d) == len(r), where
                for i, (x, y) in enumerate(zip(d, r, strict=True)):
                    same(x, y, f"{where}[{i}]")
            elif d is None and isinstance(r, str):
                assert where.endswith("documentNumber") or r not in before, (where, "existed", r)
            else:
                assert d == r, (where, d, r)

        same(dry.body, real.body, "")

    @rule(on=st.booleans())
    def dry_runs_first(self, on: bool) -> None:
        self.dry_first = on

    def get(self, path: str, **kwargs: Any) -> HttpResult:
        r = self.api.get(path, **kwargs)
        assert r.status == 200, r
        return r

    def invoice(self, invoice_id: str) -> dict[str, Any]:
        return self.docs[invoice_id]

    def memo(self, memo_id: str) -> dict[str, Any]:
        return self.docs[memo_id]

    def remember(self, records: list[dict[str, Any]]) -> None:
        for record in records:
            assert record["id"] not in self.records, record
            self.records[record["id"]] = dict(record)
            self.record_order.append(record["id"])

    def active(self, **match: str) -> D:
        return sum(
            (
                money(r["amount"])
                for r in self.records.values()
                if r["type"] == "Applied"
                and r["hasBeenUnapplied"] == "No"
                and all(r.get(k) == v for k, v in match.items())
            ),
            ZERO,
        )

    def paid(self, invoice_id: str, line_id: str | None = None) -> D:
        """The unreversed payments of an invoice (or their allocations to one line)."""
        total = ZERO
        for r in self.payments.values():
            if r["type"] != "Payment" or r["hasBeenReversed"] != "No" or r["invoiceId"] != invoice_id:
                continue
            if line_id is None:
                total += money(r["amount"])
            else:
                total += sum(
                    (
                        money(a["amount"])
                        for a in r.get("lineAllocations", [])
                        if a["invoiceLineId"] == line_id
                    ),
                    ZERO,
                )
        return total

    def refunded(self, memo_id: str, line_id: str | None = None) -> D:
        """The unreversed refunds of a memo (or what they drew from one line)."""
        total = ZERO
        for r in self.refunds.values():
            if r["type"] != "Refund" or r["hasBeenReversed"] != "No" or r["creditMemoId"] != memo_id:
                continue
            allocations = r["lineAllocations"]
            total += sum(
                (money(a["amount"]) for a in allocations if line_id in (None, a["creditMemoLineId"])), ZERO
            )
        return total

    def remember_refund(self, record: dict[str, Any]) -> None:
        assert record["id"] not in self.refunds, record
        self.refunds[record["id"]] = dict(record)
        self.refund_order.append(record["id"])
        self.pending.append((record["creditMemoId"], "balance", record["creditMemoBalance"]))

    def remember_payment(self, record: dict[str, Any]) -> None:
        assert record["id"] not in self.payments, record
        self.payments[record["id"]] = dict(record)
        self.payment_order.append(record["id"])
        self.pending.append((record["invoiceId"], "balance", record["invoiceBalance"]))

    def expect_after(self, records: list[dict[str, Any]]) -> None:
        """The documents must show the balances the last records snapshot."""
        last_memo: dict[str, str] = {}
        last_invoice: dict[str, str] = {}
        for record in records:
            last_memo[record["creditMemoId"]] = record["creditMemoBalance"]
            last_invoice[record["invoiceId"]] = record["invoiceBalance"]
        self.pending += [(k, "balance", v) for k, v in last_memo.items()]
        self.pending += [(k, "balance", v) for k, v in last_invoice.items()]

    def credited(self, line_id: str, *strategies: str) -> tuple[D, D]:
        """Charge and tax that the standing memos made by actions/credit took from an invoice line."""
        charge = tax = ZERO
        for memo_id, strategy in self.strategies.items():
            memo = self.memo(memo_id)
            if memo["status"] == "Voided" or (strategies and strategy not in strategies):
                continue
            for line in memo["lines"]:
                if line["referenceInvoiceLineId"] == line_id:
                    charge, tax = charge + money(line["chargeAmount"]), tax + money(line["taxAmount"])
        return charge, tax

    def copied_tax(self, line: dict[str, Any], amount: D, currency: str) -> D:
        """The tax of a CopyFromInvoiceLine credit of ``amount`` on ``line`` (spec section 6)."""
        charge, tax = money(line["chargeAmount"]), money(line["taxAmount"])
        if charge <= 0 or tax <= 0:
            return ZERO
        copied_charge, copied_tax = self.credited(line["id"], "CopyFromInvoiceLine")
        if copied_charge + amount == charge:
            share = tax - copied_tax  # the series covers the whole charge: the leftover
        else:
            unit = units(currency)
            share = (Fraction(tax) * Fraction(amount) / Fraction(charge) / Fraction(unit)).__floor__() * unit
        return max(min(share, tax - self.credited(line["id"])[1]), ZERO)

    @staticmethod
    def can_move(memo: dict[str, Any], invoice: dict[str, Any]) -> Expected | None:
        if memo["status"] != "Posted" or invoice["status"] != "Posted":
            return fail("INVALID_STATUS")
        if memo["billingAccountId"] != invoice["billingAccountId"]:
            return fail("ACCOUNT_MISMATCH")
        if memo["currency"] != invoice["currency"]:
            return fail("CURRENCY_MISMATCH")
        return None

    @staticmethod
    def pick(data: st.DataObject, candidates: list[Any], preferred: list[Any], odds: int = 3) -> Any:
        """Mostly (odds in odds + 1) one of ``preferred``, else any candidate."""
        if preferred and data.draw(st.integers(0, odds)) > 0:
            return data.draw(st.sampled_from(preferred))
        return data.draw(st.sampled_from(candidates))

    def usable_memos(self) -> list[str]:
        return [
            m
            for m in self.memo_ids
            if self.memo(m)["status"] == "Posted" and money(self.memo(m)["balance"]) > 0
        ]

    def usable_invoices(self, memo: dict[str, Any], level: str | None = None) -> list[str]:
        return [
            i
            for i in self.invoice_ids
            if self.can_move(memo, self.invoice(i)) is None
            and money(self.invoice(i)["balance"]) > 0
            and level in (None, self.invoice(i)["settlementLevel"])
        ]

    @staticmethod
    def draw_amount(data: st.DataObject, available: D, currency: str) -> D | None:
        """None (apply the default), an amount that fits, or one that over-asks."""
        unit = units(currency)
        choice = data.draw(
            st.sampled_from(["default", "default", "fits", "fits", "fits", "all", "over", "small"])
        )
        if choice == "default":
            return None
        if choice == "all" and available > 0:
            return available
        if choice == "fits" and available > unit:
            return unit * data.draw(st.integers(1, int(available / unit)))
        if choice == "over":
            return max(available, ZERO) + unit * data.draw(st.integers(1, 500))
        return unit * data.draw(st.integers(1, 300))

    # ------------------------------------------------------------ creating documents

    @initialize(data=st.data())
    def start_with_documents_that_can_meet(self, data: st.DataObject) -> None:
        """Posted invoices (one per level) and memos of one account and currency: credit can move.

        The second invoice has a negative line, so conversions (and their voids) happen early.
        """
        self.create_invoice(data, "acct-a", "USD", "Invoice", "Posted", valid=True)
        self.create_invoice(data, "acct-a", "USD", "InvoiceLine", "Posted", valid=True, negative=True)
        self.create_memo(data, "acct-a", "USD", "Posted")
        self.create_memo(data, "acct-a", "USD", "Posted")

    @precondition(lambda self: len(self.invoice_ids) < MAX_INVOICES)
    @rule(
        data=st.data(),
        account=ACCOUNTS,
        currency=CURRENCIES,
        level=st.sampled_from(["Invoice", "InvoiceLine"]),
        status=STATUSES,
    )
    def create_invoice(
        self,
        data: st.DataObject,
        account: str,
        currency: str,
        level: str,
        status: str,
        valid: bool = False,
        negative: bool = False,
    ) -> None:
        unit = units(currency)
        lines = []
        for _ in range(data.draw(st.integers(1, 3))):
            sign = data.draw(st.sampled_from([1, 1, 1, -1]))
            charge = sign * data.draw(st.integers(0, 20000)) * unit
            tax = data.draw(st.integers(0, 1500)) * unit * (-1 if charge < 0 else 1)
            lines.append((charge, tax))
        if negative:
            lines.append((-data.draw(st.integers(1, 5000)) * unit, -data.draw(st.integers(0, 300)) * unit))
        total = sum((c + t for c, t in lines), ZERO)
        if valid and total < 0:
            lines.append((-total, ZERO))
            total = ZERO
        expected = fail("VALIDATION_ERROR") if total < 0 else Expected(201)
        body = {
            "billingAccountId": account,
            "currency": currency,
            "status": status,
            "settlementLevel": level,
            "lines": [{"chargeAmount": text(c, currency), "taxAmount": text(t, currency)} for c, t in lines],
        }
        r = self.send("/invoices", body, expected)
        if r.status == 201:
            assert money(r.body["totalAmountWithTax"]) == total == money(r.body["balance"])
            assert (r.body["status"], r.body["settlementLevel"]) == (status, level)
            self.invoice_ids.append(r.body["id"])

    @precondition(lambda self: self.standalone_memos < MAX_STANDALONE_MEMOS)
    @rule(
        data=st.data(),
        account=ACCOUNTS,
        currency=CURRENCIES,
        status=STATUSES,
    )
    def create_memo(self, data: st.DataObject, account: str, currency: str, status: str) -> None:
        reason = data.draw(REASONS)
        unit = units(currency)
        charges = []
        total = ZERO
        for index in range(data.draw(st.integers(1, 2))):
            charge = data.draw(st.integers(1, 5000)) * unit
            taxes = [data.draw(st.integers(0, 600)) * unit for _ in range(data.draw(st.integers(0, 1)))]
            total += charge + sum(taxes, ZERO)
            charges.append(
                {
                    "chargeAmount": text(charge, currency),
                    "productName": f"product {index}",
                    "taxes": [{"taxAmount": text(t, currency), "taxName": "VAT"} for t in taxes],
                }
            )
        body = {"billingAccountId": account, "currency": currency, "type": status, "charges": charges}
        if reason is not None:
            body["reasonCode"] = reason
        key = str(uuid.uuid4()) if data.draw(st.booleans()) else None
        r = self.send("/credit-memos", body, Expected(201), key)
        if key is not None:
            # A retry under the same key replays the same memo, with the same number: none consumed.
            again = self.send("/credit-memos", body, Expected(201), key)
            assert again.body == r.body and again.headers.get("Idempotent-Replayed") == "true"
        assert money(r.body["totalAmountWithTax"]) == total == money(r.body["balance"])
        assert r.body["status"] == status
        assert r.body["reasonCode"] == reason and r.body["createdBy"] == "local"
        self.memo_ids.append(r.body["id"])
        self.standalone_memos += 1

    @rule(reason=st.sampled_from(["goodwill", "Refund", "", "Other "]), status=STATUSES)
    def create_memo_with_an_unknown_reason(self, reason: str, status: str) -> None:
        # Refused before anything is written: it consumes no number (the invariant sees no gap).
        charges = [{"chargeAmount": "1.00", "productName": "p"}]
        body = {"billingAccountId": "acct-a", "currency": "USD", "type": status, "charges": charges}
        self.send("/credit-memos", body | {"reasonCode": reason}, fail("VALIDATION_ERROR"))

    # ------------------------------------------------------------ status changes

    @precondition(lambda self: any(doc["status"] == "Draft" for doc in self.docs.values()))
    @rule(data=st.data())
    def post_document(self, data: st.DataObject) -> None:
        everything = [*self.invoice_ids, *self.memo_ids]
        doc_id = self.pick(data, everything, [d for d in everything if self.docs[d]["status"] == "Draft"])
        kind = "invoices" if doc_id in self.invoice_ids else "credit-memos"
        draft = self.docs[doc_id]["status"] == "Draft"
        r = self.send(
            f"/{kind}/{doc_id}/actions/post", {}, Expected(200) if draft else fail("INVALID_STATUS")
        )
        if r.status == 200:
            assert r.body["status"] == "Posted" and r.body["balance"] == self.docs[doc_id]["balance"]

    @precondition(lambda self: self.invoice_ids or self.memo_ids)
    @rule(data=st.data())
    def a_reader_changes_nothing(self, data: st.DataObject) -> None:
        doc_id = data.draw(st.sampled_from([*self.invoice_ids, *self.memo_ids]))
        if doc_id in self.invoice_ids:
            action = data.draw(st.sampled_from(["post", "convert-to-credit"]))
            path = f"/invoices/{doc_id}/actions/{action}"
        else:
            path = f"/credit-memos/{doc_id}/actions/{data.draw(st.sampled_from(['post', 'void']))}"
        self.send(path, {}, fail("FORBIDDEN"), key=f"reader-{uuid.uuid4().hex}", principal=READER)

    @precondition(lambda self: self.invoice_ids or self.memo_ids)
    @rule(data=st.data())
    def another_accounts_operator_finds_nothing(self, data: st.DataObject) -> None:
        doc_id = data.draw(st.sampled_from([*self.invoice_ids, *self.memo_ids]))
        kind = "invoices" if doc_id in self.invoice_ids else "credit-memos"
        r = self.api.get(f"/{kind}/{doc_id}", headers={"X-Local-Principal": OUTSIDER})
        assert (r.status, r.body["errorCode"]) == (404, "NOT_FOUND"), r
        self.send(f"/{kind}/{doc_id}/actions/post", {}, fail("NOT_FOUND"), principal=OUTSIDER)

    @precondition(lambda self: self.memo_ids)
    @rule(data=st.data())
    def void_memo(self, data: st.DataObject) -> None:
        # Mostly the refusals (not Posted, active applications) and conversion memos, whose void
        # undoes the conversion (spec section 6): a voided memo moves no more credit.
        refused = [
            m
            for m in self.memo_ids
            if self.memo(m)["status"] != "Posted" or self.active(creditMemoId=m) > 0 or self.refunded(m) > 0
        ]
        conversions = [
            m
            for m in self.memo_ids
            if m not in refused and self.memo(m)["sourceAction"] == "NegativeInvoiceLineConversion"
        ]
        memo_id = self.pick(data, self.memo_ids, refused + conversions, odds=1)
        memo = self.memo(memo_id)
        converted: list[dict[str, Any]] = []
        if memo["sourceAction"] == "NegativeInvoiceLineConversion":
            invoice = self.invoice(memo["referenceInvoiceId"])
            named = {x["referenceInvoiceLineId"] for x in memo["lines"]}
            converted = [x for x in invoice["lines"] if x["id"] in named]
        raised = -sum((money(x["convertedNegAmount"]) for x in converted), ZERO)
        if memo["status"] != "Posted":
            expected = fail("INVALID_STATUS")
        elif self.active(creditMemoId=memo_id) > 0:
            expected = fail("HAS_ACTIVE_APPLICATIONS")
        elif self.refunded(memo_id) > 0:
            expected = fail("HAS_ACTIVE_REFUNDS")
        elif converted and raised > money(invoice["balance"]):
            expected = fail("INSUFFICIENT_BALANCE")  # the invoice's balance would go below 0
        else:
            expected = Expected(200)
        reason = data.draw(REASONS)
        body = {} if reason is None else {"reasonCode": reason}
        r = self.send(f"/credit-memos/{memo_id}/actions/void", body, expected)
        event(f"void of a {memo['sourceAction']} memo: {r.status}")
        if r.status == 200:
            assert r.body["status"] == "Voided" and money(r.body["balance"]) == 0
            assert (r.body["voidReasonCode"], r.body["voidedBy"]) == (reason, "local")
            assert r.body["documentNumber"] == memo["documentNumber"]
        if r.status == 200 and converted:
            # The conversion is undone: the lines are unconverted, the balance is what it was.
            currency = invoice["currency"]
            after = money(invoice["balance"]) - raised
            self.pending.append((invoice["id"], "balance", text(after, currency)))
            left = money(invoice["totalConvertedNegAmount"]) + raised
            self.pending.append((invoice["id"], "totalConvertedNegAmount", text(left, currency)))
            self.pending_lines += [(invoice["id"], x["id"], text(ZERO, currency)) for x in converted]

    # ------------------------------------------------------------ moving credit

    @precondition(lambda self: self.memo_ids and self.invoice_ids)
    @rule(data=st.data())
    def apply_memo(self, data: st.DataObject) -> None:
        memo_id = self.pick(data, self.memo_ids, self.usable_memos())
        memo = self.memo(memo_id)
        count = data.draw(st.sampled_from([1, 1, 1, 2]))
        invoice_ids = [self.pick(data, self.invoice_ids, self.usable_invoices(memo)) for _ in range(count)]
        memo_left = money(memo["balance"])
        invoice_left = {i: money(self.invoice(i)["balance"]) for i in invoice_ids}
        targets: list[dict[str, Any]] = []
        expected: Expected | None = None
        applied: list[D] = []
        for invoice_id in invoice_ids:
            invoice = self.invoice(invoice_id)
            amount = self.draw_amount(data, min(memo_left, invoice_left[invoice_id]), memo["currency"])
            targets.append(
                {"invoiceId": invoice_id}
                if amount is None
                else {"invoiceId": invoice_id, "amount": f"{amount:f}"}
            )
            if expected is not None:
                continue
            expected = self.can_move(memo, invoice)
            if expected is not None:
                continue
            value = min(memo_left, invoice_left[invoice_id]) if amount is None else amount
            if value <= 0 or value > memo_left or value > invoice_left[invoice_id]:
                expected = fail("INSUFFICIENT_BALANCE")
                continue
            memo_left -= value
            invoice_left[invoice_id] -= value
            applied.append(value)
        r = self.send(
            f"/credit-memos/{memo_id}/actions/apply", {"applications": targets}, expected or Expected(200)
        )
        if r.status != 200:
            return
        records = r.body["applications"]
        self.remember(records)
        assert money(r.body["creditMemo"]["balance"]) == memo_left
        assert sum((money(x["amount"]) for x in records), ZERO) == sum(applied, ZERO)
        assert r.body["creditMemo"]["balance"] == records[-1]["creditMemoBalance"]
        for record in records:
            level = self.invoice(record["invoiceId"])["settlementLevel"]
            assert record["level"] == level and record["type"] == "Applied" and money(record["amount"]) > 0
        self.expect_after(records)

    @precondition(lambda self: self.memo_ids and self.invoice_ids)
    @rule(data=st.data())
    def apply_memo_line(self, data: st.DataObject) -> None:
        memo_id = self.pick(data, self.memo_ids, self.usable_memos())
        memo = self.memo(memo_id)
        memo_line = self.pick(data, memo["lines"], [x for x in memo["lines"] if money(x["balance"]) > 0])
        invoice_id = self.pick(data, self.invoice_ids, self.usable_invoices(memo, "InvoiceLine"))
        invoice = self.invoice(invoice_id)
        open_lines = [x for x in invoice["lines"] if money(x["balance"]) > 0]
        lines = [
            self.pick(data, invoice["lines"], open_lines)
            for _ in range(data.draw(st.sampled_from([1, 1, 2])))
        ]
        expected = self.can_move(memo, invoice)
        if expected is None and invoice["settlementLevel"] != "InvoiceLine":
            expected = fail("LEVEL_MISMATCH")
        memo_left = min(money(memo["balance"]), money(memo_line["balance"]))
        invoice_left = money(invoice["balance"])
        line_left: dict[str, D] = {}
        targets = []
        for line in lines:
            available = line_left.get(line["id"], money(line["balance"]))
            amount = self.draw_amount(data, min(memo_left, invoice_left, available), memo["currency"])
            target = {"invoiceId": invoice_id, "invoiceLineId": line["id"]}
            targets.append(target if amount is None else {**target, "amount": f"{amount:f}"})
            if expected is not None:
                continue
            value = min(memo_left, invoice_left, available) if amount is None else amount
            if value <= 0 or value > memo_left or value > available or value > invoice_left:
                expected = fail("INSUFFICIENT_BALANCE")
                continue
            memo_left -= value
            invoice_left -= value
            line_left[line["id"]] = available - value
        r = self.send(
            f"/credit-memos/{memo_id}/lines/{memo_line['id']}/actions/apply",
            {"applications": targets},
            expected or Expected(200),
        )
        if r.status != 200:
            return
        records = r.body["applications"]
        assert len(records) == len(targets)
        assert all(x["creditMemoLineId"] == memo_line["id"] and x["level"] == "InvoiceLine" for x in records)
        self.remember(records)
        self.expect_after(records)
        self.pending.append((memo_id, "balance", r.body["creditMemo"]["balance"]))

    @precondition(lambda self: self.records)
    @rule(data=st.data())
    def unapply(self, data: st.DataObject) -> None:
        active = [i for i in self.record_order if self.records[i]["hasBeenUnapplied"] == "No"]
        record = self.records[self.pick(data, self.record_order, active)]
        if data.draw(st.integers(0, 3)) == 0:
            level = data.draw(st.sampled_from(["Invoice", "InvoiceLine"]))
        else:
            level = record["level"]
        via_line_endpoint = level == "InvoiceLine"
        if record["level"] != level:
            expected = fail("LEVEL_MISMATCH")
        elif record["type"] != "Applied":
            expected = fail("INVALID_STATUS")
        elif record["hasBeenUnapplied"] == "Yes":
            expected = fail("ALREADY_UNAPPLIED")
        else:
            expected = Expected(200)
        path = "credit-memo-line-applications" if via_line_endpoint else "credit-memo-applications"
        if data.draw(st.integers(0, 7)) == 0:  # an id that was never issued
            entry = record["id"].rsplit(".", 1)[0]
            unknown = data.draw(st.sampled_from([f"{entry}.99", "app_00000000000000000000000000.1"]))
            self.send(f"/{path}/{unknown}/actions/unapply", {}, fail("NOT_FOUND"))
            return
        r = self.send(f"/{path}/{record['id']}/actions/unapply", {}, expected)
        if r.status != 200:
            return
        assert r.body["type"] == "Unapplied" and r.body["associatedApplicationId"] == record["id"]
        assert r.body["amount"] == record["amount"] and r.body["hasBeenUnapplied"] == "NA"
        assert r.body["appliedDate"] == record["appliedDate"] and r.body["unappliedDate"]
        record["hasBeenUnapplied"] = "Yes"
        record["unappliedDate"] = r.body["unappliedDate"]
        self.remember([r.body])
        self.expect_after([r.body])

    @precondition(lambda self: self.invoice_ids and len(self.memo_ids) < MAX_MEMOS)
    @rule(data=st.data(), apply_to_invoice=st.booleans(), name_lines=st.booleans())
    def convert_negative_lines(self, data: st.DataObject, apply_to_invoice: bool, name_lines: bool) -> None:
        invoice_id = data.draw(st.sampled_from(self.invoice_ids))
        invoice = self.invoice(invoice_id)
        body: dict[str, Any] = {"applyToInvoice": apply_to_invoice}
        negatives = [line for line in invoice["lines"] if money(line["amountWithTax"]) < 0]
        open_negatives = [line for line in negatives if money(line["convertedNegAmount"]) == 0]
        if name_lines:
            chosen = data.draw(
                st.lists(st.sampled_from(invoice["lines"]), min_size=1, max_size=2, unique_by=id)
            )
            body["invoiceLineIds"] = [line["id"] for line in chosen]
        else:
            chosen = open_negatives
        if invoice["status"] != "Posted":
            expected = fail("INVALID_STATUS")
        elif self.active(invoiceId=invoice_id) > 0:
            expected = fail("HAS_ACTIVE_APPLICATIONS")
        elif not name_lines and not negatives:
            expected = fail("VALIDATION_ERROR")
        elif not name_lines and not open_negatives:
            expected = fail("ALREADY_CONVERTED")
        else:
            expected = Expected(201)
            for line in chosen:
                if money(line["amountWithTax"]) >= 0:
                    expected = fail("VALIDATION_ERROR")
                    break
                if money(line["convertedNegAmount"]) != 0:
                    expected = fail("ALREADY_CONVERTED")
                    break
        r = self.send(f"/invoices/{invoice_id}/actions/convert-to-credit", body, expected)
        if r.status != 201:
            return
        memo = r.body["creditMemo"]
        converted = -sum((money(line["amountWithTax"]) for line in chosen), ZERO)
        assert memo["sourceAction"] == "NegativeInvoiceLineConversion" and memo["status"] == "Posted"
        assert money(memo["totalAmountWithTax"]) == converted
        assert sorted(x["referenceInvoiceLineId"] for x in memo["lines"]) == sorted(x["id"] for x in chosen)
        records = r.body["applications"]
        balance_after_conversion = money(invoice["balance"]) + converted
        applied = sum((money(x["amount"]) for x in records), ZERO)
        assert applied == (min(converted, balance_after_conversion) if apply_to_invoice else 0)
        self.memo_ids.append(memo["id"])
        self.remember(records)
        self.expect_after(records)

    @precondition(lambda self: self.invoice_ids and len(self.memo_ids) < MAX_MEMOS)
    @rule(data=st.data(), strategy=st.sampled_from(["Ignore", "ManualOverride", "CopyFromInvoiceLine"]))
    def credit_invoice(self, data: st.DataObject, strategy: str) -> None:
        """Create-and-apply from invoice lines; the failure is not always predicted, only checked."""
        invoice_id = data.draw(st.sampled_from(self.invoice_ids))
        invoice = self.invoice(invoice_id)
        line = data.draw(st.sampled_from(invoice["lines"]))
        unit = units(invoice["currency"])
        amount = unit * data.draw(st.integers(1, 3000))
        request: dict[str, Any] = {"invoiceLineId": line["id"], "amountToCredit": f"{amount:f}"}
        tax = ZERO
        if strategy == "ManualOverride":
            tax = unit * data.draw(st.integers(0, 400))
            request["taxes"] = [{"taxAmount": f"{tax:f}", "taxName": "VAT"}]
        elif strategy == "CopyFromInvoiceLine" and amount <= money(line["chargeAmount"]):
            tax = self.copied_tax(line, amount, invoice["currency"])
        body = {"taxStrategy": strategy, "invoiceLines": [request]}
        r = self.api.post(f"/invoices/{invoice_id}/actions/credit", body)
        assert r.status < 500, r
        if invoice["status"] != "Posted":
            assert (r.status, r.body["errorCode"]) == (409, "INVALID_STATUS"), r
        elif amount > money(line["chargeAmount"]):
            assert (r.status, r.body["errorCode"]) == (422, "VALIDATION_ERROR"), r
        if r.status >= 400:
            assert r.body["errorCode"] in ("VALIDATION_ERROR", "INSUFFICIENT_BALANCE", "INVALID_STATUS"), r
            self.last_failed = True
            return
        assert r.status == 201, r
        memo = r.body["creditMemo"]
        assert memo["sourceAction"] == "Invoice" and memo["referenceInvoiceId"] == invoice_id
        assert money(memo["totalChargeAmount"]) == amount and money(memo["balance"]) == 0
        assert money(memo["totalTaxAmount"]) == tax, (line, self.credited(line["id"]))
        assert money(memo["totalTaxAmount"]) <= money(line["taxAmount"]) - self.credited(line["id"])[1]
        assert money(memo["totalAmountWithTax"]) <= money(invoice["balance"])
        self.memo_ids.append(memo["id"])
        self.strategies[memo["id"]] = strategy
        self.remember(r.body["applications"])
        self.expect_after(r.body["applications"])

    # ------------------------------------------------------------ payments (spec section 8)

    @precondition(lambda self: self.invoice_ids)
    @rule(data=st.data())
    def record_payment(self, data: st.DataObject) -> None:
        open_invoices = [
            i
            for i in self.invoice_ids
            if self.invoice(i)["status"] == "Posted" and money(self.invoice(i)["balance"]) > 0
        ]
        invoice_id = self.pick(data, self.invoice_ids, open_invoices)
        invoice = self.invoice(invoice_id)
        currency = invoice["currency"]
        balance = money(invoice["balance"])
        amount = self.draw_amount(data, balance, currency)
        if amount is None or amount <= 0:
            amount = balance if balance > 0 else units(currency)
        used = [r for r in self.payments.values() if r["invoiceId"] == invoice_id and r["type"] == "Payment"]
        held = {r["paymentReference"] for r in used if r["hasBeenReversed"] == "No"}
        if used and data.draw(st.integers(0, 3)) == 0:
            reference = data.draw(st.sampled_from(sorted(r["paymentReference"] for r in used)))
        else:
            reference = f"ref-{uuid.uuid4().hex[:8]}"
        if invoice["status"] != "Posted":
            expected = fail("INVALID_STATUS")
        elif reference in held:
            expected = fail("DUPLICATE_REFERENCE")
        elif amount > balance:
            expected = fail("INSUFFICIENT_BALANCE")
        else:
            expected = Expected(201)
        body = {"amount": f"{amount:f}", "paymentReference": reference}
        key = str(uuid.uuid4()) if data.draw(st.booleans()) else None
        r = self.send(f"/invoices/{invoice_id}/actions/record-payment", body, expected, key)
        event(f"record-payment: {r.status}")
        if r.status != 201:
            return
        if key is not None:
            again = self.send(f"/invoices/{invoice_id}/actions/record-payment", body, Expected(201), key)
            assert again.body == r.body and again.headers.get("Idempotent-Replayed") == "true"
        assert (r.body["type"], r.body["hasBeenReversed"], r.body["createdBy"]) == ("Payment", "No", "local")
        assert money(r.body["amount"]) == amount and money(r.body["invoiceBalance"]) == balance - amount
        if invoice["settlementLevel"] == "InvoiceLine":
            allocations = r.body["lineAllocations"]
            assert sum((money(a["amount"]) for a in allocations), ZERO) == amount
            # Highest balance first, ties in line order; each allocation within its line's balance.
            line_balance = {x["id"]: money(x["balance"]) for x in invoice["lines"]}
            order = sorted(
                (x["id"] for x in invoice["lines"] if line_balance[x["id"]] > 0),
                key=lambda i: -line_balance[i],
            )
            assert [a["invoiceLineId"] for a in allocations] == order[: len(allocations)]
            assert all(money(a["amount"]) <= line_balance[a["invoiceLineId"]] for a in allocations)
        else:
            assert "lineAllocations" not in r.body
        self.remember_payment(r.body)

    @precondition(lambda self: self.payments)
    @rule(data=st.data())
    def reverse_payment(self, data: st.DataObject) -> None:
        standing = [
            i
            for i in self.payment_order
            if self.payments[i]["type"] == "Payment" and self.payments[i]["hasBeenReversed"] == "No"
        ]
        record = self.payments[self.pick(data, self.payment_order, standing)]
        if record["type"] != "Payment":
            expected = fail("INVALID_STATUS")
        elif record["hasBeenReversed"] == "Yes":
            expected = fail("ALREADY_REVERSED")
        else:
            expected = Expected(200)
        reason = data.draw(REASONS)
        body = {} if reason is None else {"reasonCode": reason}
        r = self.send(f"/invoice-payments/{record['id']}/actions/reverse", body, expected)
        if r.status != 200:
            return
        assert (r.body["type"], r.body["associatedPaymentId"], r.body["amount"]) == (
            "Reversal",
            record["id"],
            record["amount"],
        )
        assert r.body["reasonCode"] == reason and r.body.get("lineAllocations") == record.get(
            "lineAllocations"
        )
        before = money(self.invoice(record["invoiceId"])["balance"])
        assert money(r.body["invoiceBalance"]) == before + money(record["amount"])
        record["hasBeenReversed"] = "Yes"
        record["reversedAt"] = r.body["createdAt"]
        self.remember_payment(r.body)

    # ------------------------------------------------------------ refunds (spec section 10)

    @precondition(lambda self: self.memo_ids)
    @rule(data=st.data())
    def refund_memo(self, data: st.DataObject) -> None:
        open_memos = [
            m
            for m in self.memo_ids
            if self.memo(m)["status"] == "Posted" and money(self.memo(m)["balance"]) > 0
        ]
        memo_id = self.pick(data, self.memo_ids, open_memos)
        memo = self.memo(memo_id)
        currency = memo["currency"]
        balance = money(memo["balance"])
        amount = self.draw_amount(data, balance, currency)
        if amount is None or amount <= 0:
            amount = balance if balance > 0 else units(currency)
        used = [r for r in self.refunds.values() if r["creditMemoId"] == memo_id and r["type"] == "Refund"]
        held = {r["refundReference"] for r in used if r["hasBeenReversed"] == "No"}
        if used and data.draw(st.integers(0, 3)) == 0:
            reference = data.draw(st.sampled_from(sorted(r["refundReference"] for r in used)))
        else:
            reference = f"ach-{uuid.uuid4().hex[:8]}"
        if memo["status"] != "Posted":
            expected = fail("INVALID_STATUS")
        elif reference in held:
            expected = fail("DUPLICATE_REFERENCE")
        elif amount > balance:
            expected = fail("INSUFFICIENT_BALANCE")
        else:
            expected = Expected(201)
        body = {"amount": f"{amount:f}", "refundReference": reference}
        key = str(uuid.uuid4()) if data.draw(st.booleans()) else None
        r = self.send(f"/credit-memos/{memo_id}/actions/refund", body, expected, key)
        event(f"refund: {r.status}")
        if r.status != 201:
            return
        if key is not None:
            again = self.send(f"/credit-memos/{memo_id}/actions/refund", body, Expected(201), key)
            assert again.body == r.body and again.headers.get("Idempotent-Replayed") == "true"
        assert (r.body["type"], r.body["hasBeenReversed"], r.body["createdBy"]) == ("Refund", "No", "local")
        assert money(r.body["amount"]) == amount and money(r.body["creditMemoBalance"]) == balance - amount
        allocations = r.body["lineAllocations"]
        assert sum((money(a["amount"]) for a in allocations), ZERO) == amount
        # Highest balance first, ties in line order; each allocation within its line's balance.
        line_balance = {x["id"]: money(x["balance"]) for x in memo["lines"]}
        order = sorted(
            (x["id"] for x in memo["lines"] if line_balance[x["id"]] > 0), key=lambda i: -line_balance[i]
        )
        assert [a["creditMemoLineId"] for a in allocations] == order[: len(allocations)]
        assert all(money(a["amount"]) <= line_balance[a["creditMemoLineId"]] for a in allocations)
        self.remember_refund(r.body)

    @precondition(lambda self: self.refunds)
    @rule(data=st.data())
    def reverse_refund(self, data: st.DataObject) -> None:
        standing = [
            i
            for i in self.refund_order
            if self.refunds[i]["type"] == "Refund" and self.refunds[i]["hasBeenReversed"] == "No"
        ]
        record = self.refunds[self.pick(data, self.refund_order, standing)]
        if record["type"] != "Refund":
            expected = fail("INVALID_STATUS")
        elif record["hasBeenReversed"] == "Yes":
            expected = fail("ALREADY_REVERSED")
        else:
            expected = Expected(200)
        reason = data.draw(REASONS)
        body = {} if reason is None else {"reasonCode": reason}
        r = self.send(f"/credit-memo-refunds/{record['id']}/actions/reverse", body, expected)
        event(f"reverse refund: {r.status}")
        if r.status != 200:
            return
        assert (r.body["type"], r.body["associatedRefundId"], r.body["amount"]) == (
            "Reversal",
            record["id"],
            record["amount"],
        )
        assert r.body["reasonCode"] == reason and r.body["lineAllocations"] == record["lineAllocations"]
        before = money(self.memo(record["creditMemoId"])["balance"])
        assert money(r.body["creditMemoBalance"]) == before + money(record["amount"])
        record["hasBeenReversed"] = "Yes"
        record["reversedAt"] = r.body["createdAt"]
        self.remember_refund(r.body)

    # ------------------------------------------------------------ write-offs (spec section 10)

    @precondition(lambda self: self.invoice_ids and len(self.memo_ids) < MAX_MEMOS)
    @rule(data=st.data())
    def write_off_invoices(self, data: st.DataObject) -> None:
        """Each invoice on its own: an unknown, a Draft or a settled one fails alone."""
        open_ = [
            i
            for i in self.invoice_ids
            if self.invoice(i)["status"] == "Posted" and money(self.invoice(i)["balance"]) > 0
        ]
        chosen = [self.pick(data, self.invoice_ids, open_)]
        others = [i for i in self.invoice_ids if i not in chosen]
        if others and data.draw(st.booleans()):
            chosen.append(data.draw(st.sampled_from(others)))
        if data.draw(st.integers(0, 4)) == 0:
            chosen.insert(data.draw(st.integers(0, len(chosen))), "inv_doesnotexist")
        reason = data.draw(st.sampled_from(["BadDebt", "BadDebt", "Other"]))
        key = str(uuid.uuid4()) if data.draw(st.booleans()) else None
        body = {"invoices": [{"invoiceId": i, "reasonCode": reason} for i in chosen]}
        r = self.send("/invoices/actions/write-off", body, Expected(200), key)
        results = r.body["results"]
        assert [x["invoiceId"] for x in results] == chosen
        for invoice_id, result in zip(chosen, results, strict=True):
            event(f"write-off: {result['error'] and result['error']['errorCode']}")
            if invoice_id not in self.invoice_ids:
                assert result["error"]["errorCode"] == "NOT_FOUND", result
                continue
            invoice = self.invoice(invoice_id)
            if invoice["status"] != "Posted" or money(invoice["balance"]) == 0:
                assert result["error"]["errorCode"] == "INVALID_STATUS", result
                continue
            assert result["success"] and result["error"] is None, result
            memo, currency = result["creditMemo"], invoice["currency"]
            assert (memo["sourceAction"], memo["reasonCode"]) == ("WriteOffPostedInvoice", reason)
            assert memo["referenceInvoiceId"] == invoice_id and memo["status"] == "Posted"
            assert memo["totalAmountWithTax"] == invoice["balance"] and money(memo["balance"]) == 0
            sources = {x["id"]: x for x in invoice["lines"]}
            for line in memo["lines"]:
                source = sources[line["referenceInvoiceLineId"]]
                source_tax, source_total = money(source["taxAmount"]), money(source["amountWithTax"])
                share = ZERO if source_tax <= 0 else money(line["amountWithTax"]) * source_tax / source_total
                assert abs(money(line["taxAmount"]) - share) <= units(currency) / 2, (line, source)
            self.memo_ids.append(memo["id"])
            self.remember(result["applications"])
            self.expect_after(result["applications"])
            self.pending.append((invoice_id, "settlementStatus", "Settled"))
        if key is not None:
            again = self.send("/invoices/actions/write-off", body, Expected(200), key)
            assert again.body == r.body and again.headers.get("Idempotent-Replayed") == "true"

    # ------------------------------------------------------------ invariants

    @invariant()
    def documents_satisfy_the_invariants(self) -> None:
        docs = {}
        for doc_id in self.invoice_ids:
            docs[doc_id] = self.get(f"/invoices/{doc_id}").body
        for doc_id in self.memo_ids:
            docs[doc_id] = self.get(f"/credit-memos/{doc_id}").body
        if self.last_failed:
            assert docs == self.docs, "a failed request changed a document"
            self.last_failed = False
        self.docs = docs
        for doc_id, field, value in self.pending:
            assert docs[doc_id][field] == value, (doc_id, field, value, docs[doc_id])
        self.pending = []
        for invoice_id, line_id, value in self.pending_lines:
            line = next(x for x in docs[invoice_id]["lines"] if x["id"] == line_id)
            assert line["convertedNegAmount"] == value, (invoice_id, line)
        self.pending_lines = []
        for invoice_id in self.invoice_ids:
            self.check_invoice(docs[invoice_id])
        for memo_id in self.memo_ids:
            self.check_memo(docs[memo_id])
        self.check_numbers(docs)
        for record in self.records.values():
            assert record["createdBy"] == "local", record
            memo, invoice = docs[record["creditMemoId"]], docs[record["invoiceId"]]
            assert memo["billingAccountId"] == invoice["billingAccountId"]
            assert memo["currency"] == invoice["currency"]
            assert invoice["status"] == "Posted" and memo["status"] != "Draft"

    def check_numbers(self, docs: dict[str, dict[str, Any]]) -> None:
        for memo_id in self.memo_ids:
            memo = docs[memo_id]
            number = memo["documentNumber"]
            assert memo["createdBy"] == "local", memo
            assert (number is None) == (memo["status"] == "Draft"), memo
            if memo_id in self.numbers:
                assert number == self.numbers[memo_id], "a memo's number changed"
            elif number is not None:
                match = NUMBER.match(number)
                assert match, number
                issued = [int(n[3:]) for n in self.numbers.values()]
                assert int(match.group(1)) > max(issued, default=0), "a later posting got a smaller number"
                self.numbers[memo_id] = number
                # The sparse index finds it without a billing account.
                found = self.get("/credit-memos", query={"documentNumber": number}).body["items"]
                assert [m["id"] for m in found] == [memo_id], (number, found)
        expected = [f"CM-{i:08d}" for i in range(1, len(self.numbers) + 1)]
        assert sorted(self.numbers.values()) == expected, "numbers have a gap or a duplicate"

    def check_amounts(self, doc: dict[str, Any], *names: str) -> None:
        pattern = amount_re(doc["currency"])
        for name in names:
            assert pattern.match(doc[name]), (name, doc[name], doc["currency"])
        for line in doc["lines"]:
            for name in ("chargeAmount", "taxAmount", "amountWithTax", "balance", "netCreditsApplied"):
                assert pattern.match(line[name]), (name, line[name], doc["currency"])
            if "netPaymentsApplied" in line:
                assert pattern.match(line["netPaymentsApplied"]), (line, doc["currency"])

    def check_invoice(self, invoice: dict[str, Any]) -> None:
        self.check_amounts(
            invoice,
            "totalChargeAmount",
            "totalTaxAmount",
            "totalAmountWithTax",
            "totalConvertedNegAmount",
            "netCreditsApplied",
            "balance",
        )
        lines = invoice["lines"]
        total = money(invoice["totalAmountWithTax"])
        converted = money(invoice["totalConvertedNegAmount"])
        balance = money(invoice["balance"])
        active = self.active(invoiceId=invoice["id"])
        paid = self.paid(invoice["id"])
        assert total == sum((money(x["amountWithTax"]) for x in lines), ZERO)
        assert money(invoice["totalChargeAmount"]) == sum((money(x["chargeAmount"]) for x in lines), ZERO)
        assert converted == sum((money(x["convertedNegAmount"]) for x in lines), ZERO)
        assert converted <= 0 and total >= 0
        assert balance == total - converted - active - paid, (invoice, active, paid)
        assert money(invoice["netCreditsApplied"]) == active
        assert money(invoice["netPaymentsApplied"]) == paid
        assert balance >= 0
        if invoice["status"] == "Draft":
            assert active == 0 and paid == 0
        settled_some = active > 0 or paid > 0
        status = "Settled" if balance == 0 else ("PartiallySettled" if settled_some else "NotSettled")
        assert invoice["settlementStatus"] == status
        for line in lines:
            charge, tax = self.credited(line["id"])
            assert charge <= max(money(line["chargeAmount"]), ZERO), (line, charge)
            assert tax <= max(money(line["taxAmount"]), ZERO), (line, tax)
        if invoice["settlementLevel"] == "InvoiceLine":
            assert balance == sum((money(x["balance"]) for x in lines), ZERO)
            for line in lines:
                line_active = self.active(invoiceLineId=line["id"])
                line_paid = self.paid(invoice["id"], line["id"])
                expected = (
                    money(line["amountWithTax"]) - money(line["convertedNegAmount"]) - line_active - line_paid
                )
                assert money(line["balance"]) == expected, (line, line_active, line_paid)
                assert money(line["netCreditsApplied"]) == line_active
                assert money(line["netPaymentsApplied"]) == line_paid
        else:
            assert not any(
                r.get("invoiceLineId") for r in self.records.values() if r["invoiceId"] == invoice["id"]
            )

    def check_memo(self, memo: dict[str, Any]) -> None:
        self.check_amounts(
            memo, "totalChargeAmount", "totalTaxAmount", "totalAmountWithTax", "netCreditsApplied", "balance"
        )
        lines = memo["lines"]
        total = money(memo["totalAmountWithTax"])
        balance = money(memo["balance"])
        active = self.active(creditMemoId=memo["id"])
        refunded = self.refunded(memo["id"])
        assert money(memo["netRefunds"]) == refunded
        assert total == sum((money(x["amountWithTax"]) for x in lines), ZERO) > 0
        assert money(memo["totalTaxAmount"]) == sum((money(x["taxAmount"]) for x in lines), ZERO)
        assert money(memo["netCreditsApplied"]) == active
        if memo["status"] == "Voided":
            assert balance == 0 and active == 0
            assert all(money(x["balance"]) == 0 for x in lines)
            return
        if memo["status"] == "Draft":
            assert active == 0 and refunded == 0
        assert balance == total - active - refunded, (memo, active, refunded)
        assert 0 <= balance <= total
        for line in lines:
            line_active = self.active(creditMemoLineId=line["id"])
            line_refunded = self.refunded(memo["id"], line["id"])
            expected = money(line["amountWithTax"]) - line_active - line_refunded
            assert money(line["balance"]) == expected, (line, line_active, line_refunded)
            assert 0 <= money(line["balance"]) <= money(line["amountWithTax"])
            assert money(line["netCreditsApplied"]) == line_active
            assert money(line["netRefunds"]) == line_refunded

    def check_histories(self) -> None:
        """Each document's history is exactly the records returned, in the order they were made."""
        for doc_id in [*self.memo_ids, *self.invoice_ids]:
            kind, key = (
                ("credit-memos", "creditMemoId") if doc_id in self.memo_ids else ("invoices", "invoiceId")
            )
            items: list[dict[str, Any]] = []
            token = None
            while True:
                page = self.get(
                    f"/{kind}/{doc_id}/applications", query={"limit": 100, "nextToken": token}
                ).body
                items += page["items"]
                token = page["nextToken"]
                if token is None:
                    break
            # Oldest first, one request's records in the order the request made them.
            expected = [self.records[i] for i in self.record_order if self.records[i][key] == doc_id]
            assert items == expected, doc_id
        for invoice_id in self.invoice_ids:
            listed = self.get(f"/invoices/{invoice_id}/payments", query={"limit": 100}).body["items"]
            made = [
                self.payments[i] for i in self.payment_order if self.payments[i]["invoiceId"] == invoice_id
            ]
            assert listed == made, invoice_id
        for memo_id in self.memo_ids:
            listed = self.get(f"/credit-memos/{memo_id}/refunds", query={"limit": 100}).body["items"]
            made = [self.refunds[i] for i in self.refund_order if self.refunds[i]["creditMemoId"] == memo_id]
            assert listed == made, memo_id


CreditMemoMachine.TestCase.settings = settings(
    max_examples=20,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestCreditMemoInvariants = CreditMemoMachine.TestCase
