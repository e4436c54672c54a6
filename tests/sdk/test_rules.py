"""The request rules, framework-free: token lookup, handshake, server-side renew."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.sdk.fake_api import FakeApi
from threshold import Authenticator, SdkConfig
from threshold.core.clock import FrozenClock
from threshold.sdk._credentials import bearer_token
from threshold.sdk.http import RequestInfo
from threshold.sdk.outcome import AuthOutcome

PAGE = {"sec-fetch-dest": "document", "accept": "text/html"}
FETCH = {"sec-fetch-dest": "empty", "accept": "application/json"}


def req(
    method: str = "GET",
    *,
    headers: dict[str, str] | None = None,
    cookies: dict[str, str] | None = None,
    query: str = "",
) -> RequestInfo:
    return RequestInfo(
        method, "http", "app.test", "/cart", query, headers or dict(PAGE), cookies or {}
    )


def run(sdk: Authenticator, request: RequestInfo) -> AuthOutcome:
    return sdk.authenticate_sync(request)


@pytest.fixture
def sdk(config: SdkConfig) -> Authenticator:
    return Authenticator(config)


def test_bearer_parsing() -> None:
    assert bearer_token("Bearer a.b.c") == "a.b.c"
    assert bearer_token("bearer  a.b.c ") == "a.b.c"
    assert bearer_token("a.b.c") == "a.b.c"
    assert bearer_token("Basic dXNlcg==") is None
    assert bearer_token("Bearer ") is None
    assert bearer_token(None) is None


def test_bearer_wins_and_never_handshakes(fake_api: FakeApi, sdk: Authenticator) -> None:
    good = fake_api.mint()
    outcome = run(sdk, req(headers={**PAGE, "authorization": f"Bearer {good}"}))
    assert outcome.claims is not None and outcome.token == good
    expired = fake_api.mint(age=300)
    cookies = {"__session": good, "__client_uat": "1"}
    outcome = run(sdk, req(headers={**PAGE, "authorization": f"Bearer {expired}"}, cookies=cookies))
    assert (outcome.claims, outcome.response, outcome.reason) == (None, None, "token-expired")
    assert fake_api.calls == []


def test_cookie_signed_in_with_or_without_uat(fake_api: FakeApi, sdk: Authenticator) -> None:
    token = fake_api.mint()
    assert run(sdk, req(cookies={"__session": token})).claims is not None
    assert run(sdk, req(cookies={"__session": token, "__client_uat": "1"})).claims is not None


def test_signed_out_without_cookies(sdk: Authenticator) -> None:
    outcome = run(sdk, req())
    assert (outcome.claims, outcome.response, outcome.reason) == (
        None,
        None,
        "session-token-missing",
    )


def _handshake_query(outcome: AuthOutcome, api: FakeApi, count: int = 1) -> dict[str, list[str]]:
    assert outcome.response is not None
    assert outcome.response.status == 307
    headers = outcome.response.header_map()
    assert headers["cache-control"] == "no-store"
    location = headers["location"]
    assert location.startswith(f"{api.url}/v1/client/handshake?")
    counter = f"__clerk_redirect_count={count};"
    assert any(c.startswith(counter) for c in outcome.response.cookies())
    return parse_qs(urlsplit(location).query)


@pytest.mark.parametrize(
    ("cookies", "reason"),
    [
        ({"__client_uat": "1700000000"}, "client-uat-but-no-session-token"),
        ({"__session": "EXPIRED", "__client_uat": "1700000000"}, None),
        ({"__session": "EXPIRED"}, None),
        ({"__session": "VALID", "__client_uat": "0"}, "session-token-but-no-client-uat"),
        (
            {"__session": "VALID", "__client_uat": "9999999999"},
            "session-token-iat-before-client-uat",
        ),
    ],
)
def test_document_requests_handshake(
    fake_api: FakeApi, sdk: Authenticator, cookies: dict[str, str], reason: str | None
) -> None:
    tokens = {"EXPIRED": fake_api.mint(age=300), "VALID": fake_api.mint()}
    cookies = {k: tokens.get(v, v) for k, v in cookies.items()}
    query = _handshake_query(run(sdk, req(cookies=cookies, query="a=1")), fake_api)
    assert query["redirect_url"] == ["http://app.test/cart?a=1"]
    assert query["format"] == ["nonce"]
    expected = reason or "session-token-expired-refresh-expired"
    assert query["__clerk_hs_reason"] == [expected]


def test_expired_token_with_uat_zero_is_signed_out(fake_api: FakeApi, sdk: Authenticator) -> None:
    outcome = run(sdk, req(cookies={"__session": fake_api.mint(age=300), "__client_uat": "0"}))
    assert (outcome.response, outcome.reason) == (None, "token-expired")


def test_handshake_loop_guard(fake_api: FakeApi, sdk: Authenticator) -> None:
    cookies = {"__client_uat": "1700000000", "__clerk_redirect_count": "2"}
    query = _handshake_query(run(sdk, req(cookies=cookies)), fake_api, count=3)
    assert query["__clerk_hs_reason"]
    cookies["__clerk_redirect_count"] = "3"
    outcome = run(sdk, req(cookies=cookies))
    assert outcome.response is None and outcome.claims is None


def test_no_handshake_without_api_url(fake_api: FakeApi) -> None:
    sdk = Authenticator(SdkConfig(jwt_key=fake_api.key.public_pem()))
    outcome = run(sdk, req(cookies={"__client_uat": "1700000000"}))
    assert outcome.response is None


def test_handshake_round_trip_against_the_server(fake_api: FakeApi, sdk: Authenticator) -> None:
    """Follow the redirect to the (fake) server, come back with a nonce, get cookies."""
    fresh = fake_api.mint()
    fake_api.next_directives = [
        f"__session={fresh}; Path=/; SameSite=Lax",
        "__client_uat=1700000000; Path=/; SameSite=Lax",
        "evil=1; Path=/",
        "__session=x\r\nSet-Cookie: a=b",
    ]
    first = run(sdk, req(cookies={"__client_uat": "1700000000"}, query="item=7"))
    assert first.response is not None
    bounce = httpx.get(first.response.header_map()["location"], follow_redirects=False)
    assert bounce.status_code == 307
    back = urlsplit(bounce.headers["location"])
    assert back.netloc == "app.test"
    second = run(sdk, req(query=back.query))
    assert second.response is not None and second.response.status == 307
    assert second.response.header_map()["location"] == "http://app.test/cart?item=7"
    assert second.response.cookies() == fake_api.next_directives[:2]
    assert fake_api.count("GET", "/v1/clients/handshake_payload") == 1
    # The browser now sends the new cookies: signed in, no more redirects.
    third = run(sdk, req(cookies={"__session": fresh, "__client_uat": "1700000000"}))
    assert third.claims is not None and third.response is None


def test_unknown_nonce_falls_back_without_redirect(fake_api: FakeApi, sdk: Authenticator) -> None:
    outcome = run(sdk, req(cookies={"__client_uat": "1"}, query="__clerk_handshake_nonce=nope"))
    assert outcome.response is None and outcome.claims is None


def test_signed_out_directives(fake_api: FakeApi, sdk: Authenticator) -> None:
    fake_api.next_directives = ["__session=; Path=/; Max-Age=0", "__client_uat=0; Path=/"]
    fake_api.handshakes["n1"] = list(fake_api.next_directives)
    outcome = run(sdk, req(query="__clerk_handshake_nonce=n1"))
    assert outcome.response is not None
    assert outcome.response.cookies() == fake_api.next_directives


def test_post_with_expired_token_is_renewed(fake_api: FakeApi, sdk: Authenticator) -> None:
    expired = fake_api.mint(age=600)
    outcome = run(sdk, req("POST", headers={}, cookies={"__session": expired, "__client_uat": "1"}))
    assert outcome.claims is not None
    assert outcome.claims["sid"] == "sess_1" and outcome.token != expired
    assert outcome.set_cookies == [f"__session={outcome.token}; Path=/; SameSite=Lax"]
    assert fake_api.count("POST", "/v1/sessions/sess_1/tokens") == 1
    assert fake_api.origins[-1] == "http://app.test"  # so the server can set azp
    # The same expired token again (a parallel request) reuses the renewal.
    again = run(sdk, req("POST", headers={}, cookies={"__session": expired}))
    assert again.token == outcome.token
    assert fake_api.count("POST", "/v1/sessions/sess_1/tokens") == 1


def test_fetch_get_with_old_iat_is_renewed(fake_api: FakeApi, sdk: Authenticator) -> None:
    token = fake_api.mint()
    cookies = {"__session": token, "__client_uat": "9999999999"}
    outcome = run(sdk, req(headers=FETCH, cookies=cookies))
    assert outcome.claims is not None and outcome.token != token


def test_renew_refused_signs_out_and_clears_the_cookie(
    fake_api: FakeApi, sdk: Authenticator
) -> None:
    fake_api.sessions["sess_1"] = ("user_1", "revoked")
    outcome = run(sdk, req("POST", headers={}, cookies={"__session": fake_api.mint(age=600)}))
    assert (outcome.claims, outcome.reason) == (None, "session-token-renew-refused")
    assert outcome.set_cookies == ["__session=; Path=/; Max-Age=0; SameSite=Lax"]


def test_renew_limits(fake_api: FakeApi, config: SdkConfig) -> None:
    too_old = fake_api.mint(age=13 * 3600)
    sdk = Authenticator(config)
    outcome = run(sdk, req("POST", headers={}, cookies={"__session": too_old}))
    assert (outcome.claims, outcome.reason) == (None, "token-expired")
    no_secret = Authenticator(SdkConfig(jwt_key=config.jwt_key, api_url=config.api_url))
    outcome = run(no_secret, req("POST", headers={}, cookies={"__session": fake_api.mint(age=90)}))
    assert outcome.claims is None
    assert fake_api.calls == []


def test_renew_server_down(fake_api: FakeApi) -> None:
    sdk = Authenticator(
        SdkConfig(jwt_key=fake_api.key.public_pem(), secret_key="sk", api_url="http://127.0.0.1:9")
    )
    outcome = run(sdk, req("POST", headers={}, cookies={"__session": fake_api.mint(age=90)}))
    assert (outcome.claims, outcome.reason) == (None, "session-token-renew-failed")


def test_websockets_never_redirect_or_renew(fake_api: FakeApi, sdk: Authenticator) -> None:
    request = req(cookies={"__session": fake_api.mint(age=90), "__client_uat": "1"})
    outcome = sdk.authenticate_sync(request, interactive=False)
    assert outcome.response is None and outcome.claims is None
    assert fake_api.calls == []


@pytest.mark.anyio
async def test_async_driver_renews_and_fetches_keys(
    fake_api: FakeApi, jwks_config: SdkConfig
) -> None:
    sdk = Authenticator(jwks_config)
    request = req("POST", headers={}, cookies={"__session": fake_api.mint(age=90)})
    outcome = await sdk.authenticate_async(request)
    assert outcome.claims is not None
    assert fake_api.count("GET", "/v1/jwks") == 1
    assert fake_api.count("POST", "/v1/sessions/sess_1/tokens") == 1
    first = await sdk.authenticate_async(req(cookies={"__client_uat": "5"}))
    assert first.response is not None


def test_the_shortcut_settles_known_tokens_and_no_credential(
    fake_api: FakeApi, config: SdkConfig
) -> None:
    clock = FrozenClock()
    sdk = Authenticator(config, clock=clock)
    good = fake_api.mint()
    bearer = f"Bearer {good}"
    assert sdk.authenticate_known("GET", "", bearer, None) is None  # not verified yet
    assert sdk.authenticate_known("GET", "", None, None) == AuthOutcome(
        None, None, "session-token-missing"
    )
    full = run(sdk, req(headers={**FETCH, "authorization": bearer}))
    assert full.claims is not None
    assert sdk.authenticate_known("GET", "", bearer, None) == full
    assert sdk.authenticate_known("POST", b"", bearer.encode(), None) == full  # ASGI's bytes
    # A handshake nonce needs the whole request; a cookie older than __client_uat too.
    nonce = "__clerk_handshake_nonce=n1"
    assert sdk.authenticate_known("GET", nonce, bearer, None) is None
    stale = f"__session={good}; __client_uat={int(clock.now()) + 10}"
    assert sdk.authenticate_known("GET", "", None, stale) is None
    # Past its expiry (plus the allowed skew) the shortcut forgets it: the rules decide.
    clock.advance(60 + config.clock_skew + 1)
    assert sdk.authenticate_known("GET", "", bearer, None) is None
    assert run(sdk, req(headers={**FETCH, "authorization": bearer})).reason == "token-expired"


def test_the_shortcut_answers_long_headers_without_remembering_them(
    fake_api: FakeApi, sdk: Authenticator
) -> None:
    good = fake_api.mint()
    run(sdk, req(headers={**FETCH, "authorization": f"Bearer {good}"}))
    cookie = f"__session={good}; other={'x' * 9000}"
    outcome = sdk.authenticate_known("GET", "", None, cookie)
    assert outcome is not None and outcome.token == good
    assert outcome == run(sdk, req(cookies={"__session": good, "other": "x" * 9000}))
    assert (None, cookie) not in sdk.shortcut.known


def test_a_remembered_answer_lasts_as_long_as_the_token_it_rests_on(
    fake_api: FakeApi, config: SdkConfig
) -> None:
    """Without an API URL a cookie older than ``__client_uat`` is signed out on the headers
    alone; that answer rests on the token being valid, so it ends when the token does."""
    clock = FrozenClock()
    sdk = Authenticator(SdkConfig(jwt_key=config.jwt_key), clock=clock)
    good = fake_api.mint()
    uat = str(int(clock.now()) + 10)
    assert sdk.authenticate_known("GET", "", None, f"__session={good}; __client_uat={uat}") is None
    run(sdk, req(headers={**FETCH, "authorization": f"Bearer {good}"}))  # now verified
    stale = f"__session={good}; __client_uat={uat}"
    known = sdk.authenticate_known("GET", "", None, stale)
    full = run(sdk, req(headers=PAGE, cookies={"__session": good, "__client_uat": uat}))
    assert (
        known
        == full
        == AuthOutcome(None, None, "session-token-iat-before-client-uat", stale_session_id="sess_1")
    )
    clock.advance(60 + config.clock_skew + 1)
    assert sdk.authenticate_known("GET", "", None, stale) is None
    later = run(sdk, req(headers=PAGE, cookies={"__session": good, "__client_uat": uat}))
    assert later.reason == "token-expired"
