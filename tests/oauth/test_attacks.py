"""Attacks on a provider flow, and providers that fail: each ends the flow with a typed
error that says what happened, and none yields a profile.

The provider is the Google stand-in (tests/oauth/standins.py), which can be made to forge
its next ID token or answer slowly; the state attacks hold for every provider alike.
"""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from tests.oauth.conftest import new_client
from tests.oauth.flows import callback_from, visit_provider
from tests.oauth.standins import StandIn, standin_specs
from tests.support import free_port
from threshold.core.clock import FrozenClock
from threshold.services.instance.social_providers import SocialProviderSettings
from threshold.services.oauth.authorization import STATE_LIFETIME_MS, start_authorization
from threshold.services.oauth.completion import ProviderCallback, complete_authorization
from threshold.services.oauth.context import OAuthContext
from threshold.services.oauth.errors import (
    AuthorizationStateError,
    IdTokenInvalidError,
    ProviderDeniedError,
    ProviderNotEnabledError,
    ProviderResponseError,
    ProviderUnavailableError,
)
from threshold.services.runtime.context import ServerContext

from .conftest import standin_environ

pytestmark = pytest.mark.anyio


async def _callback(
    ctx: ServerContext, oauth: OAuthContext, client_id: str, strategy: str = "oauth_google"
) -> ProviderCallback:
    started = await start_authorization(ctx, oauth, client_id=client_id, strategy=strategy)
    return callback_from(await visit_provider(started.url))


async def test_a_callback_without_state_is_refused(
    ctx: ServerContext, oauth: OAuthContext, client_id: str
) -> None:
    callback = await _callback(ctx, oauth, client_id)
    for state in (None, "", "x" * 5000):
        with pytest.raises(AuthorizationStateError) as caught:
            await complete_authorization(
                ctx, oauth, client_id=client_id, callback=replace(callback, state=state)
            )
        assert caught.value.meta["reason"] == "missing"


async def test_a_state_opens_one_callback(
    ctx: ServerContext, oauth: OAuthContext, client_id: str
) -> None:
    callback = await _callback(ctx, oauth, client_id)
    await complete_authorization(ctx, oauth, client_id=client_id, callback=callback)
    with pytest.raises(AuthorizationStateError) as caught:
        await complete_authorization(ctx, oauth, client_id=client_id, callback=callback)
    assert caught.value.meta["reason"] == "unknown"


async def test_a_state_started_by_another_browser_is_refused_and_spent(
    ctx: ServerContext, oauth: OAuthContext, client_id: str
) -> None:
    """Login CSRF: an attacker's own callback planted in the victim's browser."""
    attackers = await _callback(ctx, oauth, await new_client(ctx))
    with pytest.raises(AuthorizationStateError) as caught:
        await complete_authorization(ctx, oauth, client_id=client_id, callback=attackers)
    assert caught.value.meta["reason"] == "other_client"
    with pytest.raises(AuthorizationStateError):  # and it is gone for its owner too
        await complete_authorization(ctx, oauth, client_id=client_id, callback=attackers)


async def test_an_unknown_or_expired_state_is_refused(
    ctx: ServerContext, oauth: OAuthContext, client_id: str, clock: FrozenClock
) -> None:
    callback = await _callback(ctx, oauth, client_id)
    forged = replace(callback, state=(callback.state or "x")[::-1])
    with pytest.raises(AuthorizationStateError):
        await complete_authorization(ctx, oauth, client_id=client_id, callback=forged)
    clock.advance(STATE_LIFETIME_MS / 1000)
    with pytest.raises(AuthorizationStateError) as caught:
        await complete_authorization(ctx, oauth, client_id=client_id, callback=callback)
    assert caught.value.meta["reason"] == "expired"


async def test_the_user_saying_no_is_a_clear_refusal(
    ctx: ServerContext, oauth: OAuthContext, client_id: str
) -> None:
    callback = await _callback(ctx, oauth, client_id)
    denied = replace(callback, code=None, error="access_denied")
    with pytest.raises(ProviderDeniedError) as caught:
        await complete_authorization(ctx, oauth, client_id=client_id, callback=denied)
    assert caught.value.code == "oauth_access_denied" and "Google" in caught.value.message


async def test_a_callback_naming_another_issuer_is_refused(
    ctx: ServerContext, oauth: OAuthContext, client_id: str
) -> None:
    """Mix-up (RFC 9207): a code meant for one provider must not be sent to another."""
    callback = replace(await _callback(ctx, oauth, client_id), issuer="https://evil.example")
    with pytest.raises(ProviderResponseError):
        await complete_authorization(ctx, oauth, client_id=client_id, callback=callback)


