"""/forgot-password: email, code, new password; never says whether the email exists."""

from __future__ import annotations

from tests.pages.helpers import PASSWORD, Browsers, PageClient
from tests.support import LiveServer

NEW_PASSWORD = "a brand new passphrase for ada"


def _body(message: object) -> str:
    from email.message import Message

    assert isinstance(message, Message)
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def test_reset_signs_in_and_ends_other_sessions(ada: PageClient, browsers: Browsers) -> None:
    server = ada.server
    assert server.mailbox is not None
    client = browsers(server)
    sent = client.submit("/forgot-password", identifier="ada@example.com")
    assert sent.headers["location"] == "/forgot-password/verify"
    page = client.get("/forgot-password/verify")
    assert page.headers["referrer-policy"] == "no-referrer"
    assert client.get("/forgot-password/new").headers["location"] == "/forgot-password"
    code = server.mailbox.code_for("ada@example.com", count=2)
    checked = client.submit("/forgot-password/verify", code=code)
    assert checked.headers["location"] == "/forgot-password/new"
    weak = client.submit("/forgot-password/new", password="short")
    assert weak.status_code == 422 and 'id="f-password-error"' in weak.text
    done = client.submit("/forgot-password/new", password=NEW_PASSWORD)
    assert done.status_code == 303 and done.headers["location"] == "/user"
    assert client.get("/user").status_code == 200
    # Ada's other browser was signed out; the old password no longer works.
    assert ada.get("/user").headers["location"] == "/sign-in?redirect_url=%2Fuser"
    assert browsers(server).sign_in("ada@example.com", PASSWORD).status_code == 422
    assert browsers(server).sign_in("ada@example.com", NEW_PASSWORD).status_code == 303
    notice = server.mailbox.wait_for("ada@example.com", count=3)
    text = _body(notice)
    assert "password" in notice["Subject"].lower()
    assert code not in text and NEW_PASSWORD not in text


def test_unknown_email_gets_the_same_pages_and_no_mail(
    live_server: LiveServer, browsers: Browsers
) -> None:
    client = browsers(live_server)
    sent = client.submit("/forgot-password", identifier="ghost@example.com")
    assert sent.headers["location"] == "/forgot-password/verify"
    page = client.get("/forgot-password/verify")
    assert "If <strong>ghost@example.com</strong> has an account" in page.text
    wrong = client.submit("/forgot-password/verify", code="123456")
    assert wrong.status_code == 422 and "Incorrect code." in wrong.text
    assert live_server.mailbox is not None and not live_server.mailbox.to("ghost@example.com")


def test_wrong_code_keeps_the_flow_going(ada: PageClient, browsers: Browsers) -> None:
    client = browsers(ada.server)
    client.submit("/forgot-password", identifier="ada@example.com")
    wrong = client.submit("/forgot-password/verify", code="000000")
    assert wrong.status_code == 422 and "Incorrect code." in wrong.text
    assert 'autocomplete="one-time-code"' in wrong.text
    bad_email = client.submit("/forgot-password", identifier="nope")
    assert bad_email.status_code == 422 and 'id="f-identifier-error"' in bad_email.text
