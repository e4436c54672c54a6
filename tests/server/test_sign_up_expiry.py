"""A sign-up past its ``abandon_at`` over real HTTP, on SQLite and PostgreSQL.

It reads ``abandoned`` (Clerk's status for an expired sign-up), refuses every step with
``sign_up_cannot_be_updated``, and sends no email.
"""

from __future__ import annotations

from tests.browser import PASSWORD, FapiBrowser
from tests.support import LiveServer, clerk_error, sql

GONE = "sign_up_cannot_be_updated"


def _expire(server: LiveServer, sua: str) -> None:
    sql(server, "UPDATE sign_ups SET abandon_at = 1 WHERE id = :id", id=sua)


def _stored_status(server: LiveServer, sua: str) -> str:
    return str(sql(server, "SELECT status FROM sign_ups WHERE id = :id", id=sua)[0][0])


def test_an_expired_sign_up_reads_abandoned(live_server: LiveServer) -> None:
    browser = FapiBrowser(live_server)
    sua = browser.ok("POST", "/v1/client/sign_ups", email_address="ada@example.com")["response"]
    assert sua["status"] == "missing_requirements"
    _expire(live_server, sua["id"])
    assert browser.client()["sign_up"]["status"] == "abandoned"  # type: ignore[index]
    got = browser.ok("GET", f"/v1/client/sign_ups/{sua['id']}")
    assert got["response"]["status"] == "abandoned"
    assert got["client"]["sign_up"]["status"] == "abandoned"
    assert _stored_status(live_server, sua["id"]) == "abandoned"


def test_an_expired_sign_up_sends_no_code(live_server: LiveServer) -> None:
    browser = FapiBrowser(live_server)
    sua = browser.ok("POST", "/v1/client/sign_ups", email_address="bo@example.com")["response"]
    _expire(live_server, sua["id"])
    refused = browser.post(
        f"/v1/client/sign_ups/{sua['id']}/prepare_verification", strategy="email_code"
    )
    assert clerk_error(refused)["code"] == GONE
    assert _stored_status(live_server, sua["id"]) == "abandoned"
    assert sql(live_server, "SELECT id FROM verifications WHERE subject_id = :s", s=sua["id"]) == []
    # A code sent afterwards arrives; none ever went to the expired sign-up's address.
    other = FapiBrowser(live_server)
    fresh = other.ok("POST", "/v1/client/sign_ups", email_address="cy@example.com")["response"]
    other.ok("POST", f"/v1/client/sign_ups/{fresh['id']}/prepare_verification")
    assert live_server.mailbox is not None
    live_server.mailbox.wait_for("cy@example.com")
    assert live_server.mailbox.to("bo@example.com") == []


def test_an_expired_sign_up_refuses_updates_and_codes(live_server: LiveServer) -> None:
    browser = FapiBrowser(live_server)
    sua = browser.ok(
        "POST", "/v1/client/sign_ups", email_address="di@example.com", password=PASSWORD
    )["response"]["id"]
    browser.ok("POST", f"/v1/client/sign_ups/{sua}/prepare_verification", strategy="email_code")
    assert live_server.mailbox is not None
    code = live_server.mailbox.code_for("di@example.com")
    _expire(live_server, sua)
    patched = browser.http.post(
        f"/v1/client/sign_ups/{sua}?_method=PATCH", data={"first_name": "Di"}
    )
    assert clerk_error(patched)["code"] == GONE
    attempted = browser.post(
        f"/v1/client/sign_ups/{sua}/attempt_verification", strategy="email_code", code=code
    )
    assert clerk_error(attempted)["code"] == GONE
    assert sql(live_server, "SELECT id FROM users") == []
    assert sql(live_server, "SELECT first_name FROM sign_ups WHERE id = :id", id=sua) == [(None,)]
    assert browser.client()["sign_up"]["status"] == "abandoned"  # type: ignore[index]