async def test_a_provider_that_is_not_configured_is_refused(
    ctx: ServerContext, oauth: OAuthContext, client_id: str
) -> None:
    with pytest.raises(ProviderNotEnabledError):
        await start_authorization(ctx, oauth, client_id=client_id, strategy="oauth_facebook")


@pytest.mark.parametrize(
    ("tamper", "check"),
    [
        ("wrong_aud", "aud"),
        ("wrong_iss", "iss"),
        ("wrong_nonce", "nonce"),
        ("no_nonce", "nonce"),
        ("expired", "exp"),
        ("issued_in_the_future", "iat"),
        ("other_key", "signature"),
        ("unknown_kid", "kid"),
        ("embedded_jwk", "kid"),
        ("alg_none", "alg"),
        ("hs256_with_client_secret", "alg"),
    ],
)
async def test_a_forged_id_token_is_refused(
    ctx: ServerContext,
    oauth: OAuthContext,
    standin: StandIn,
    client_id: str,
    tamper: str,
    check: str,
) -> None:
    callback = await _callback(ctx, oauth, client_id)
    standin.tamper = tamper
    with pytest.raises(IdTokenInvalidError) as caught:
        await complete_authorization(ctx, oauth, client_id=client_id, callback=callback)
    assert caught.value.meta["id_token_check"] == check
    assert caught.value.message.startswith("Google's identity token")


async def test_unknown_key_ids_refetch_the_key_set_at_most_once_a_minute(
    ctx: ServerContext, oauth: OAuthContext, standin: StandIn, client_id: str, clock: FrozenClock
) -> None:
    for _ in range(3):
        callback = await _callback(ctx, oauth, client_id)
        standin.tamper = "unknown_kid"
        with pytest.raises(IdTokenInvalidError):
            await complete_authorization(ctx, oauth, client_id=client_id, callback=callback)
    assert standin.jwks_fetches == 1
    clock.advance(61)
    callback = await _callback(ctx, oauth, client_id)
    standin.tamper = "unknown_kid"
    with pytest.raises(IdTokenInvalidError):
        await complete_authorization(ctx, oauth, client_id=client_id, callback=callback)
    assert standin.jwks_fetches == 2


async def test_userinfo_about_someone_else_is_refused(
    ctx: ServerContext, oauth: OAuthContext, standin: StandIn, client_id: str
) -> None:
    callback = await _callback(ctx, oauth, client_id)
    standin.userinfo_sub = "someone-else"
    with pytest.raises(ProviderResponseError) as caught:
        await complete_authorization(ctx, oauth, client_id=client_id, callback=callback)
    assert caught.value.message == "Google's userinfo is about another user."


@pytest.mark.parametrize("settings_overrides", [{"social_provider_timeout": 1.0}])
async def test_a_slow_provider_fails_within_the_timeout(
    ctx: ServerContext, oauth: OAuthContext, standin: StandIn, client_id: str
) -> None:
    callback = await _callback(ctx, oauth, client_id)
    standin.token_delay = 5.0
    started = time.monotonic()
    with pytest.raises(ProviderUnavailableError) as caught:
        await complete_authorization(ctx, oauth, client_id=client_id, callback=callback)
    elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 2.5, elapsed  # the 1 s deadline, plus a loaded machine's margin
    assert caught.value.message == "Google did not answer within 1 seconds. Please try again."
    assert caught.value.code == "oauth_provider_unavailable"
    standin.token_delay = 0.0


async def test_a_provider_that_is_down_fails_at_once(
    ctx: ServerContext, standin: StandIn, client_id: str
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    specs = standin_specs(standin.base)
    specs["oauth_google"] = replace(specs["oauth_google"], token_url=f"{closed}/google/token")
    social = SocialProviderSettings.from_environ(standin_environ(standin))
    oauth = OAuthContext.for_server(ctx, social, specs=specs)
    try:
        callback = await _callback(ctx, oauth, client_id)
        started = time.monotonic()
        with pytest.raises(ProviderUnavailableError) as caught:
            await complete_authorization(ctx, oauth, client_id=client_id, callback=callback)
        assert time.monotonic() - started < 3.0  # far inside the 10 s timeout
        assert caught.value.message == "Google could not be reached. Please try again shortly."
    finally:
        await oauth.aclose()
