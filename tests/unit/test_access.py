"""Who may do what (spec section 9) on the service: the policy, account scope, approvals, keys.

The edge turns the access policy into a ``Caller`` on every command; these tests give the
commands their callers directly, on the in-memory repository.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest
from credit_memos.access import (
    OPEN_POLICY,
    AccessPolicy,
    ApprovalLimitExceeded,
    Caller,
    Forbidden,
    SelfApproval,
    principal_of,
)
from credit_memos.commands import Command, applications, command_types, conversion, invoices, memos
from credit_memos.domain.inputs import ApplyTarget, CreditLineInput, InvoiceLineInput, MemoChargeInput
from credit_memos.errors import NotFound, ValidationError

from tests.builders import memory_service
from tests.fakes.memory_repository import MemoryRepository

POLICY = AccessPolicy.parse(
    {
        "principals": [
            {
                "match": "arn:aws:iam::111122223333:role/billing-audit",
                "role": "Reader",
                "billingAccounts": ["*"],
            },
            {
                "match": "arn:aws:iam::111122223333:role/billing-ops-eu",
                "role": "Operator",
                "billingAccounts": ["eu-*", "acct-7"],
            },
            {
                "match": "arn:aws:iam::111122223333:role/billing-lead*",
                "role": "Approver",
                "billingAccounts": ["*"],
                "approvalLimits": {"USD": "50000.00"},
            },
        ],
        "approvalThresholds": {"USD": "1000.00", "EUR": "1000.00"},
    }
)
OPS = "arn:aws:sts::111122223333:assumed-role/billing-ops-eu/olga"
OPS_2 = "arn:aws:sts::111122223333:assumed-role/billing-ops-eu/oscar"
LEAD = "arn:aws:sts::111122223333:assumed-role/billing-lead-1/lena"
LEAD_2 = "arn:aws:sts::111122223333:assumed-role/billing-lead-2/leo"
AUDIT = "arn:aws:sts::111122223333:assumed-role/billing-audit/ann"


class Ledger:
    def __init__(self) -> None:
        self.repo = MemoryRepository()
        self.service = memory_service(self.repo)

    def run(
        self, identity: str, command: Command, key: str | None = None, policy: AccessPolicy = POLICY
    ) -> Any:
        caller = policy.caller(identity)
        return self.service.execute(dataclasses.replace(command, actor=identity, caller=caller), key).body

    def invoice(self, account: str, amount: str = "5000.00") -> dict[str, Any]:
        lines = (InvoiceLineInput(Decimal(amount), product_name="Tablet"),)
        return self.run(LEAD, invoices.CreateInvoice(billing_account_id=account, currency="USD", lines=lines))

    def memo(self, identity: str, account: str, amount: str, status: str = "Posted") -> dict[str, Any]:
        command = memos.CreateCreditMemo(
            billing_account_id=account,
            currency="USD",
            charges=(MemoChargeInput(Decimal(amount), product_name="Service credit"),),
            status=status,  # type: ignore[arg-type]
        )
        return self.run(identity, command)


@pytest.fixture
def ledger() -> Ledger:
    return Ledger()


def test_an_assumed_roles_sessions_are_its_role() -> None:
    assert principal_of(OPS) == "arn:aws:iam::111122223333:role/billing-ops-eu"
    assert principal_of("arn:aws:iam::111122223333:user/alice") == "arn:aws:iam::111122223333:user/alice"
    assert POLICY.caller(OPS).role == "Operator" and POLICY.caller(LEAD_2).role == "Approver"
    nobody = POLICY.caller("arn:aws:iam::111122223333:user/mallory")
    assert nobody.role is None and not nobody.may("Reader")


def test_every_command_names_its_least_role() -> None:
    roles = {t.operation: t.role for t in command_types() if "operation" in vars(t)}
    assert roles["GetCreditMemo"] == roles["ListInvoices"] == "Reader"
    assert roles["ApplyCreditMemo"] == roles["CreateCreditMemo"] == "Operator"
    assert roles["VoidCreditMemo"] == "Approver"


def test_without_a_policy_everyone_is_an_approver_on_every_account() -> None:
    caller = OPEN_POLICY.caller("local")
    assert caller.may("Approver") and caller.sees("any-account")
    assert not caller.needs_approval("USD", Decimal("1000000"))


def test_a_policy_that_is_not_well_formed_is_refused_with_what_is_wrong() -> None:
    with pytest.raises(ValueError, match=r"principals\[0\].role"):
        AccessPolicy.parse({"principals": [{"match": "x", "role": "Admin", "billingAccounts": ["*"]}]})
    with pytest.raises(ValueError, match=r"approvalThresholds\.USD"):
        AccessPolicy.parse({"principals": [], "approvalThresholds": {"USD": "lots"}})


def test_account_patterns_take_a_wildcard() -> None:
    caller = POLICY.caller(OPS)
    assert caller.sees("eu-42") and caller.sees("acct-7")
    assert not caller.sees("us-1") and not caller.sees("acct-77")


def test_documents_of_other_accounts_do_not_exist_for_a_scoped_caller(ledger: Ledger) -> None:
    memo = ledger.memo(LEAD, "us-1", "10.00")
    invoice = ledger.invoice("us-1")
    with pytest.raises(NotFound):
        ledger.run(OPS, memos.GetCreditMemo(credit_memo_id=memo["id"]))
    with pytest.raises(NotFound):
        ledger.run(OPS, invoices.GetInvoice(invoice_id=invoice["id"]))
    apply = applications.ApplyCreditMemo(
        credit_memo_id=memo["id"], applications=(ApplyTarget(invoice["id"], Decimal("1.00")),)
    )
    before = ledger.repo.state()
    with pytest.raises(NotFound):
        ledger.run(OPS, apply)
    assert ledger.repo.state() == before
    # Its number finds nothing either; the Reader on every account sees it.
    lookup = memos.ListCreditMemos(document_number=memo["documentNumber"])
    assert ledger.run(OPS, lookup)["items"] == []
    assert [m["id"] for m in ledger.run(AUDIT, lookup)["items"]] == [memo["id"]]


def test_an_application_record_of_another_account_does_not_exist_for_a_scoped_caller(ledger: Ledger) -> None:
    memo = ledger.memo(LEAD, "us-1", "10.00")
    invoice = ledger.invoice("us-1")
    applied = ledger.run(
        LEAD,
        applications.ApplyCreditMemo(
            credit_memo_id=memo["id"], applications=(ApplyTarget(invoice["id"], Decimal("1.00")),)
        ),
    )
    record_id = applied["applications"][0]["id"]
    with pytest.raises(NotFound):
        ledger.run(OPS, applications.GetApplication(application_id=record_id))
    with pytest.raises(NotFound):
        ledger.run(OPS, applications.UnapplyCreditMemoApplication(application_id=record_id))
    assert ledger.run(AUDIT, applications.GetApplication(application_id=record_id))["id"] == record_id


def test_a_memo_over_the_threshold_becomes_a_draft_that_needs_approval_whoever_asks(ledger: Ledger) -> None:
    for identity in (OPS, LEAD):
        memo = ledger.memo(identity, "eu-1", "1000.01")
        assert (memo["status"], memo["approvalStatus"], memo["documentNumber"]) == ("Draft", "Required", None)
        assert memo["postedBy"] is None
    at_threshold = ledger.memo(OPS, "eu-1", "1000.00")
    assert (at_threshold["status"], at_threshold["approvalStatus"]) == ("Posted", "NotRequired")
    assert (at_threshold["postedBy"], at_threshold["postedAt"]) == (OPS, at_threshold["createdAt"])


def test_only_another_approver_within_their_limit_posts_a_memo_that_needs_approval(ledger: Ledger) -> None:
    memo = ledger.memo(LEAD, "eu-1", "2000.00")
    post = memos.PostCreditMemo(credit_memo_id=memo["id"])
    with pytest.raises(Forbidden) as by_operator:
        ledger.run(OPS, post)
    assert by_operator.value.error_code == "FORBIDDEN"
    with pytest.raises(SelfApproval):
        ledger.run(LEAD, post)  # its creator, even as an Approver
    posted = ledger.run(LEAD_2, post)
    assert (posted["status"], posted["approvalStatus"]) == ("Posted", "Approved")
    assert (posted["approvedBy"], posted["postedBy"]) == (LEAD_2, LEAD_2)
    assert posted["documentNumber"] is not None

    large = ledger.memo(OPS, "eu-1", "60000.00")
    with pytest.raises(ApprovalLimitExceeded):
        ledger.run(LEAD, memos.PostCreditMemo(credit_memo_id=large["id"]))
    assert ledger.run(LEAD, memos.GetCreditMemo(credit_memo_id=large["id"]))["status"] == "Draft"


def test_another_session_of_the_creators_role_is_not_the_creator(ledger: Ledger) -> None:
    """Callers are compared by their full identity: the role's other session may approve."""
    memo = ledger.memo(LEAD, "eu-1", "2000.00")
    lena_again = "arn:aws:sts::111122223333:assumed-role/billing-lead-1/lena-2"
    assert ledger.run(lena_again, memos.PostCreditMemo(credit_memo_id=memo["id"]))["approvedBy"] == lena_again


