"""``GET /v1/me``: the signed-in user of the session clerk-js names, and only that."""

from __future__ import annotations

from tests.browser import FapiBrowser, sign_up_user
from tests.support import LiveServer, clerk_error


def test_me_is_the_signed_in_user(sqlite_server: LiveServer) -> None:
    browser = FapiBrowser(sqlite_server)
    signed_up = sign_up_user(browser, "ada@example.com", first_name="Ada")
    session_id = signed_up["client"]["last_active_session_id"]

    named = browser.ok("GET", f"/v1/me?_clerk_session_id={session_id}")
    assert named["response"]["object"] == "user"
    assert named["response"]["id"] == signed_up["response"]["created_user_id"]
    assert named["response"]["first_name"] == "Ada"
    assert "private_metadata" not in named["response"]
    assert named["client"]["last_active_session_id"] == session_id
    assert browser.ok("GET", "/v1/me")["response"]["id"] == named["response"]["id"]


def test_me_refuses_a_signed_out_browser_and_another_browsers_session(
    sqlite_server: LiveServer,
) -> None:
    owner = FapiBrowser(sqlite_server)
    session_id = sign_up_user(owner, "ada@example.com")["client"]["last_active_session_id"]

    stranger = FapiBrowser(sqlite_server)
    assert clerk_error(stranger.get("/v1/me"), 401)["code"] == "signed_out"
    stolen = stranger.get(f"/v1/me?_clerk_session_id={session_id}")
    assert clerk_error(stolen, 401)["code"] == "signed_out"

    owner.ok("DELETE", "/v1/client/sessions")
    ended = owner.get(f"/v1/me?_clerk_session_id={session_id}")
    assert clerk_error(ended, 401)["code"] == "signed_out"
