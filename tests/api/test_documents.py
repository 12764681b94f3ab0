"""The document endpoint on moto, through API Gateway events (spec section 12), with a fake renderer
and the folder archive: the binary response, content types, ETag and If-None-Match, errors, the
access policy, and (when the renderers are there) a real PDF."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from credit_memos.api import runtime

from tests.builders import create_memo, profile_body
from tests.harness import Api, environment, invoke

SELLER = {
    "SELLER_NAME": "Seller SAS",
    "SELLER_ADDRESS_LINE1": "1 rue de la Paix",
    "SELLER_CITY": "Paris",
    "SELLER_POSTAL_CODE": "75002",
    "SELLER_COUNTRY": "FR",
    "SELLER_VAT_ID": "FR12345678901",
}


def fake_render(note: Any, document_format: str) -> bytes:
    shown = {"format": document_format, "status": note.memo.status, "buyer": note.buyer.name}
    prefix = b"%PDF-1.7\n" if document_format == "pdf" else b"<?xml version='1.0'?>\n"
    return prefix + json.dumps(shown).encode()


@pytest.fixture
def documents(api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    monkeypatch.setattr("credit_memos.documents.render.render", fake_render)
    with environment(dict(SELLER, DOCUMENT_ARCHIVE_DIR=str(tmp_path))):
        runtime.reset()
        yield api


def posted_memo(api: Api, account: str = "acct-doc") -> dict[str, Any]:
    assert api.put(f"/billing-accounts/{account}", profile_body()).status == 200
    return create_memo(api, "40.00", account=account)


def test_the_pdf_is_a_binary_response_with_its_sha256_as_etag(documents: Api) -> None:
    import hashlib

    memo = posted_memo(documents)
    r = documents.get(f"/credit-memos/{memo['id']}/document", headers={"Accept": "application/pdf"})
    assert r.status == 200, r
    assert r.headers["Content-Type"] == "application/pdf"
    assert r.body.startswith(b"%PDF-")
    assert r.headers["ETag"] == f'"{hashlib.sha256(r.body).hexdigest()}"'
    again = documents.get(
        f"/credit-memos/{memo['id']}/document", headers={"If-None-Match": r.headers["ETag"]}
    )
    assert again.status == 304 and not again.body and again.headers["ETag"] == r.headers["ETag"]


def test_ubl_and_cii_are_xml(documents: Api) -> None:
    memo = posted_memo(documents)
    for document_format in ("ubl", "cii"):
        r = documents.get(f"/credit-memos/{memo['id']}/document", query={"format": document_format})
        assert r.status == 200, r
        assert r.headers["Content-Type"] == "application/xml"
        assert json.loads(r.body.split(b"\n", 1)[1])["format"] == document_format
    bad = documents.get(f"/credit-memos/{memo['id']}/document", query={"format": "docx"})
    assert bad.status == 422 and bad.body["errorCode"] == "VALIDATION_ERROR"


def test_the_same_bytes_after_the_buyer_changes(documents: Api) -> None:
    memo = posted_memo(documents)
    first = documents.get(f"/credit-memos/{memo['id']}/document")
    documents.put("/billing-accounts/acct-doc", profile_body(name="Renamed AG"))
    assert documents.get(f"/credit-memos/{memo['id']}/document").body == first.body


def test_errors_name_what_is_wrong(documents: Api) -> None:
    draft = create_memo(documents, "10.00", account="acct-doc-2", status="Draft")
    r = documents.get(f"/credit-memos/{draft['id']}/document")
    assert r.status == 409 and r.body["errorCode"] == "INVALID_STATUS"
    r = documents.get("/credit-memos/cm_nope/document")
    assert r.status == 404 and r.body["errorCode"] == "NOT_FOUND"
    memo = create_memo(documents, "10.00", account="acct-doc-2")
    r = documents.get(f"/credit-memos/{memo['id']}/document")
    assert r.status == 409 and r.body["errorCode"] == "PROFILE_INCOMPLETE"
    assert "PUT /billing-accounts/acct-doc-2" in r.body["message"]


def test_not_representable_is_a_409(documents: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from credit_memos.documents.model import NotRepresentable

    def refuse(note: Any, document_format: str) -> bytes:
        raise NotRepresentable("KWD 1.234 has a third decimal, which EN 16931 cannot express")

    monkeypatch.setattr("credit_memos.documents.render.render", refuse)
    memo = posted_memo(documents)
    r = documents.get(f"/credit-memos/{memo['id']}/document", query={"format": "ubl"})
    assert r.status == 409 and r.body["errorCode"] == "NOT_REPRESENTABLE"
    assert "third decimal" in r.body["message"]


def test_direct_invocation_returns_the_document_base64(documents: Api) -> None:
    import base64

    memo = posted_memo(documents)
    answer = invoke("RenderCreditMemoDocumentFunction", {"creditMemoId": memo["id"], "format": "cii"})
    assert answer["contentType"] == "application/xml"
    assert base64.b64decode(answer["contentBase64"]).startswith(b"<?xml")


def test_a_real_rendering(api: Api, tmp_path: Path) -> None:
    with environment(dict(SELLER, DOCUMENT_ARCHIVE_DIR=str(tmp_path))):
        memo = posted_memo(api)
        r = api.get(f"/credit-memos/{memo['id']}/document")
        assert r.status == 200, r
        assert r.body.startswith(b"%PDF-")


def test_make_run_serves_the_pdf_bytes_with_a_sample_seller(documents: Api) -> None:
    """What the local server does with the function's answer: the bytes, not base64; and the
    environment it gives the function: a folder archive and a seller."""
    from infra.local.api_gateway import response_from_result
    from infra.local.lambda_runtime import SAMPLE_SELLER, FakeLambdaContext, function_environment
    from tests.harness import handler_for, template

    memo = posted_memo(documents)
    event = json.loads(Path("events/render_credit_memo_document/http.json").read_text(encoding="utf-8"))
    event["path"] = f"/credit-memos/{memo['id']}/document"
    event["pathParameters"] = {"creditMemoId": memo["id"]}
    function = template().find_function("RenderCreditMemoDocumentFunction")
    result = handler_for("RenderCreditMemoDocumentFunction")(event, FakeLambdaContext(function))
    response = response_from_result(result)
    assert response.status == 200 and response.body.startswith(b"%PDF-")
    environment_of = function_environment(function, endpoint_url=None)
    assert "DOCUMENT_ARCHIVE_BUCKET" not in environment_of
    assert environment_of["DOCUMENT_ARCHIVE_DIR"].endswith(".local/documents")
    assert {k: environment_of[k] for k in SAMPLE_SELLER} == SAMPLE_SELLER
