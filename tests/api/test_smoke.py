from tests.harness import Api


def test_create_apply_unapply(api: Api) -> None:
    inv = api.post(
        "/invoices", {"billingAccountId": "a1", "currency": "USD", "lines": [{"chargeAmount": "100.00"}]}
    )
    assert inv.status == 201, inv
    memo = api.post(
        "/credit-memos",
        {
            "billingAccountId": "a1",
            "currency": "USD",
            "charges": [{"chargeAmount": "30", "productName": "x"}],
        },
    )
    assert memo.status == 201, memo
    r = api.post(
        f"/credit-memos/{memo.body['id']}/actions/apply", {"applications": [{"invoiceId": inv.body["id"]}]}
    )
    assert r.status == 200, r
    assert r.body["creditMemo"]["balance"] == "0.00"
    app_id = r.body["applications"][0]["id"]
    u = api.post(f"/credit-memo-applications/{app_id}/actions/unapply", {})
    assert u.status == 200, u
    assert u.body["associatedApplicationId"] == app_id
    u2 = api.post(f"/credit-memo-applications/{app_id}/actions/unapply", {})
    assert u2.status == 409 and u2.body["errorCode"] == "ALREADY_UNAPPLIED", u2
    g = api.get(f"/invoices/{inv.body['id']}")
    assert g.body["balance"] == "100.00"
    h = api.get(f"/credit-memos/{memo.body['id']}/applications")
    assert [x["type"] for x in h.body["items"]] == ["Applied", "Unapplied"], h
    lst = api.get("/invoices", query={"billingAccountId": "a1"})
    assert lst.status == 200 and len(lst.body["items"]) == 1, lst
