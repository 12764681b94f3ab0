"""Billing account profiles (spec section 12) on moto: set, read, every change kept with who made
it, bad input refused, and invoiceNumber on invoices."""

from __future__ import annotations

from credit_memos.adapters.dynamodb.keys import profile_key

from tests.api.test_response_models import check, declared_model
from tests.builders import create_invoice, profile_body
from tests.harness import TABLE_NAME, Api, invoke

ROUTE = "/billing-accounts/{billingAccountId}"


def test_a_profile_set_is_read_back_as_set(api: Api) -> None:
    r = api.put("/billing-accounts/acct-p1", profile_body())
    assert r.status == 200, r
    check(declared_model("PUT", ROUTE, 200), r.body)
    got = api.get("/billing-accounts/acct-p1")
    assert got.status == 200, got
    check(declared_model("GET", ROUTE, 200), got.body)
    assert got.body == r.body
    assert got.body["name"] == "Müller & Söhne GmbH"
    assert got.body["address"] == {
        "line1": "Hauptstraße 1",
        "line2": None,
        "city": "München",
        "postalCode": "80331",
        "countrySubdivision": None,
        "country": "DE",
    }
    assert got.body["revision"] == 1
    assert got.body["createdBy"]  # who set it (the harness's caller identity)


def test_every_change_is_kept_as_a_revision_with_who_made_it(api: Api) -> None:
    import boto3

    api.put("/billing-accounts/acct-p2", profile_body())
    same = api.put("/billing-accounts/acct-p2", profile_body())
    assert same.body["revision"] == 1  # the same profile again is no change
    changed = api.put("/billing-accounts/acct-p2", profile_body(name="Müller AG"))
    assert changed.status == 200 and changed.body["revision"] == 2
    assert api.get("/billing-accounts/acct-p2").body["name"] == "Müller AG"
    client = boto3.client("dynamodb", region_name="us-east-1")
    items = client.query(
        TableName=TABLE_NAME,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :rev)",
        ExpressionAttributeValues={":pk": {"S": profile_key("acct-p2")["pk"]}, ":rev": {"S": "REVISION#"}},
    )["Items"]
    assert [item["name"]["S"] for item in items] == ["Müller & Söhne GmbH", "Müller AG"]
    assert all(item.get("created_by", {}).get("S") for item in items)


def test_an_account_without_a_profile_is_not_found(api: Api) -> None:
    r = api.get("/billing-accounts/acct-none")
    assert r.status == 404 and r.body["errorCode"] == "NOT_FOUND"


def test_bad_profiles_are_refused_naming_the_field(api: Api) -> None:
    cases = {
        "address.country": profile_body(address={**profile_body()["address"], "country": "XX"}),
        "address.postalCode": profile_body(address={"line1": "a", "city": "b", "country": "DE"}),
        "language": profile_body(language="es"),
        "email": profile_body(email="not an address"),
        "name": profile_body(name=""),
    }
    for field, body in cases.items():
        r = api.put("/billing-accounts/acct-p3", body)
        assert r.status == 422, (field, r)
        assert r.body["errorCode"] == "VALIDATION_ERROR"
        assert field in {d["field"] for d in r.body["details"]}, (field, r.body)
    assert api.get("/billing-accounts/acct-p3").status == 404  # nothing half-written


def test_direct_invocation(moto_env: None) -> None:
    put = invoke("PutBillingAccountProfileFunction", {"billingAccountId": "acct-p4", **profile_body()})
    assert put["revision"] == 1
    got = invoke("ReadBillingAccountProfileFunction", {"billingAccountId": "acct-p4"})
    assert got == put


def test_an_invoice_keeps_its_printed_number(api: Api) -> None:
    invoice = create_invoice(api, "100.00", invoiceNumber="INV-2026-0042")
    assert invoice["invoiceNumber"] == "INV-2026-0042"
    assert api.get(f"/invoices/{invoice['id']}").body["invoiceNumber"] == "INV-2026-0042"
    assert create_invoice(api, "5.00")["invoiceNumber"] is None


def test_the_revisions_are_listed_oldest_first_page_by_page(api: Api) -> None:
    for name in ("First GmbH", "Second GmbH", "Third GmbH"):
        assert api.put("/billing-accounts/acct-p5", profile_body(name=name)).status == 200
    first = api.get("/billing-accounts/acct-p5/profile-revisions", query={"limit": 2})
    assert first.status == 200, first
    check(declared_model("GET", ROUTE + "/profile-revisions", 200), first.body)
    assert [p["name"] for p in first.body["items"]] == ["First GmbH", "Second GmbH"]
    rest = api.get(
        "/billing-accounts/acct-p5/profile-revisions",
        query={"limit": 2, "nextToken": first.body["nextToken"]},
    )
    assert [(p["name"], p["revision"]) for p in rest.body["items"]] == [("Third GmbH", 3)]
    assert rest.body["nextToken"] is None
    assert api.get("/billing-accounts/acct-none/profile-revisions").status == 404
    foreign = api.get(
        "/billing-accounts/acct-p2/profile-revisions", query={"nextToken": first.body["nextToken"]}
    )
    assert foreign.status == 422
