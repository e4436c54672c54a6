"""Every forged, stale, foreign or malformed token in the attack table is refused by
``verify_token`` and by both middlewares, as a Bearer token and as the ``__session``
cookie; a genuine token (the control) signs in everywhere.
"""

from __future__ import annotations

import functools
from urllib.parse import parse_qs, urlsplit

import pytest
from anyio.from_thread import BlockingPortal

from tests.sdk.attacks.apps import (
    SCENARIOS,
    Reply,
    Scenario,
    asgi_app,
    call_asgi,
    call_wsgi,
    make_config,
    wsgi_app,
)
from tests.sdk.attacks.tokens import APP, ATTACK_IDS, ATTACKS, Attack, Forge
from threshold import Authenticator, TokenVerificationError, averify_token, verify_token

HANDSHAKE_REASONS = {
    "token-expired": "session-token-expired-refresh-expired",
    "token-not-active-yet": "session-token-expired-refresh-nbf",
    "token-iat-in-the-future": "session-token-expired-refresh-iat-in-the-future",
}
"""docs/sdk.md: a page load whose ``__session`` is only out of its time window handshakes."""


@pytest.mark.parametrize("mode", ["pem", "jwks"])
@pytest.mark.parametrize("attack", ATTACKS, ids=ATTACK_IDS)
def test_verify_token_refuses(
    attack: Attack, mode: str, forge: Forge, portal: BlockingPortal
) -> None:
    config = make_config(forge.api, mode)
    token = attack.build(forge)
    expected = attack.reason(mode)
    with pytest.raises(TokenVerificationError) as caught:
        verify_token(token, config)
    assert caught.value.reason == expected
    if expected in HANDSHAKE_REASONS:
        # Only a genuine token out of its time window says whose it was.
        assert caught.value.claims is not None
        assert caught.value.claims["sid"] == "sess_1"
    else:
        assert caught.value.claims is None
    with pytest.raises(TokenVerificationError) as again:
        portal.call(functools.partial(averify_token, token, config))
    assert again.value.reason == expected
    assert forge.other.calls == []  # jku/jwk headers are never followed
    assert {path for _, path in forge.api.calls} <= {"/v1/jwks"}


def test_control_token_is_accepted(forge: Forge, portal: BlockingPortal) -> None:
    """The harness can tell a success: a genuine token signs in everywhere."""
    token = forge.valid()
    for mode in ("pem", "jwks"):
        config = make_config(forge.api, mode)
        assert verify_token(token, config)["sub"] == "user_1"
        sdk_asgi, sdk_wsgi = Authenticator(config), Authenticator(config)
        for scenario in SCENARIOS:
            headers = scenario.request_headers(token, forge.now - 100)
            for reply in (
                call_asgi(portal, asgi_app(sdk_asgi), scenario.method, headers),
                call_wsgi(wsgi_app(sdk_wsgi), scenario.method, headers),
            ):
                assert reply.status == 200, (mode, scenario.name)
                body = reply.json()
                assert body == {"user_id": "user_1", "is_authenticated": True, "reason": ""}


def test_foreign_token_is_genuine_at_its_own_instance(forge: Forge) -> None:
    """The other instance's token is real: its own key accepts it, ours does not."""
    token = forge.foreign_instance()
    claims = verify_token(token, jwt_key=forge.other.key.public_pem())
    assert claims["iss"] == forge.other.url != forge.api.url
    with pytest.raises(TokenVerificationError, match="signature"):
        verify_token(token, jwt_key=forge.api.key.public_pem())


def _check_refused(
    reply: Reply, attack: Attack, mode: str, scenario: Scenario, forge: Forge
) -> None:
    expected = attack.reason(mode)
    where = (attack.name, mode, scenario.name)
    if scenario.handshakes and expected in HANDSHAKE_REASONS:
        assert reply.status == 307, where
        assert reply.headers["cache-control"] == "no-store"
        location = urlsplit(reply.headers["location"])
        assert f"{location.scheme}://{location.netloc}" == forge.api.url
        assert location.path == "/v1/client/handshake"
        query = parse_qs(location.query)
        assert query["redirect_url"] == [f"{APP}/"]
        assert query["format"] == ["nonce"]
        assert query["__clerk_hs_reason"] == [HANDSHAKE_REASONS[expected]]
        assert [c.split(";")[0] for c in reply.set_cookies] == ["__clerk_redirect_count=1"]
        return
    assert reply.status == 200, where
    assert reply.json() == {"user_id": None, "is_authenticated": False, "reason": expected}, where
    assert reply.set_cookies == [], where  # nothing renewed, nothing handed out


@pytest.mark.parametrize("mode", ["pem", "jwks"])
@pytest.mark.parametrize("attack", ATTACKS, ids=ATTACK_IDS)
def test_middlewares_sign_attacks_out(
    attack: Attack, mode: str, forge: Forge, portal: BlockingPortal
) -> None:
    config = make_config(forge.api, mode)
    asgi, wsgi = asgi_app(Authenticator(config)), wsgi_app(Authenticator(config))
    token = attack.build(forge)
    for scenario in SCENARIOS:
        headers = scenario.request_headers(token, forge.now - 3600)
        _check_refused(
            call_asgi(portal, asgi, scenario.method, headers), attack, mode, scenario, forge
        )
        _check_refused(call_wsgi(wsgi, scenario.method, headers), attack, mode, scenario, forge)
    # No renewal, no user lookup, no handshake call; JWKS mode fetches keys at most once
    # per middleware (two Authenticators here), whatever the kid.
    assert {path for _, path in forge.api.calls} <= {"/v1/jwks"}
    assert forge.api.count("GET", "/v1/jwks") <= (2 if mode == "jwks" else 0)
    assert forge.other.calls == []