def test_a_draft_under_the_threshold_posts_without_approval(ledger: Ledger) -> None:
    memo = ledger.memo(OPS, "eu-1", "10.00", status="Draft")
    assert memo["approvalStatus"] == "NotRequired"
    posted = ledger.run(OPS_2, memos.PostCreditMemo(credit_memo_id=memo["id"]))
    assert (posted["status"], posted["approvedBy"], posted["postedBy"]) == ("Posted", None, OPS_2)


def test_an_idempotency_key_belongs_to_its_principal(ledger: Ledger) -> None:
    invoice = ledger.invoice("eu-1")
    memo = ledger.memo(LEAD, "eu-1", "100.00")
    apply = applications.ApplyCreditMemo(
        credit_memo_id=memo["id"], applications=(ApplyTarget(invoice["id"], Decimal("10.00")),)
    )
    first = ledger.run(OPS, apply, key="k-1")
    # Another session of the same role replays; another principal's same key is another request.
    assert ledger.run(OPS_2, apply, key="k-1") == first
    second = ledger.run(LEAD, apply, key="k-1")
    assert second["applications"][0]["id"] != first["applications"][0]["id"]
    assert ledger.run(LEAD, memos.GetCreditMemo(credit_memo_id=memo["id"]))["balance"] == "80.00"


