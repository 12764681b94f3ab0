"""The read function, built once per document type: invoices and credit memos differ only in names.

Each read function serves three GET routes (a billing account's list, one document, its application
history) and a direct invocation that picks one of them from the payload's fields.

No ``from __future__ import annotations`` here: the route functions are defined inside the factory
with per-document annotations (the status filter, the path parameter's alias), which the router
(and Powertools, for the document) must see as objects, not as strings resolved against this
module's globals.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel

from credit_memos import commands
from credit_memos.api.direct_invocation import pop_id
from credit_memos.api.execution import checked_id, execute, respond
from credit_memos.api.fields import DocumentNumber, Identifier
from credit_memos.api.lambda_handlers import make_lambda_handler, new_router
from credit_memos.api.openapi_responses import error_responses, success_response
from credit_memos.api.routing import HttpRouter, Path, Query, Response
from credit_memos.api.schemas import ListQuery
from credit_memos.commands import applications, invoices, memos
from credit_memos.domain.documents import InvoiceStatus, MemoStatus, WriteOffReasonCode
from credit_memos.errors import ValidationError
from credit_memos.limits import MAX_PAGE_SIZE, MAX_TOKEN_LENGTH
from credit_memos.usecases import Outcome
from credit_memos.views import (
    ApplicationPage,
    CreditMemoPage,
    CreditMemoView,
    InvoicePage,
    InvoiceView,
)

DocumentType = Literal["Invoice", "CreditMemo"]

ListDocuments = Callable[[str, Any, int | None, str | None], commands.Command]
GetDocument = Callable[[str], commands.Command]
ListApplications = Callable[[str, int | None, str | None], commands.Command]


@dataclass(frozen=True)
class _Reads:
    """The read routes of one document type: its collection, id field, status filter and views."""

    collection: str  # the list's path; one document is at <collection>/<id_field>
    id_field: str  # the path parameter, and the direct payload's field naming one document
    label: str  # the document in error messages ("invoice 'x' was not found")
    status: Any  # the list's status filter (a Literal of the type's statuses)
    page: type[BaseModel]
    view: type[BaseModel]
    list_summary: str
    list_description: str
    get_summary: str
    get_description: str
    applications_summary: str
    # The operations' names (the template's event names, the document's operationIds).
    operation_names: tuple[str, str, str]
    list_documents: ListDocuments
    get_document: GetDocument
    list_applications: ListApplications


_BY_TYPE: dict[DocumentType, _Reads] = {
    "Invoice": _Reads(
        collection="/invoices",
        id_field="invoiceId",
        label="invoice",
        status=InvoiceStatus,
        page=InvoicePage,
        view=InvoiceView,
        list_summary="List a billing account's invoices, oldest invoice date first",
        list_description="A page of invoices (without lines)",
        get_summary="Get an invoice with its lines",
        get_description="The invoice",
        applications_summary="An invoice's credit application history (both levels), oldest first",
        operation_names=("ListInvoices", "GetInvoice", "ListInvoiceApplications"),
        list_documents=invoices.ListInvoices,
        get_document=invoices.GetInvoice,
        list_applications=lambda invoice_id, limit, token: applications.ListApplications(
            invoice_id=invoice_id, limit=limit, next_token=token
        ),
    ),
    "CreditMemo": _Reads(
        collection="/credit-memos",
        id_field="creditMemoId",
        label="credit memo",
        status=MemoStatus,
        page=CreditMemoPage,
        view=CreditMemoView,
        list_summary="List a billing account's credit memos, oldest effective date first",
        list_description="A page of credit memos (without lines)",
        get_summary="Get a credit memo with its lines",
        get_description="The credit memo",
        applications_summary="A credit memo's application history (both levels), oldest first",
        operation_names=("ListCreditMemos", "GetCreditMemo", "ListCreditMemoApplications"),
        list_documents=memos.ListCreditMemos,
        get_document=memos.GetCreditMemo,
        list_applications=lambda memo_id, limit, token: applications.ListApplications(
            credit_memo_id=memo_id, limit=limit, next_token=token
        ),
    ),
}


def _memo_list(query: ListQuery) -> memos.ListCreditMemos:
    return memos.ListCreditMemos(
        billing_account_id=query.billingAccountId,
        status=query.status,
        limit=query.limit,
        next_token=query.nextToken,
        reason_code=query.reasonCode,
        document_number=query.documentNumber,
    )


def build_read_function(
    document_type: DocumentType,
) -> tuple[HttpRouter, Callable[[dict[str, Any], Any], Any]]:
    """The resolver and ``lambda_handler`` of the read function for ``document_type``."""
    reads = _BY_TYPE[document_type]
    one = f"{reads.collection}/<{reads.id_field}>"
    history = f"{one}/applications"
    list_name, get_name, history_name = reads.operation_names
    app = new_router()
    status_filter = reads.status | None

    list_responses = success_response(200, reads.page, reads.list_description) | error_responses(422, 503)
    if document_type == "Invoice":

        @app.get(
            reads.collection,
            summary=reads.list_summary,
            operation_id=list_name,
            responses=list_responses,
        )
        def list_documents(
            billingAccountId: Annotated[Identifier, Query()],
            status: Annotated[status_filter, Query()] = None,  # type: ignore[valid-type]
            limit: Annotated[int | None, Query(ge=1, le=MAX_PAGE_SIZE)] = None,
            nextToken: Annotated[str | None, Query(max_length=MAX_TOKEN_LENGTH)] = None,
        ) -> Response[str]:
            return respond(execute(reads.list_documents(billingAccountId, status, limit, nextToken)))

    else:

        @app.get(
            reads.collection,
            summary=reads.list_summary,
            description="With documentNumber: the memo with that number (of any account; a page of "
            "at most one), and billingAccountId is optional. reasonCode keeps only the memos of that "
            "reason (a page may then hold fewer than limit, and still have a nextToken).",
            operation_id=list_name,
            responses=list_responses,
        )
        def list_memos(
            billingAccountId: Annotated[Identifier | None, Query()] = None,
            status: Annotated[status_filter, Query()] = None,  # type: ignore[valid-type]
            limit: Annotated[int | None, Query(ge=1, le=MAX_PAGE_SIZE)] = None,
            nextToken: Annotated[str | None, Query(max_length=MAX_TOKEN_LENGTH)] = None,
            reasonCode: Annotated[WriteOffReasonCode | None, Query()] = None,
            documentNumber: Annotated[DocumentNumber | None, Query()] = None,
        ) -> Response[str]:
            query = ListQuery.model_construct(
                billingAccountId=billingAccountId,
                status=status,
                limit=limit,
                nextToken=nextToken,
                reasonCode=reasonCode,
                documentNumber=documentNumber,
            )
            return respond(execute(_memo_list(query)))

    @app.get(
        one,
        summary=reads.get_summary,
        operation_id=get_name,
        responses=success_response(200, reads.view, reads.get_description) | error_responses(404, 503),
    )
    def get_document(document_id: Annotated[str, Path(alias=reads.id_field)]) -> Response[str]:
        return respond(execute(reads.get_document(checked_id(document_id, reads.label))))

    @app.get(
        history,
        summary=reads.applications_summary,
        operation_id=history_name,
        responses=success_response(200, ApplicationPage, "Application records")
        | error_responses(404, 422, 503),
    )
    def list_document_applications(
        document_id: Annotated[str, Path(alias=reads.id_field)],
        limit: Annotated[int | None, Query(ge=1, le=MAX_PAGE_SIZE)] = None,
        nextToken: Annotated[str | None, Query(max_length=MAX_TOKEN_LENGTH)] = None,
    ) -> Response[str]:
        document_id = checked_id(document_id, reads.label)
        return respond(execute(reads.list_applications(document_id, limit, nextToken)))

    def direct(payload: dict[str, Any]) -> Outcome:
        """``{<id>}`` gets one; ``{<id>, applications: true}`` its history; else a list query."""
        if reads.id_field in payload:
            document_id = pop_id(payload, reads.id_field, reads.label)
            if payload.pop("applications", False) is True:
                query = ListQuery.model_validate(payload)
                return execute(reads.list_applications(document_id, query.limit, query.nextToken))
            return execute(reads.get_document(document_id))
        query = ListQuery.model_validate(payload)
        if document_type == "CreditMemo":
            return execute(_memo_list(query))
        if query.reasonCode is not None or query.documentNumber is not None:
            field = "reasonCode" if query.reasonCode is not None else "documentNumber"
            raise ValidationError("filters credit memo lists only", field=(field,))
        if query.billingAccountId is None:
            raise ValidationError("is required", field=("billingAccountId",))
        return execute(
            reads.list_documents(query.billingAccountId, query.status, query.limit, query.nextToken)
        )

    return app, make_lambda_handler(app, direct)
