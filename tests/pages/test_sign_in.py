"""/sign-in: password, cookies, errors in words, sign-in token links, email codes."""

from __future__ import annotations

import re

import httpx

from tests.pages.helpers import Browsers, PageClient, set_cookie_headers
from tests.support import LiveServer, sql


def _bapi(server: LiveServer) -> httpx.Client:
    return httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {server.secret_key}"}
    )


def test_sign_in_sets_the_frontend_api_cookies(ada: PageClient, browsers: Browsers) -> None:
    client = browsers(ada.server)
    page = client.get("/sign-in")
    assert 'autocomplete="current-password"' in page.text
    assert 'autocomplete="username"' in page.text
    before = client.get("/sign-in/code") and client.cookies.get("__client")
    response = client.sign_in("ADA@example.com")
    assert response.status_code == 303 and response.headers["location"] == "/user"
    (client_cookie,) = set_cookie_headers(response, "__client")
    lowered = client_cookie.lower()
    assert "httponly" in lowered and "samesite=lax" in lowered and "path=/" in lowered
    assert "domain" not in lowered and "secure" not in lowered  # http:// public URL
    (session_cookie,) = set_cookie_headers(response, "__session")
    assert "httponly" not in session_cookie.lower()
    assert session_cookie.startswith("__session=eyJ")
    assert int(client.cookies["__client_uat"]) > 0
    assert client.cookies["__client"] != before
    assert response.headers["cache-control"] == "no-store"
    user = client.get("/user")
    assert user.status_code == 200 and "Ada Lovelace" in user.text


def test_client_cookie_rotates_on_every_sign_in(ada: PageClient) -> None:
    first = ada.cookies["__client"]
    ada.sign_in("ada@example.com")
    assert ada.cookies["__client"] != first
    stale = httpx.Client(base_url=ada.server.url, cookies={"__client": first})
    with stale:
        assert stale.get("/user").status_code == 303


def test_wrong_password_and_unknown_email_read_the_same(
    ada: PageClient, browsers: Browsers
) -> None:
    client = browsers(ada.server)
    wrong = client.sign_in("ada@example.com", "not the right password")
    unknown = client.sign_in("nobody@example.com", "not the right password")
    for response, email in ((wrong, "ada@example.com"), (unknown, "nobody@example.com")):
        assert response.status_code == 422
        assert "Incorrect email address or password." in response.text
        assert f'value="{email}"' in response.text
        assert "not the right password" not in response.text
        assert 'aria-invalid="true"' in response.text
    assert client.submit("/sign-in", identifier="ada@example.com").status_code == 422


def test_locked_account_says_how_long(ada: PageClient, browsers: Browsers) -> None:
    lock_until = ada.server.ctx.now_ms() + 30 * 60_000
    sql(ada.server, "UPDATE users SET locked_until = :t", t=lock_until)
    response = browsers(ada.server).sign_in("ada@example.com")
    assert response.status_code == 403
    assert re.search(r"locked .* Try again in (29|30) minutes", response.text)


def test_rate_limit_is_shown_in_words(ada: PageClient, browsers: Browsers) -> None:
    client = browsers(ada.server)
    for _ in range(10):
        client.sign_in("ada@example.com", "wrong wrong wrong")
    limited = client.sign_in("ada@example.com", "wrong wrong wrong")
    assert limited.status_code == 429
    assert "Too many attempts. Try again in" in limited.text


def test_sign_in_token_link_asks_before_signing_in(ada: PageClient, browsers: Browsers) -> None:
    server = ada.server
    user_id = sql(server, "SELECT id FROM users")[0][0]
    with _bapi(server) as bapi:
        created = bapi.post("/v1/sign_in_tokens", json={"user_id": user_id}).json()
    client = browsers(server)
    path = created["url"].removeprefix(server.url)
    page = client.get(path)
    assert page.status_code == 200 and "Continue as ada@example.com" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "__client" not in client.cookies  # a GET never redeems the ticket
    response = client.submit(path, "/sign-in/ticket", ticket=created["token"])
    assert response.status_code == 303 and response.headers["location"] == "/user"
    assert client.get("/user").status_code == 200
    again = browsers(server).get(path)
    assert "invalid or has expired" in again.text
    reused = browsers(server).submit("/sign-in", "/sign-in/ticket", ticket=created["token"])
    assert reused.status_code == 422 and "invalid or has expired" in reused.text


def test_sign_in_with_an_emailed_code(ada: PageClient, browsers: Browsers) -> None:
    server = ada.server
    client = browsers(server)
    sent = client.submit("/sign-in/code", identifier="ada@example.com")
    assert sent.headers["location"] == "/sign-in/code/verify"
    page = client.get("/sign-in/code/verify")
    assert "a 6-digit sign-in code is on its way" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert server.mailbox is not None
    code = server.mailbox.code_for("ada@example.com", count=2)
    wrong = client.submit("/sign-in/code/verify", code="000000")
    assert wrong.status_code == 422 and "Incorrect code." in wrong.text
    done = client.submit("/sign-in/code/verify", code=code[:3] + " " + code[3:])
    assert done.status_code == 303 and done.headers["location"] == "/user"


def test_code_for_an_unknown_email_reads_the_same(
    live_server: LiveServer, browsers: Browsers
) -> None:
    client = browsers(live_server)
    sent = client.submit("/sign-in/code", identifier="ghost@example.com")
    assert sent.headers["location"] == "/sign-in/code/verify"
    assert "a 6-digit sign-in code is on its way" in client.get("/sign-in/code/verify").text
    failed = client.submit("/sign-in/code/verify", code="123456")
    assert failed.status_code == 422 and "Incorrect code." in failed.text
    assert live_server.mailbox is not None and not live_server.mailbox.to("ghost@example.com")
