"""/sign-up: the form, its errors, the emailed code, resending, and invitations."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from tests.pages.helpers import PASSWORD, Browsers
from tests.support import LiveServer, sql


def test_sign_up_verifies_the_email_and_signs_in(
    live_server: LiveServer, browsers: Browsers
) -> None:
    client = browsers(live_server)
    page = client.get("/sign-up")
    assert 'autocomplete="new-password"' in page.text and 'for="f-email_address"' in page.text
    started = client.submit(
        "/sign-up",
        email_address="Ann@Example.com",
        password=PASSWORD,
        first_name="Ann",
        last_name="Lee",
    )
    assert started.status_code == 303 and started.headers["location"] == "/sign-up/verify"
    assert "__session" not in client.cookies  # no session before the code
    verify = client.get("/sign-up/verify")
    assert "ann@example.com" in verify.text
    assert verify.headers["referrer-policy"] == "no-referrer"
    assert live_server.mailbox is not None
    code = live_server.mailbox.code_for("ann@example.com")
    done = client.submit("/sign-up/verify", code=code)
    assert done.status_code == 303 and done.headers["location"] == "/user"
    assert client.cookies["__session"].startswith("eyJ")
    assert "Ann Lee" in client.get("/user").text
    assert client.get("/sign-up/verify").headers["location"] == "/sign-up"


def test_failed_form_keeps_what_was_typed_except_the_password(
    live_server: LiveServer, browsers: Browsers
) -> None:
    client = browsers(live_server)
    cases = [
        ({"email_address": "not-an-email", "password": PASSWORD}, "email_address", "valid email"),
        ({"email_address": "", "password": PASSWORD}, "email_address", "Enter an email"),
        ({"email_address": "b@example.com", "password": "short1"}, "password", "8 characters"),
        ({"email_address": "b@example.com", "password": "password1234"}, "password", "common"),
        (
            {"email_address": "b@example.com", "password": PASSWORD, "first_name": "x" * 300},
            "first_name",
            "at most 255",
        ),
    ]
    for data, field, words in cases:
        response = client.submit("/sign-up", **{"first_name": "Bea", "last_name": "Ko", **data})
        assert response.status_code == 422, (data, response.status_code)
        assert f'id="f-{field}-error"' in response.text and words in response.text, data
        assert 'value="Ko"' in response.text
        assert data["password"] not in response.text
    assert sql(live_server, "SELECT count(*) FROM users")[0][0] == 0


def test_taken_email_is_refused(live_server: LiveServer, browsers: Browsers) -> None:
    browsers(live_server).sign_up("cy@example.com")
    again = browsers(live_server).submit(
        "/sign-up", email_address="cy@example.com", password=PASSWORD
    )
    assert again.status_code == 422 and "taken" in again.text


def test_resend_sends_a_new_code_and_voids_the_old(
    live_server: LiveServer, browsers: Browsers
) -> None:
    client = browsers(live_server)
    client.submit("/sign-up", email_address="dee@example.com", password=PASSWORD)
    assert live_server.mailbox is not None
    first = live_server.mailbox.code_for("dee@example.com")
    resent = client.submit("/sign-up/verify", "/sign-up/resend")
    assert resent.headers["location"] == "/sign-up/verify?sent=1"
    assert "We sent a new code" in client.get("/sign-up/verify?sent=1").text
    second = live_server.mailbox.code_for("dee@example.com", count=2)
    if first != second:
        stale = client.submit("/sign-up/verify", code=first)
        assert stale.status_code == 422
    assert client.submit("/sign-up/verify", code=second).headers["location"] == "/user"


def test_invitation_ticket_fills_in_the_address(
    live_server: LiveServer, browsers: Browsers
) -> None:
    with httpx.Client(
        base_url=live_server.url,
        headers={"Authorization": f"Bearer {live_server.secret_key}"},
    ) as bapi:
        invitation = bapi.post(
            "/v1/invitations", json={"email_address": "eve@example.com", "notify": False}
        ).json()
    path = invitation["url"].removeprefix(live_server.url)
    client = browsers(live_server)
    page = client.get(path)
    assert "eve@example.com" in page.text and "readonly" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    ticket = parse_qs(urlsplit(path).query)["__clerk_ticket"][0]
    assert f'name="ticket" value="{ticket}"' in page.text
    done = client.submit(path, "/sign-up", password=PASSWORD, first_name="Eve", ticket=ticket)
    assert done.status_code == 303 and done.headers["location"] == "/user"
    assert "eve@example.com" in client.get("/user").text
    reused = browsers(live_server).get(path)
    assert "invalid or was already used" in reused.text


def test_bad_invitation_ticket_is_explained(live_server: LiveServer, browsers: Browsers) -> None:
    page = browsers(live_server).get("/sign-up?__clerk_ticket=nonsense")
    assert page.status_code == 200 and "invalid or was already used" in page.text
    assert 'name="email_address"' in page.text  # the normal form is still offered
