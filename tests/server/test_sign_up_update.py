"""``PATCH /v1/client/sign_ups/{id}`` over real HTTP, on SQLite and PostgreSQL.

clerk-js sends it as ``POST ?_method=PATCH`` with a form body; both spellings are used.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.browser import PASSWORD, FapiBrowser, sign_up_user
from tests.support import LiveServer, clerk_error, sql

APP_ORIGIN = "http://localhost:3000"


def _start(browser: FapiBrowser, email: str, **fields: Any) -> str:
    body = browser.ok("POST", "/v1/client/sign_ups", email_address=email, **fields)
    sua: str = body["response"]["id"]
    return sua


def _patch(browser: FapiBrowser, sua: str, **data: Any) -> httpx.Response:
    """The update as clerk-js sends it: a form POST overridden to PATCH."""
    return browser.http.post(f"/v1/client/sign_ups/{sua}?_method=PATCH", data=data)


def _patched(browser: FapiBrowser, sua: str, **data: Any) -> dict[str, Any]:
    response = _patch(browser, sua, **data)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert set(body) == {"response", "client"}
    return body


def _sign_up_row(server: LiveServer, sua: str) -> tuple[Any, ...]:
    rows = sql(
        server,
        "SELECT email_address, email_verified, first_name, last_name, password_digest"
        " FROM sign_ups WHERE id = :id",
        id=sua,
    )
    return tuple(rows[0])


def test_names_and_metadata_reach_the_user(live_server: LiveServer) -> None:
    browser = FapiBrowser(live_server, origin=APP_ORIGIN)
    sua = _start(browser, "nora@example.com")
    started = browser.ok("GET", f"/v1/client/sign_ups/{sua}")["response"]
    assert started["missing_fields"] == ["password"]
    assert started["unverified_fields"] == ["email_address"]

    body = _patched(
        browser,
        sua,
        first_name="  Nora ",
        last_name="Quist",
        unsafe_metadata=json.dumps({"plan": "pro", "seats": [1, 2]}),
        favourite_colour="ignored",
    )
    sign_up = body["response"]
    assert sign_up["id"] == sua and sign_up["status"] == "missing_requirements"
    assert (sign_up["first_name"], sign_up["last_name"]) == ("Nora", "Quist")
    assert sign_up["unsafe_metadata"] == {"plan": "pro", "seats": [1, 2]}
    assert body["client"]["sign_up"]["first_name"] == "Nora"

    # The PATCH verb itself, with a JSON body: the password fills the last missing field.
    response = browser.http.patch(f"/v1/client/sign_ups/{sua}", json={"password": PASSWORD})
    assert response.status_code == 200, response.text
    sign_up = response.json()["response"]
    assert sign_up["missing_fields"] == [] and sign_up["password_enabled"] is True
    assert sign_up["unverified_fields"] == ["email_address"]

    browser.ok("POST", f"/v1/client/sign_ups/{sua}/prepare_verification", strategy="email_code")
    assert live_server.mailbox is not None
    code = live_server.mailbox.code_for("nora@example.com")
    done = browser.ok("POST", f"/v1/client/sign_ups/{sua}/attempt_verification", code=code)
    assert done["response"]["status"] == "complete"
    assert done["response"]["unverified_fields"] == []
    user = done["client"]["sessions"][0]["user"]
    assert user["id"] == done["response"]["created_user_id"]
    assert (user["first_name"], user["last_name"]) == ("Nora", "Quist")
    assert user["unsafe_metadata"] == {"plan": "pro", "seats": [1, 2]}
    # The password sent in the update is the one that signs in.
    again = FapiBrowser(live_server).ok(
        "POST", "/v1/client/sign_ins", identifier="nora@example.com", password=PASSWORD
    )
    assert again["response"]["status"] == "complete"


def test_a_new_address_voids_the_old_code(live_server: LiveServer) -> None:
    browser = FapiBrowser(live_server)
    sua = _start(browser, "olga@example.com", password=PASSWORD)
    browser.ok("POST", f"/v1/client/sign_ups/{sua}/prepare_verification", strategy="email_code")
    assert live_server.mailbox is not None
    old_code = live_server.mailbox.code_for("olga@example.com")

    sign_up = _patched(browser, sua, email_address=" Olga.New@Example.com ")["response"]
    assert sign_up["email_address"] == "olga.new@example.com"
    assert sign_up["unverified_fields"] == ["email_address"]
    assert sign_up["verifications"]["email_address"]["status"] == "unverified"

    stale = browser.post(f"/v1/client/sign_ups/{sua}/attempt_verification", code=old_code)
    assert clerk_error(stale, 422)["code"] == "verification_expired"
    assert sql(live_server, "SELECT count(*) FROM users")[0][0] == 0

    browser.ok("POST", f"/v1/client/sign_ups/{sua}/prepare_verification", strategy="email_code")
    new_code = live_server.mailbox.code_for("olga.new@example.com")
    assert len(live_server.mailbox.to("olga@example.com")) == 1
    done = browser.ok("POST", f"/v1/client/sign_ups/{sua}/attempt_verification", code=new_code)
    assert done["response"]["status"] == "complete"
    emails = done["client"]["sessions"][0]["user"]["email_addresses"]
    assert [e["email_address"] for e in emails] == ["olga.new@example.com"]


def test_a_new_address_after_verification_is_unverified_again(live_server: LiveServer) -> None:
    # Verified first, password still missing: the sign-up waits with a verified address.
    browser = FapiBrowser(live_server)
    sua = _start(browser, "pia@example.com")
    browser.ok("POST", f"/v1/client/sign_ups/{sua}/prepare_verification", strategy="email_code")
    assert live_server.mailbox is not None
    code = live_server.mailbox.code_for("pia@example.com")
    verified = browser.ok("POST", f"/v1/client/sign_ups/{sua}/attempt_verification", code=code)
    assert verified["response"]["unverified_fields"] == []
    assert verified["response"]["missing_fields"] == ["password"]

    # The same address again (differently spelled) keeps the verification.
    same = _patched(browser, sua, email_address="PIA@example.com")["response"]
    assert same["unverified_fields"] == []

    moved = _patched(browser, sua, email_address="pia2@example.com", password=PASSWORD)
    assert moved["response"]["status"] == "missing_requirements"
    assert moved["response"]["unverified_fields"] == ["email_address"]
    assert moved["response"]["missing_fields"] == []
    reused = browser.post(f"/v1/client/sign_ups/{sua}/attempt_verification", code=code)
    assert clerk_error(reused, 422)["code"] == "verification_expired"
    assert sql(live_server, "SELECT count(*) FROM users")[0][0] == 0


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short", "form_password_length_too_short"),
        ("password1234", "form_password_pwned"),
        ("quentin.quist", "form_password_pwned"),  # the sign-up's own address
    ],
)
def test_weak_passwords_refused_and_nothing_changes(
    live_server: LiveServer, password: str, code: str
) -> None:
    browser = FapiBrowser(live_server)
    sua = _start(browser, "quentin.quist@example.com", first_name="Quentin")
    before = _sign_up_row(live_server, sua)
    error = clerk_error(_patch(browser, sua, first_name="Changed", password=password), 422)
    assert error["code"] == code and error["message"]
    assert error["meta"]["param_name"] == "password"
    assert _sign_up_row(live_server, sua) == before


def test_bad_input_loses_nothing(live_server: LiveServer) -> None:
    sign_up_user(FapiBrowser(live_server), "taken@example.com")
    browser = FapiBrowser(live_server)
    sua = _start(browser, "rae@example.com", first_name="Rae")
    before = _sign_up_row(live_server, sua)
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"email_address": "not-an-address"}, "form_param_format_invalid", "email_address"),
        ({"email_address": ""}, "form_param_missing", "email_address"),
        ({"email_address": "TAKEN@example.com"}, "form_identifier_exists", "email_address"),
        ({"last_name": "x" * 256}, "form_param_format_invalid", "last_name"),
        ({"unsafe_metadata": "[1, 2]"}, "form_param_format_invalid", "unsafe_metadata"),
        ({"ticket": "no-such-ticket"}, "ticket_invalid", "ticket"),
    ]
    for fields, code, param in cases:
        error = clerk_error(_patch(browser, sua, first_name="Changed", password=PASSWORD, **fields))
        assert (error["code"], error["meta"]["param_name"]) == (code, param), fields
    assert _sign_up_row(live_server, sua) == before


def _backend_api(server: LiveServer) -> httpx.Client:
    return httpx.Client(
        base_url=f"{server.url}/v1", headers={"Authorization": f"Bearer {server.secret_key}"}
    )


def test_an_invitation_ticket_brings_its_verified_address(live_server: LiveServer) -> None:
    created = _backend_api(live_server).post(
        "/invitations",
        json={"email_address": "wes@invited.example", "public_metadata": {"team": "blue"}},
    )
    assert created.status_code == 200, created.text
    ticket = parse_qs(urlsplit(created.json()["url"]).query)["__clerk_ticket"][0]
    browser = FapiBrowser(live_server)
    sua = _start(browser, "wes@example.com", first_name="Wes")
    ticketed = _patched(browser, sua, ticket=ticket)["response"]
    assert ticketed["email_address"] == "wes@invited.example"
    assert ticketed["unverified_fields"] == [] and ticketed["missing_fields"] == ["password"]
    done = _patched(browser, sua, password=PASSWORD)
    assert done["response"]["status"] == "complete"
    user = done["client"]["sessions"][0]["user"]
    assert user["first_name"] == "Wes" and user["public_metadata"] == {"team": "blue"}
    status = sql(live_server, "SELECT status FROM invitations")[0][0]
    assert status == "accepted"


def test_block_and_allow_lists_apply_to_a_new_address(live_server: LiveServer) -> None:
    api = _backend_api(live_server)
    browser = FapiBrowser(live_server)
    sua = _start(browser, "sam@example.com")
    blocked = api.post("/blocklist_identifiers", json={"identifier": "@spam.example"})
    assert blocked.status_code == 200, blocked.text
    error = clerk_error(_patch(browser, sua, email_address="sam@spam.example"), 422)
    assert error["code"] == "identifier_not_allowed_access"
    assert error["meta"]["param_name"] == "email_address"

    allowed = api.post("/allowlist_identifiers", json={"identifier": "*@good.example"})
    assert allowed.status_code == 200, allowed.text
    error = clerk_error(_patch(browser, sua, email_address="sam@other.example"), 422)
    assert error["code"] == "identifier_not_allowed_access"
    assert _sign_up_row(live_server, sua)[0] == "sam@example.com"
    moved = _patched(browser, sua, email_address="sam@good.example")["response"]
    assert moved["email_address"] == "sam@good.example"


def test_only_the_own_clients_sign_up(live_server: LiveServer) -> None:
    owner = FapiBrowser(live_server)
    sua = _start(owner, "tia@example.com")
    before = _sign_up_row(live_server, sua)
    stranger = FapiBrowser(live_server)
    stranger.post("/v1/client")
    for browser in (stranger, FapiBrowser(live_server)):
        for fields in ({"first_name": "Mallory"}, {"password": PASSWORD}):
            error = clerk_error(_patch(browser, sua, **fields), 404)
            assert error["code"] == "resource_not_found"
    assert clerk_error(_patch(stranger, "sua_nope", first_name="X"), 404)["code"] == (
        "resource_not_found"
    )
    assert _sign_up_row(live_server, sua) == before


def test_a_complete_sign_up_refuses_updates(live_server: LiveServer) -> None:
    browser = FapiBrowser(live_server)
    done = sign_up_user(browser, "uma@example.com", first_name="Uma")
    sua = done["response"]["id"]
    for fields in ({"first_name": "Other"}, {"password": "another fine passphrase"}, {}):
        error = clerk_error(_patch(browser, sua, **fields), 422)
        assert error["code"] == "client_state_invalid" and error["message"]
    got = browser.ok("GET", f"/v1/client/sign_ups/{sua}")["response"]
    assert got["status"] == "complete" and got["first_name"] == "Uma"


def test_an_abandoned_sign_up_refuses_updates(live_server: LiveServer) -> None:
    browser = FapiBrowser(live_server)
    sua = _start(browser, "vi@example.com")
    sql(live_server, "UPDATE sign_ups SET abandon_at = 1 WHERE id = :id", id=sua)
    error = clerk_error(_patch(browser, sua, first_name="Vi"), 422)
    assert error["code"] == "sign_up_cannot_be_updated"
    sql(live_server, "UPDATE sign_ups SET status = 'abandoned' WHERE id = :id", id=sua)
    refused = clerk_error(_patch(browser, sua, password=PASSWORD), 422)
    assert refused["code"] == "sign_up_cannot_be_updated"
