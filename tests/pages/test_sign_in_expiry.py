"""The hosted code pages with a sign-in attempt past its ``abandon_at``: back to the
first page, which says the attempt expired; no session, no new email, no new password."""

from __future__ import annotations

from tests.pages.helpers import PASSWORD, Browsers, PageClient
from tests.support import LiveServer, sql

SIGN_IN_EXPIRED = "This sign-in attempt has expired."
RESET_EXPIRED = "This password reset has expired."


def _expire_attempts(server: LiveServer) -> None:
    sql(server, "UPDATE sign_ins SET abandon_at = 1 WHERE status <> 'complete'")


def _mails(server: LiveServer, address: str) -> int:
    assert server.mailbox is not None
    return len(server.mailbox.to(address))


def test_an_expired_code_sign_in_starts_over(ada: PageClient, browsers: Browsers) -> None:
    server = ada.server
    assert server.mailbox is not None
    client = browsers(server)
    assert client.submit("/sign-in/code", identifier="ada@example.com").status_code == 303
    code = server.mailbox.code_for("ada@example.com", count=2)
    token = client.token("/sign-in/code/verify")  # the form was shown before it lapsed
    _expire_attempts(server)
    sent = _mails(server, "ada@example.com")
    resend = client.http.post("/sign-in/code/resend", data={"csrf_token": token})
    assert resend.status_code == 303
    assert resend.headers["location"] == "/sign-in/code?expired=1"
    done = client.http.post("/sign-in/code/verify", data={"csrf_token": token, "code": code})
    assert done.status_code == 303, done.text[:300]
    assert done.headers["location"] == "/sign-in/code?expired=1"
    assert client.get("/user").status_code == 303  # still signed out
    start = client.get(done.headers["location"])
    assert start.status_code == 200 and SIGN_IN_EXPIRED in start.text
    assert SIGN_IN_EXPIRED not in client.get("/sign-in/code").text
    # Starting again works; the expired attempt mailed nothing more.
    assert client.submit("/sign-in/code", identifier="ada@example.com").status_code == 303
    server.mailbox.wait_for("ada@example.com", count=sent + 1)
    assert _mails(server, "ada@example.com") == sent + 1


def test_an_expired_reset_keeps_the_password(ada: PageClient, browsers: Browsers) -> None:
    server = ada.server
    assert server.mailbox is not None
    client = browsers(server)
    client.submit("/forgot-password", identifier="ada@example.com")
    code = server.mailbox.code_for("ada@example.com", count=2)
    checked = client.submit("/forgot-password/verify", code=code)
    assert checked.headers["location"] == "/forgot-password/new"
    token = client.token("/forgot-password/new")
    _expire_attempts(server)
    new = {"csrf_token": token, "password": "a brand new passphrase for ada"}
    refused = client.http.post("/forgot-password/new", data=new)
    assert refused.status_code == 303
    assert refused.headers["location"] == "/forgot-password?expired=1"
    assert RESET_EXPIRED in client.get(refused.headers["location"]).text
    assert client.get("/forgot-password/new").headers["location"] == "/forgot-password?expired=1"
    assert client.get("/user").status_code == 303
    assert browsers(server).sign_in("ada@example.com", PASSWORD).status_code == 303
    assert ada.get("/user").status_code == 200  # no reset ended Ada's session


def test_an_expired_attempt_read_before_it_lapsed_starts_over(
    live_server: LiveServer, browsers: Browsers
) -> None:
    """Unknown addresses take the same path (nothing tells them apart)."""
    client = browsers(live_server)
    client.submit("/sign-in/code", identifier="ghost@example.com")
    _expire_attempts(live_server)
    page = client.get("/sign-in/code/verify")
    assert page.status_code == 303 and page.headers["location"] == "/sign-in/code?expired=1"
    assert sql(live_server, "SELECT status FROM sign_ins") == [("abandoned",)]
    assert SIGN_IN_EXPIRED in client.get(page.headers["location"]).text
