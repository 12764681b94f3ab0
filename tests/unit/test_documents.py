"""The document use case on the in-memory repository with a fake renderer and a folder archive:
statuses and errors, what the renderer is given, and issued documents that never change."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from credit_memos.adapters.folder_archive import FolderDocumentArchive
from credit_memos.commands.documents import DocumentTools, GetCreditMemoDocument
from credit_memos.commands.invoices import CreateInvoice
from credit_memos.commands.memos import CreateCreditMemo, VoidCreditMemo
from credit_memos.commands.profiles import PutBillingAccountProfile
from credit_memos.domain.inputs import InvoiceLineInput, MemoChargeInput
from credit_memos.domain.profiles import ProfileAddress, ProfileDetails
from credit_memos.errors import InvalidStatus, NotFound, ProfileIncomplete
from credit_memos.settings import Settings
from credit_memos.usecases.documents import IssuedDocument

from tests.builders import D, memory_service
from tests.fakes.memory_repository import MemoryRepository

SELLER = {
    "SELLER_NAME": "Seller SAS",
    "SELLER_ADDRESS_LINE1": "1 rue de la Paix",
    "SELLER_CITY": "Paris",
    "SELLER_POSTAL_CODE": "75002",
    "SELLER_COUNTRY": "FR",
    "SELLER_VAT_ID": "FR12345678901",
}
BUYER = ProfileDetails(
    name="Käufer GmbH",
    address=ProfileAddress("Hauptstraße 1", "Berlin", "10115", "DE"),
    language="de",
    vat_id="DE123456789",
)


class FakeRenderer:
    """Renders a note as JSON of what a credit note shows; counts its renderings."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, note: Any, document_format: str) -> bytes:
        self.calls += 1
        return json.dumps(
            {
                "format": document_format,
                "number": note.memo.document_number,
                "status": note.memo.status,
                "seller": note.seller.name,
                "buyer": note.buyer.name,
                "language": note.language,
                "invoice": note.preceding_invoice_number,
            }
        ).encode()


class Documents:
    def __init__(self, tmp_path: Path, **settings: str) -> None:
        self.repository = MemoryRepository()
        self.service = memory_service(self.repository)
        self.render = FakeRenderer()
        self.settings = Settings.from_environment(SELLER | settings)
        self.tools = DocumentTools(FolderDocumentArchive(tmp_path), self.render, self.settings)

    def run(self, command: Any) -> Any:
        return self.service.execute(command).body

    def memo(self, status: str = "Posted", account: str = "acct-1") -> dict[str, Any]:
        charge = MemoChargeInput(D("10.00"), product_name="Credit")
        return self.run(CreateCreditMemo(account, "EUR", (charge,), status=status))  # type: ignore[arg-type]

    def profile(self, details: ProfileDetails = BUYER, account: str = "acct-1") -> None:
        self.run(PutBillingAccountProfile(account, details))

    def document(self, memo_id: str, document_format: str = "pdf") -> IssuedDocument:
        issued = self.run(GetCreditMemoDocument(memo_id, document_format, tools=self.tools))  # type: ignore[arg-type]
        assert isinstance(issued, IssuedDocument)
        return issued


def shown(issued: IssuedDocument) -> dict[str, Any]:
    return json.loads(issued.content)  # type: ignore[no-any-return]


def test_a_posted_memo_renders_with_both_parties_and_the_buyers_language(tmp_path: Path) -> None:
    docs = Documents(tmp_path)
    docs.profile()
    memo = docs.memo()
    issued = docs.document(memo["id"])
    assert issued.content_type == "application/pdf"
    assert shown(issued) == {
        "format": "pdf",
        "number": memo["documentNumber"],
        "status": "Posted",
        "seller": "Seller SAS",
        "buyer": "Käufer GmbH",
        "language": "de",
        "invoice": None,
    }
    assert docs.document(memo["id"], "ubl").content_type == "application/xml"


def test_the_corrected_invoices_printed_number_is_on_the_document(tmp_path: Path) -> None:
    from credit_memos.commands.conversion import CreditInvoice
    from credit_memos.domain.inputs import CreditLineInput

    docs = Documents(tmp_path)
    docs.profile()
    invoice = docs.run(
        CreateInvoice("acct-1", "EUR", (InvoiceLineInput(D("50.00"), D("0")),), invoice_number="RE-2026-7")
    )
    credit = docs.run(
        CreditInvoice(invoice["id"], "Ignore", (CreditLineInput(invoice["lines"][0]["id"], D("5.00")),))
    )
    assert shown(docs.document(credit["creditMemo"]["id"]))["invoice"] == "RE-2026-7"


