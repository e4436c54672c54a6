"""Allowlist and blocklist identifiers, and their enforcement at sign-up and sign-in.

One module, one server: these tests change who may sign up, so they run in order and
leave both lists empty.
"""

from __future__ import annotations

from tests.backend_api.conftest import PASSWORD, Api, unique_email
from tests.browser import FapiBrowser
from tests.support import LiveServer


def _sign_up(server: LiveServer, email: str) -> int:
    body = {"email_address": email, "password": PASSWORD}
    return FapiBrowser(server).post("/v1/client/sign_ups", **body).status_code


def _sign_in(server: LiveServer, email: str) -> dict[str, object]:
    response = FapiBrowser(server).post("/v1/client/sign_ins", identifier=email, password=PASSWORD)
    body: dict[str, object] = response.json()
    return body


def test_blocklist_crud_and_enforcement(server: LiveServer, api: Api) -> None:
    email = unique_email("blocked")
    existing = api.user(email_address=[email])
    entry = api.ok("POST", "/blocklist_identifiers", json={"identifier": email.upper()})
    assert entry["object"] == "blocklist_identifier" and entry["id"].startswith("blid_")
    assert entry["identifier"] == email and entry["identifier_type"] == "email_address"
    domain = api.ok("POST", "/blocklist_identifiers", json={"identifier": "@spam.example"})
    assert domain["identifier"] == "*@spam.example"
    listed = api.ok("GET", "/blocklist_identifiers")
    assert listed["total_count"] == 2 and {e["id"] for e in listed["data"]} == {
        entry["id"],
        domain["id"],
    }
    dup = api.error("POST", "/blocklist_identifiers", 422, json={"identifier": email})
    assert dup["code"] == "form_identifier_exists"

    assert _sign_up(server, "someone@spam.example") == 422
    refused = _sign_in(server, email)
    assert refused["errors"][0]["code"] == "identifier_not_allowed_access"  # type: ignore[index]
    assert refused["errors"][0]["meta"] == {"param_name": "identifier"}  # type: ignore[index]

    for row in (entry, domain):
        deleted = api.ok("DELETE", f"/blocklist_identifiers/{row['id']}")
        assert deleted == {"object": "blocklist_identifier", "id": row["id"], "deleted": True}
    assert _sign_in(server, email)["response"]["status"] == "complete"  # type: ignore[index]
    assert existing["id"]
    api.error("DELETE", f"/blocklist_identifiers/{entry['id']}", 404)


def test_allowlist_crud_and_enforcement(server: LiveServer, api: Api) -> None:
    outsider = unique_email("outsider")
    api.user(email_address=[outsider])
    entry = api.ok("POST", "/allowlist_identifiers", json={"identifier": "*@allowed.example"})
    assert entry["object"] == "allowlist_identifier" and entry["id"].startswith("alid_")
    assert entry["invitation_id"] is None and entry["instance_id"].startswith("ins_")
    person = unique_email("vip")
    single = api.ok("POST", "/allowlist_identifiers", json={"identifier": person, "notify": True})
    assert server.mailbox is not None and server.mailbox.wait_for(person)
    assert [e["id"] for e in api.ok("GET", "/allowlist_identifiers")] == [single["id"], entry["id"]]
    page = api.ok("GET", "/allowlist_identifiers", params={"paginated": "true", "limit": 1})
    assert page["total_count"] == 2 and len(page["data"]) == 1

    assert _sign_up(server, unique_email("stranger")) == 422
    assert _sign_up(server, "new-" + unique_email()[5:15] + "@allowed.example") == 200
    assert _sign_up(server, person) == 200
    refused = _sign_in(server, outsider)
    assert refused["errors"][0]["code"] == "identifier_not_allowed_access"  # type: ignore[index]

    for row in (entry, single):
        api.ok("DELETE", f"/allowlist_identifiers/{row['id']}")
    assert api.ok("GET", "/allowlist_identifiers") == []
    assert _sign_in(server, outsider)["response"]["status"] == "complete"  # type: ignore[index]


def test_bad_identifiers(api: Api) -> None:
    for bad in ("", "+15555550100", "not a domain", "a@b"):
        error = api.error("POST", "/allowlist_identifiers", 422, json={"identifier": bad})
        assert error["meta"]["param_name"] == "identifier"
    api.error("DELETE", "/allowlist_identifiers/alid_nope", 404)
