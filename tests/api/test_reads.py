"""Both read functions answer a direct invocation with what their HTTP routes answer."""

from __future__ import annotations

from typing import Any

import pytest

from tests.builders import apply_memo, create_invoice, create_memo
from tests.harness import Api, invoke


def _applied_pair(api: Api) -> tuple[str, str]:
    invoice = create_invoice(api, "100.00", account="r1")
    memo = create_memo(api, {"chargeAmount": "30", "productName": "x"}, account="r1")
    applied = apply_memo(api, memo, (invoice, None))
    assert applied.status == 200, applied
    return invoice["id"], memo["id"]


@pytest.mark.parametrize(
    ("function", "collection", "id_field", "which"),
    [
        ("ReadInvoicesFunction", "/invoices", "invoiceId", 0),
        ("ReadCreditMemosFunction", "/credit-memos", "creditMemoId", 1),
    ],
)
def test_direct_reads_match_http(api: Api, function: str, collection: str, id_field: str, which: int) -> None:
    document_id = _applied_pair(api)[which]

    one: Any = invoke(function, {id_field: document_id})
    assert one == api.get(f"{collection}/{document_id}").body
    assert one["balance"] == ("70.00" if which == 0 else "0.00")

    history: Any = invoke(function, {id_field: document_id, "applications": True, "limit": 10})
    assert history == api.get(f"{collection}/{document_id}/applications", query={"limit": 10}).body
    assert [record["amount"] for record in history["items"]] == ["30.00"]

    page: Any = invoke(function, {"billingAccountId": "r1", "status": "Posted"})
    http_page = api.get(collection, query={"billingAccountId": "r1", "status": "Posted"})
    assert page == http_page.body
    assert [item["id"] for item in page["items"]] == [document_id]


@pytest.mark.parametrize("function", ["ReadInvoicesFunction", "ReadCreditMemosFunction"])
def test_direct_list_needs_a_billing_account(api: Api, function: str) -> None:
    with pytest.raises(Exception, match="billingAccountId: is required") as raised:
        invoke(function, {"status": "Posted"})
    assert type(raised.value).__name__ == "ValidationError"
    assert getattr(raised.value, "error_code", None) == "VALIDATION_ERROR"
