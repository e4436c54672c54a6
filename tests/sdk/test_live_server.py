"""The SDK against the real Threshold server (``sqlite_server``): JWKS, users, renewals,
the handshake, and the FastAPI example wired to it."""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.sdk.drivers import TestClient
from tests.support import LiveServer
from threshold import ApiError, Authenticator, Client, SdkConfig, verify_token
from threshold.core.clock import FrozenClock
from threshold.sdk.http import RequestInfo

APP = "http://127.0.0.1:8000"


@pytest.fixture
def server(sqlite_server: LiveServer) -> LiveServer:
    return sqlite_server


@pytest.fixture
def api(server: LiveServer) -> Client:
    return Client(server.secret_key, server.url)


def _signed_in(api: Client, email: str = "ada@example.com") -> tuple[str, str, str]:
    user = api.users.create(
        email_address=[email], password="correct horse battery staple 9", first_name="Ada"
    )
    session = api.sessions.create(user.id)
    token = api.sessions.create_token(session.id, origin=APP).jwt
    return user.id, session.id, token


def test_tokens_verify_with_the_servers_jwks(server: LiveServer, api: Client) -> None:
    user_id, session_id, token = _signed_in(api)
    config = SdkConfig(secret_key=server.secret_key, api_url=server.url, authorized_parties=(APP,))
    claims = verify_token(token, config)
    assert (claims["sub"], claims["sid"], claims["azp"]) == (user_id, session_id, APP)
    assert verify_token(token, api_url=server.url)["sub"] == user_id  # /.well-known/jwks.json
    assert verify_token(token, jwt_key=server.jwt_public_pem)["sub"] == user_id
    assert api.users.get(user_id).primary_email_address == "ada@example.com"


def test_expired_post_is_renewed_by_the_server(server: LiveServer, api: Client) -> None:
    _, session_id, _ = _signed_in(api)
    short = api.sessions.create_token(session_id, expires_in_seconds=30, origin=APP).jwt
    config = SdkConfig(secret_key=server.secret_key, api_url=server.url)
    sdk = Authenticator(config, clock=FrozenClock(time.time() + 40))  # the page sat open
    host = APP.removeprefix("http://")
    request = RequestInfo(
        "POST", "http", host, "/_threshold/actions/x", "", {}, {"__session": short}
    )
    outcome = sdk.authenticate_sync(request)
    assert outcome.claims is not None and outcome.claims["sid"] == session_id
    assert outcome.set_cookies[0].startswith(f"__session={outcome.token};")
    api.sessions.revoke(session_id)
    again = Authenticator(config, clock=FrozenClock(time.time() + 40)).authenticate_sync(request)
    assert (again.claims, again.reason) == (None, "session-token-renew-refused")


def test_signed_out_handshake_round_trip(server: LiveServer) -> None:
    sdk = Authenticator(SdkConfig(secret_key=server.secret_key, api_url=server.url))
    page = {"sec-fetch-dest": "document"}
    first = sdk.authenticate_sync(
        RequestInfo("GET", "http", "127.0.0.1:8000", "/cart", "a=1", page, {"__client_uat": "5"})
    )
    assert first.response is not None
    bounce = httpx.get(first.response.header_map()["location"], follow_redirects=False)
    assert bounce.status_code == 307, bounce.text
    back = urlsplit(bounce.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == f"{APP}/cart"
    assert "__clerk_handshake_nonce" in parse_qs(back.query)
    second = sdk.authenticate_sync(
        RequestInfo("GET", "http", "127.0.0.1:8000", "/cart", back.query, page, {})
    )
    assert second.response is not None
    assert second.response.header_map()["location"] == f"{APP}/cart?a=1"
    cookies = second.response.cookies()
    assert any(c.startswith("__session=;") and "Max-Age=0" in c for c in cookies)
    assert any(c.startswith("__client_uat=0;") for c in cookies)
    # The nonce is single-use: a replay is signed out, without a redirect.
    replay = sdk.authenticate_sync(
        RequestInfo("GET", "http", "127.0.0.1:8000", "/cart", back.query, page, {})
    )
    assert replay.response is None and replay.claims is None


def test_fastapi_example_with_the_live_server(
    server: LiveServer, api: Client, caplog: pytest.LogCaptureFixture
) -> None:
    from examples.fastapi_app.app import create_app

    caplog.set_level(logging.INFO)
    user_id, _, token = _signed_in(api, "grace@example.com")
    config = SdkConfig(secret_key=server.secret_key, api_url=server.url)
    with TestClient(create_app(config), base_url=APP, follow_redirects=False) as client:
        home = client.get("/", headers={"cookie": f"__session={token}"})
        assert "grace@example.com" in home.text
        page = client.get("/hobby", headers={"cookie": f"__session={token}"})
        csrf = page.text.split('name="_th_csrf" value="', 1)[1].split('"', 1)[0]
        action = page.text.split('action="', 1)[1].split('"', 1)[0]
        reply = client.post(
            action,
            data={"_th_csrf": csrf, "hobby": "chess"},
            headers={
                "cookie": f"__session={token}",
                "origin": APP,
                "accept": "application/json",
                "threshold-action": "1",
            },
        )
    assert reply.json()["data"] == "Saved your hobby: chess"
    assert f'"usersHobby": "chess", "userId": "{user_id}"' in caplog.text
    with pytest.raises(ApiError) as caught:
        api.users.get("user_doesnotexist")
    assert (caught.value.status, caught.value.code) == (404, "resource_not_found")


def test_signed_in_handshake_round_trip(server: LiveServer) -> None:
    """A browser signed in on the server comes back to the app with a fresh session."""
    from tests.browser import FapiBrowser, sign_up_user

    browser = FapiBrowser(server, origin=APP)
    try:
        done = sign_up_user(browser, "hs@example.com")
        user_id = done["response"]["created_user_id"]
        sdk = Authenticator(SdkConfig(secret_key=server.secret_key, api_url=server.url))
        page = {"sec-fetch-dest": "document"}
        stale = {"__client_uat": "5"}
        first = sdk.authenticate_sync(
            RequestInfo("GET", "http", "127.0.0.1:8000", "/hobby", "", page, stale)
        )
        assert first.response is not None
        bounce = browser.http.get(first.response.header_map()["location"])
        assert bounce.status_code == 307, bounce.text
        back = urlsplit(bounce.headers["location"])
        second = sdk.authenticate_sync(
            RequestInfo("GET", "http", "127.0.0.1:8000", "/hobby", back.query, page, {})
        )
        assert second.response is not None
        assert second.response.header_map()["location"] == f"{APP}/hobby"
        cookies = dict(c.split(";", 1)[0].split("=", 1) for c in second.response.cookies())
        assert int(cookies["__client_uat"]) > 0
        claims = verify_token(cookies["__session"], api_url=server.url)
        assert (claims["sub"], claims["azp"]) == (user_id, APP)
        third = sdk.authenticate_sync(
            RequestInfo("GET", "http", "127.0.0.1:8000", "/hobby", "", page, cookies)
        )
        assert third.claims is not None and third.response is None
    finally:
        browser.close()