def test_a_caller_without_a_role_may_do_nothing() -> None:
    caller = Caller("arn:aws:iam::1:user/x", "arn:aws:iam::1:user/x", None)
    with pytest.raises(Forbidden):
        caller.require("Reader", "GetInvoice")


def credit(invoice: dict[str, Any], amount: str, status: str | None = None) -> conversion.CreditInvoice:
    return conversion.CreditInvoice(
        invoice_id=invoice["id"],
        tax_strategy="ManualOverride",
        invoice_lines=(CreditLineInput(invoice["lines"][0]["id"], Decimal(amount)),),
        status=status,  # type: ignore[arg-type]
    )


def test_a_credit_over_the_threshold_is_a_draft_applied_when_another_approver_posts_it(
    ledger: Ledger,
) -> None:
    invoice = ledger.invoice("eu-1")
    held = ledger.run(OPS, credit(invoice, "1500.00"))
    memo = held["creditMemo"]
    assert (memo["status"], memo["approvalStatus"], held["applications"]) == ("Draft", "Required", [])
    assert ledger.run(OPS, invoices.GetInvoice(invoice_id=invoice["id"]))["balance"] == "5000.00"
    with pytest.raises(Forbidden):
        ledger.run(OPS_2, memos.PostCreditMemo(credit_memo_id=memo["id"]))  # an Operator approves nothing
    posted = ledger.run(LEAD, memos.PostCreditMemo(credit_memo_id=memo["id"]))
    assert (posted["status"], posted["approvedBy"], posted["balance"]) == ("Posted", LEAD, "0.00")
    after = ledger.run(OPS, invoices.GetInvoice(invoice_id=invoice["id"]))
    assert (after["balance"], after["netCreditsApplied"]) == ("3500.00", "1500.00")
    history = ledger.run(OPS, applications.ListApplications(credit_memo_id=memo["id"]))["items"]
    assert [(r["type"], r["amount"]) for r in history] == [("Applied", "1500.00")]


def test_a_draft_credit_asked_for_is_applied_when_posted_and_refused_if_it_no_longer_fits(
    ledger: Ledger,
) -> None:
    invoice = ledger.invoice("eu-1", amount="500.00")
    first = ledger.run(OPS, credit(invoice, "400.00", status="Draft"))["creditMemo"]
    second = ledger.run(OPS, credit(invoice, "300.00", status="Draft"))["creditMemo"]
    assert (first["status"], first["approvalStatus"]) == ("Draft", "NotRequired")
    ledger.run(OPS, memos.PostCreditMemo(credit_memo_id=first["id"]))
    before = ledger.repo.state()
    with pytest.raises(ValidationError):  # the line has 100.00 left to credit, not 300.00
        ledger.run(OPS, memos.PostCreditMemo(credit_memo_id=second["id"]))
    assert ledger.repo.state() == before
    assert ledger.run(OPS, memos.GetCreditMemo(credit_memo_id=second["id"]))["status"] == "Draft"