def test_an_issued_document_never_changes(tmp_path: Path) -> None:
    docs = Documents(tmp_path)
    docs.profile()
    memo = docs.memo()
    first = docs.document(memo["id"])
    docs.profile(ProfileDetails(name="Renamed AG", address=BUYER.address))
    docs.tools = DocumentTools(
        docs.tools.archive, docs.render, Settings.from_environment(SELLER | {"SELLER_NAME": "New Seller"})
    )
    again = docs.document(memo["id"])
    assert again.content == first.content and again.etag == first.etag
    assert docs.render.calls == 1
    # Another format is a first rendering of its own, with today's details.
    assert shown(docs.document(memo["id"], "cii"))["buyer"] == "Renamed AG"


def test_voiding_issues_one_new_rendering_and_keeps_the_first(tmp_path: Path) -> None:
    docs = Documents(tmp_path)
    docs.profile()
    memo = docs.memo()
    posted = docs.document(memo["id"])
    docs.run(VoidCreditMemo(memo["id"]))
    voided = docs.document(memo["id"])
    assert shown(voided)["status"] == "Voided" and voided.etag != posted.etag
    assert docs.document(memo["id"]).content == voided.content
    assert (tmp_path / f"credit-notes/{memo['id']}/posted.pdf").read_bytes() == posted.content
    assert (tmp_path / f"credit-notes/{memo['id']}/voided.pdf").read_bytes() == voided.content
    assert docs.render.calls == 2


def test_a_draft_has_no_document_and_an_unknown_memo_is_not_found(tmp_path: Path) -> None:
    docs = Documents(tmp_path)
    docs.profile()
    with pytest.raises(InvalidStatus):
        docs.document(docs.memo(status="Draft")["id"])
    with pytest.raises(NotFound):
        docs.document("cm_unknown")
    assert docs.render.calls == 0


def test_a_missing_buyer_profile_or_seller_detail_is_named(tmp_path: Path) -> None:
    docs = Documents(tmp_path, SELLER_CITY="", SELLER_VAT_ID="")
    memo = docs.memo()
    with pytest.raises(ProfileIncomplete) as refused:
        docs.document(memo["id"])
    message = refused.value.message
    assert "SellerCity" in message and "SellerVatId" in message
    assert "the buyer's profile (PUT /billing-accounts/acct-1)" in message
    assert docs.render.calls == 0 and not list(tmp_path.rglob("*.pdf"))


def test_racing_first_renderings_end_with_one_document_both_answer(tmp_path: Path) -> None:
    archive = FolderDocumentArchive(tmp_path)
    barrier = threading.Barrier(8)
    answers: list[bytes] = []

    def issue(n: int) -> None:
        barrier.wait()
        answers.append(archive.put_new("credit-notes/cm_1/posted.pdf", f"rendering {n}".encode(), "x"))

    threads = [threading.Thread(target=issue, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = (tmp_path / "credit-notes/cm_1/posted.pdf").read_bytes()
    assert answers == [stored] * 8
    assert [p.name for p in (tmp_path / "credit-notes/cm_1").iterdir()] == ["posted.pdf"]


def test_the_access_policy_scopes_profiles_and_documents(tmp_path: Path) -> None:
    """Spec section 9: setting a profile is an Operator's action on an account in scope, reading a
    profile or a document a Reader's; another account's memo does not exist for the caller."""
    from credit_memos.access import Caller, Forbidden
    from credit_memos.commands.profiles import GetBillingAccountProfile

    docs = Documents(tmp_path)
    docs.profile()
    memo = docs.memo()
    reader = Caller("reader", "reader", "Reader", ("*",))
    eu_operator = Caller("eu-ops", "eu-ops", "Operator", ("eu-*",))
    with pytest.raises(Forbidden):
        docs.run(PutBillingAccountProfile("acct-1", BUYER, caller=reader))
    with pytest.raises(Forbidden):
        docs.run(PutBillingAccountProfile("acct-1", BUYER, caller=eu_operator))
    assert docs.run(PutBillingAccountProfile("eu-1", BUYER, caller=eu_operator))["revision"] == 1
    assert docs.run(GetBillingAccountProfile("acct-1", caller=reader))["name"] == BUYER.name
    with pytest.raises(Forbidden):
        docs.run(GetBillingAccountProfile("acct-1", caller=eu_operator))
    command = GetCreditMemoDocument(memo["id"], "pdf", tools=docs.tools, caller=reader)
    assert isinstance(docs.run(command), IssuedDocument)
    with pytest.raises(NotFound):
        docs.run(GetCreditMemoDocument(memo["id"], "pdf", tools=docs.tools, caller=eu_operator))
