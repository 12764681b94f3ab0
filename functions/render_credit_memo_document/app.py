"""GET /credit-memos/{creditMemoId}/document: a Posted or Voided memo as a PDF/A-3 credit note
(default), or ``?format=ubl|cii`` as an EN 16931 e-invoice, issued once and answered unchanged from
then on (``ETag``: the bytes' SHA-256). The rendering libraries are this function's alone."""

from __future__ import annotations

import base64
from typing import Annotated, Any, Literal

from credit_memos.api.direct_invocation import pop_id
from credit_memos.api.documents import document_tools
from credit_memos.api.execution import checked_id, execute
from credit_memos.api.lambda_handlers import make_lambda_handler, new_router
from credit_memos.api.openapi_responses import error_responses
from credit_memos.api.routing import Header, Path, Query, Response
from credit_memos.commands.documents import GetCreditMemoDocument
from credit_memos.errors import ValidationError
from credit_memos.usecases import Outcome
from credit_memos.usecases.documents import IssuedDocument

app = new_router()

DocumentFormat = Literal["pdf", "ubl", "cii"]
_DOCUMENT = {"schema": {"type": "string", "format": "binary"}}


@app.get(
    "/credit-memos/<creditMemoId>/document",
    summary="A credit memo's document: PDF/A-3 credit note, UBL or CII",
    description="The first rendering of each format is kept unchanged (S3 Object Lock) and every "
    "later request answers the same bytes, even after the seller's or buyer's details change; a "
    "void issues one new rendering marked void. ETag is the bytes' SHA-256 (If-None-Match: 304).",
    responses={
        200: {
            "description": "The document (PDF by default; XML for format=ubl or cii)",
            "content": {"application/pdf": _DOCUMENT, "application/xml": _DOCUMENT},
        },
        304: {"description": "If-None-Match names the document's ETag: unchanged"},
    }
    | error_responses(404, 409, 422, 503),
)
def get_credit_memo_document(
    creditMemoId: Annotated[str, Path()],
    document_format: Annotated[
        DocumentFormat | None,
        Query(alias="format", description="pdf (default): PDF/A-3 with Factur-X; ubl: UBL 2.1; cii: CII"),
    ] = None,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match")] = None,
) -> Response[bytes]:
    outcome = issue(checked_id(creditMemoId, "credit memo"), document_format or "pdf")
    issued: IssuedDocument = outcome.body
    headers = {"ETag": issued.etag}
    if if_none_match is not None and {issued.etag, "*"} & {tag.strip() for tag in if_none_match.split(",")}:
        return Response(304, None, b"", headers=headers)
    return Response(200, issued.content_type, issued.content, headers=headers)


def issue(credit_memo_id: str, document_format: DocumentFormat) -> Outcome:
    return execute(GetCreditMemoDocument(credit_memo_id, document_format, tools=document_tools()))


def direct(payload: dict[str, Any]) -> Outcome:
    """``{creditMemoId, format?}`` -> ``{contentType, etag, contentBase64}``."""
    memo_id = pop_id(payload, "creditMemoId", "credit memo")
    document_format = payload.pop("format", "pdf")
    if document_format not in ("pdf", "ubl", "cii"):
        raise ValidationError("must be pdf, ubl or cii", field=("format",))
    issued: IssuedDocument = issue(memo_id, document_format).body
    body = {
        "contentType": issued.content_type,
        "etag": issued.etag,
        "contentBase64": base64.b64encode(issued.content).decode("ascii"),
    }
    return Outcome(200, body)


lambda_handler = make_lambda_handler(app, direct)
