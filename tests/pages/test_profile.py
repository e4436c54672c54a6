"""/user: profile, password change, devices, and several accounts in one browser."""

from __future__ import annotations

import json
import logging
import re

import pytest

from tests.pages.helpers import PASSWORD, Browsers, PageClient
from tests.support import LiveServer, sql

NEW_PASSWORD = "another long passphrase here"


def test_signed_out_goes_to_sign_in(live_server: LiveServer, browsers: Browsers) -> None:
    response = browsers(live_server).get("/user")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?redirect_url=%2Fuser"
    assert browsers(live_server).get("/").headers["location"] == "/user"


def test_profile_page_shows_the_user(ada: PageClient) -> None:
    page = ada.get("/user")
    assert page.status_code == 200
    assert "Ada Lovelace" in page.text and "ada@example.com" in page.text
    assert "Chrome 130 on Linux" in page.text and "This device" in page.text
    user_id = sql(ada.server, "SELECT id FROM users")[0][0]
    assert f"{ada.server.url}/v1/images/avatar/{user_id}.svg" in page.text
    assert page.headers["cache-control"] == "no-store"


def test_edit_names(ada: PageClient) -> None:
    saved = ada.submit("/user", "/user/profile", first_name="  Augusta  Ada ", last_name="King")
    assert saved.headers["location"] == "/user?done=profile"
    page = ada.get("/user?done=profile")
    assert "Augusta Ada King" in page.text and "Your profile was saved." in page.text
    too_long = ada.submit("/user", "/user/profile", first_name="x" * 256, last_name="Kept")
    assert too_long.status_code == 422 and 'id="f-first_name-error"' in too_long.text
    assert 'value="Kept"' in too_long.text
    cleared = ada.submit("/user", "/user/profile", first_name="", last_name="")
    assert cleared.status_code == 303
    assert "<h1>ada@example.com</h1>" in ada.get("/user").text


def test_password_change_needs_the_current_password(
    ada: PageClient, browsers: Browsers, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="threshold.audit")
    server = ada.server
    other = browsers(server)
    other.sign_in("ada@example.com")
    for current, words in (("", "Enter your current password."), ("wrong one!", "incorrect")):
        refused = ada.submit(
            "/user", "/user/password", current_password=current, new_password=NEW_PASSWORD
        )
        assert refused.status_code == 422 and words in refused.text
        assert 'id="f-current_password-error"' in refused.text
        assert NEW_PASSWORD not in refused.text
    assert other.get("/user").status_code == 200
    weak = ada.submit("/user", "/user/password", current_password=PASSWORD, new_password="short")
    assert weak.status_code == 422 and 'id="f-new_password-error"' in weak.text
    changed = ada.submit(
        "/user", "/user/password", current_password=PASSWORD, new_password=NEW_PASSWORD
    )
    assert changed.headers["location"] == "/user?done=password"
    assert ada.get("/user").status_code == 200
    assert other.get("/user").status_code == 303  # the other device was signed out
    assert browsers(server).sign_in("ada@example.com", PASSWORD).status_code == 422
    assert browsers(server).sign_in("ada@example.com", NEW_PASSWORD).status_code == 303
    assert server.mailbox is not None
    notice = server.mailbox.wait_for("ada@example.com", count=2)
    body = notice.get_payload(decode=True)
    assert isinstance(body, bytes)
    assert "was changed" in body.decode() and NEW_PASSWORD not in body.decode()
    assert PASSWORD not in body.decode()
    audited = [json.loads(r.getMessage()) for r in caplog.records if r.name == "threshold.audit"]
    changes = [e for e in audited if str(e["event"]).startswith("password.")]
    assert [(e["event"], e.get("reason")) for e in changes] == [
        ("password.change_failed", "current_password_incorrect"),
        ("password.changed", None),
    ]
    assert len({e["user_id"] for e in changes}) == 1 and all(e["ip"] for e in changes)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert NEW_PASSWORD not in logged and "wrong one!" not in logged


def test_revoke_another_device(ada: PageClient, browsers: Browsers) -> None:
    other = browsers(ada.server)
    other.http.headers["User-Agent"] = (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Version/17.0 Mobile Safari/604.1"
    )
    other.sign_in("ada@example.com")
    page = ada.get("/user")
    assert "Safari 17 on iPhone" in page.text
    ids = re.findall(r'name="session_id" value="(sess_\w+)"', page.text)
    assert len(ids) == 1  # only the other device can be revoked from the list
    revoked = ada.submit("/user", "/user/sessions/revoke", session_id=ids[0])
    assert revoked.headers["location"] == "/user?done=revoked"
    assert "That device was signed out." in ada.get("/user?done=revoked").text
    assert other.get("/user").headers["location"] == "/sign-in?redirect_url=%2Fuser"
    mine = sql(ada.server, "SELECT id FROM sessions WHERE status = 'active'")[0][0]
    refused = ada.submit("/user", "/user/sessions/revoke", session_id=mine)
    assert refused.status_code == 422 and "sign out instead" in refused.text


def test_cannot_revoke_someone_elses_session(ada: PageClient, browsers: Browsers) -> None:
    bob = browsers(ada.server)
    bob.sign_up("bob@example.com")
    bobs = sql(
        ada.server,
        "SELECT s.id FROM sessions s JOIN email_addresses e "
        "ON e.user_id = s.user_id WHERE e.email_address = 'bob@example.com'",
    )[0][0]
    refused = ada.submit("/user", "/user/sessions/revoke", session_id=bobs)
    assert refused.status_code == 404 and "Session not found." in refused.text
    assert bob.get("/user").status_code == 200


def test_add_another_account_and_switch(ada: PageClient) -> None:
    added = ada.submit(
        "/sign-in?redirect_url=%2Fuser", "/sign-in", identifier="ada@example.com", password=PASSWORD
    )
    assert added.status_code == 303
    ada.submit("/sign-up", email_address="bo@example.com", password=PASSWORD, first_name="Bo")
    assert ada.server.mailbox is not None
    code = ada.server.mailbox.code_for("bo@example.com")
    assert ada.submit("/sign-up/verify", code=code).headers["location"] == "/user"
    page = ada.get("/user")
    assert "<h1>Bo</h1>" in page.text and "Ada Lovelace" in page.text
    assert page.text.count('action="/user/switch"') == 1
    ada_session = re.search(
        r'name="session_id" value="(sess_\w+)">\s*<button[^>]*Switch to ada@example.com',
        page.text,
    )
    assert ada_session
    first_session_cookie = ada.cookies["__session"]
    switched = ada.submit("/user", "/user/switch", session_id=ada_session.group(1))
    assert switched.headers["location"] == "/user?done=switched"
    assert ada.cookies["__session"] != first_session_cookie
    assert "<h1>Ada Lovelace</h1>" in ada.get("/user").text
    signin_page = ada.get("/sign-in")
    assert "You are signed in as" in signin_page.text
    # Signing out of one account leaves the other signed in.
    one = ada.submit("/sign-out", scope="this")
    assert one.headers["location"] == "/user"
    assert "<h1>Bo</h1>" in ada.get("/user").text
    everything = ada.submit("/sign-out", scope="all")
    assert everything.headers["location"] == "/sign-in?signed_out=1"
    assert ada.get("/user").status_code == 303
    assert "__session" not in ada.cookies and ada.cookies["__client_uat"] == "0"
