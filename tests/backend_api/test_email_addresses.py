"""``/email_addresses``: create, get, update, delete."""

from __future__ import annotations

from tests.backend_api.conftest import Api, unique_email
from tests.support import LiveServer, sql


def test_add_verify_make_primary_and_delete(server: LiveServer, api: Api) -> None:
    user = api.user()
    first_id = user["primary_email_address_id"]
    address = unique_email("more")
    body = {"user_id": user["id"], "email_address": address.upper()}
    added = api.ok("POST", "/email_addresses", json=body)
    assert added["object"] == "email_address" and added["email_address"] == address
    assert added["id"].startswith("idn_") and added["reserved"] is False
    assert added["verification"]["status"] == "unverified"
    assert added["verification"]["object"] == "verification_otp"
    assert api.ok("GET", f"/email_addresses/{added['id']}") == added
    found = api.ok("GET", "/users", params={"query": address.split("@")[0]})
    assert [u["id"] for u in found] == [user["id"]]

    refused = api.error("PATCH", f"/email_addresses/{added['id']}", 422, json={"primary": True})
    assert refused["meta"]["param_name"] == "primary"
    patch = {"verified": True, "primary": True}
    made_primary = api.ok("PATCH", f"/email_addresses/{added['id']}", json=patch)
    assert made_primary["verification"]["status"] == "verified"
    assert made_primary["verification"]["object"] == "verification_admin"
    assert api.ok("GET", f"/users/{user['id']}")["primary_email_address_id"] == added["id"]

    api.error("DELETE", f"/email_addresses/{added['id']}", 422)
    unverify = api.error("PATCH", f"/email_addresses/{added['id']}", 422, json={"verified": False})
    assert unverify["meta"]["param_name"] == "verified"
    deleted = api.ok("DELETE", f"/email_addresses/{first_id}")
    assert deleted == {"object": "email_address", "id": first_id, "deleted": True}
    api.error("GET", f"/email_addresses/{first_id}", 404)
    remaining = api.ok("GET", f"/users/{user['id']}")["email_addresses"]
    assert [e["id"] for e in remaining] == [added["id"]]
    assert sql(server, "SELECT count(*) FROM email_addresses WHERE id = :i", i=first_id) == [(0,)]


def test_created_verified_and_primary_in_one_call(api: Api) -> None:
    user = api.user()
    body = {
        "user_id": user["id"],
        "email_address": unique_email("prim"),
        "verified": True,
        "primary": True,
    }
    added = api.ok("POST", "/email_addresses", json=body)
    assert api.ok("GET", f"/users/{user['id']}")["primary_email_address_id"] == added["id"]


def test_bad_email_input(api: Api) -> None:
    user = api.user()
    taken = user["email_addresses"][0]["email_address"]
    error = api.error(
        "POST", "/email_addresses", 422, json={"user_id": user["id"], "email_address": taken}
    )
    assert error["code"] == "form_identifier_exists"
    assert error["meta"]["param_name"] == "email_address"
    body = {"user_id": user["id"], "email_address": "not an email"}
    assert api.error("POST", "/email_addresses", 422, json=body)["meta"]["param_name"] == (
        "email_address"
    )
    body = {"user_id": "user_2aaaaaaaaaaaaaaaaaaaaaaaaaa", "email_address": unique_email()}
    assert api.error("POST", "/email_addresses", 404, json=body)["meta"]["param_name"] == "user_id"
    for method in ("GET", "PATCH", "DELETE"):
        kw: dict[str, object] = {"json": {}} if method == "PATCH" else {}
        error = api.error(method, "/email_addresses/idn_nope", 404, **kw)
        assert error["meta"]["param_name"] == "email_address_id"
