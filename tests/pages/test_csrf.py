"""Every form refuses requests without a valid, browser-bound token or from another site."""

from __future__ import annotations

import httpx
import pytest

from tests.pages.helpers import PASSWORD, Browsers, PageClient, csrf_token
from tests.support import LiveServer
from threshold.server.pages.csrf import issue_token

EVIL = "https://evil.test"


def _assert_blocked(response: httpx.Response) -> None:
    assert response.status_code == 403, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert "This request was blocked" in response.text
    assert "Traceback" not in response.text


def test_missing_forged_and_foreign_tokens_are_refused(ada: PageClient, browsers: Browsers) -> None:
    server = ada.server
    stranger = browsers(server)
    data = {"identifier": "ada@example.com", "password": PASSWORD}
    _assert_blocked(stranger.http.post("/sign-in", data=data))
    _assert_blocked(stranger.http.post("/sign-in", data={**data, "csrf_token": "1.forged"}))
    stranger.get("/sign-in")  # now it has its own pre-session cookie
    # A token minted for Ada's browser is useless in another browser.
    _assert_blocked(stranger.http.post("/sign-in", data={**data, "csrf_token": ada.token("/user")}))
    assert "__client" not in stranger.cookies
    # ...and Ada's own form posts still work with her token.
    saved = ada.submit("/user", "/user/profile", first_name="Ada", last_name="L")
    assert saved.status_code == 303


def test_login_csrf_leaves_the_victim_signed_out(
    live_server: LiveServer, browsers: Browsers
) -> None:
    attacker = browsers(live_server)
    attacker.sign_up("mallory@example.com")
    attacker_token = attacker.token("/sign-in")
    victim = browsers(live_server, origin=EVIL)
    victim.get("/sign-in")
    forged = victim.http.post(
        "/sign-in",
        data={
            "csrf_token": attacker_token,
            "identifier": "mallory@example.com",
            "password": PASSWORD,
        },
    )
    _assert_blocked(forged)
    assert victim.get("/user").status_code == 303


def test_cross_origin_posts_are_refused_even_with_a_valid_token(ada: PageClient) -> None:
    token = ada.token("/user")
    body = {"csrf_token": token, "first_name": "Eve", "last_name": ""}
    for headers in (
        {"Origin": EVIL},
        {"Origin": "null"},
        {"Origin": ada.server.url + ".evil.test"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ):
        response = ada.http.post("/user/profile", data=body, headers=headers)
        _assert_blocked(response)
    with httpx.Client(base_url=ada.server.url, cookies=ada.cookies) as bare:
        _assert_blocked(bare.post("/user/profile", data=body, headers={"Referer": EVIL + "/x"}))
        _assert_blocked(bare.post("/user/profile", data=body, headers={"Origin": "null"}))
    assert "Eve" not in ada.get("/user").text
    # What Chromium sends from a no-referrer page is accepted.
    ok = ada.http.post(
        "/user/profile", data=body, headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"}
    )
    assert ok.status_code == 303


def test_expired_token_is_refused(ada: PageClient) -> None:
    ctx = ada.server.ctx
    old = issue_token(ctx.instance.hmac_secret, ada.cookies["__client"], ctx.now_s() - 13 * 3600)
    response = ada.http.post("/user/profile", data={"csrf_token": old, "first_name": "Old"})
    _assert_blocked(response)
    assert "expired" in response.text


def test_sign_out_needs_the_token(ada: PageClient) -> None:
    _assert_blocked(ada.http.post("/sign-out", data={"scope": "all"}))
    assert ada.get("/user").status_code == 200
    signed_out = ada.submit("/sign-out", scope="all")
    assert signed_out.status_code == 303
    assert ada.get("/user").headers["location"] == "/sign-in?redirect_url=%2Fuser"


@pytest.mark.parametrize("path", ["/sign-up", "/forgot-password", "/sign-in/code"])
def test_every_public_form_needs_a_token(
    live_server: LiveServer, browsers: Browsers, path: str
) -> None:
    client = browsers(live_server)
    page = client.get(path)
    assert csrf_token(page.text)
    assert "threshold_csrf" in client.cookies
    _assert_blocked(client.http.post(path, data={"identifier": "a@example.com"}))
