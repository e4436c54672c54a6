"""The whole code flow against a real OpenID Provider (``oidc-provider``, run by
tests/oauth/provider/server.mjs): discovery, authorization with PKCE, the provider's own
login and consent pages, the callback with RFC 9207's ``iss``, the code exchange, the ID
token verified against the provider's JWKS, userinfo, and a refresh."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from playwright.async_api import Route, async_playwright

from tests.e2e.chromium import ARGS, CHROMIUM
from tests.oauth.conftest import REDIRECT_URI
from tests.oauth.flows import callback_from
from tests.oauth.openid_provider import (
    ACCOUNT,
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    OpenIdProvider,
    run_openid_provider,
)
from threshold.core.clock import FrozenClock
from threshold.core.records.oauth import ProviderProfile
from threshold.services.instance.social_providers import SocialProviderSettings
from threshold.services.oauth.authorization import start_authorization
from threshold.services.oauth.completion import ProviderCallback, complete_authorization
from threshold.services.oauth.context import OAuthContext
from threshold.services.oauth.errors import ProviderDeniedError, ProviderRefusedError
from threshold.services.oauth.external_accounts import access_token, link_external_account
from threshold.services.runtime.context import ServerContext

pytestmark = pytest.mark.anyio

STRATEGY = "oauth_custom_testop"


@pytest.fixture(scope="module")
def openid_provider() -> Iterator[OpenIdProvider]:
    with run_openid_provider() as provider:
        yield provider


@pytest.fixture
async def oauth(ctx: ServerContext, openid_provider: OpenIdProvider) -> AsyncIterator[OAuthContext]:
    social = SocialProviderSettings.from_environ(
        {
            "THRESHOLD_OIDC_TESTOP_ISSUER": openid_provider.issuer,
            "THRESHOLD_OIDC_TESTOP_CLIENT_ID": CLIENT_ID,
            "THRESHOLD_OIDC_TESTOP_CLIENT_SECRET": CLIENT_SECRET,
            "THRESHOLD_OIDC_TESTOP_NAME": "Test provider",
        }
    )
    context = OAuthContext.for_server(ctx, social)
    try:
        yield context
    finally:
        await context.aclose()


async def _callback(
    ctx: ServerContext, oauth: OAuthContext, provider: OpenIdProvider, client_id: str
) -> ProviderCallback:
    started = await start_authorization(ctx, oauth, client_id=client_id, strategy=STRATEGY)
    assert started.url.startswith(f"{provider.issuer}/auth?")
    return callback_from(await provider.sign_in(started.url))


async def test_the_whole_code_flow_against_a_real_openid_provider(
    ctx: ServerContext,
    oauth: OAuthContext,
    openid_provider: OpenIdProvider,
    client_id: str,
    user_id: str,
    clock: FrozenClock,
) -> None:
    callback = await _callback(ctx, oauth, openid_provider, client_id)
    assert callback.issuer == openid_provider.issuer
    grant = await complete_authorization(ctx, oauth, client_id=client_id, callback=callback)
    assert grant.profile == ProviderProfile(
        provider=STRATEGY,
        provider_user_id="ada",
        email="ada@example.com",
        email_verified=True,
        first_name="Ada",
        last_name="Lovelace",
        image_url="https://images.example.com/ada.png",
        username="ada.lovelace",
        raw=grant.profile.raw,
    )
    assert grant.profile.raw["iss"] == openid_provider.issuer
    assert grant.profile.raw["aud"] == CLIENT_ID
    tokens = grant.tokens
    assert tokens.refresh_token and tokens.id_token and tokens.expires_at
    assert set(tokens.scopes) == {"openid", "email", "profile"}

    await link_external_account(ctx, oauth, user_id=user_id, grant=grant)
    clock.advance(3600)
    renewed = await access_token(ctx, oauth, user_id=user_id, provider=STRATEGY)
    assert renewed.token != tokens.access_token
    async with httpx.AsyncClient() as http:
        info = await http.get(
            f"{openid_provider.issuer}/me", headers={"Authorization": f"Bearer {renewed.token}"}
        )
    assert info.status_code == 200 and info.json()["sub"] == "ada"


async def test_a_spent_or_foreign_code_is_refused(
    ctx: ServerContext, oauth: OAuthContext, openid_provider: OpenIdProvider, client_id: str
) -> None:
    """A code replayed into a later flow, and a fresh code injected into another flow
    (PKCE: its verifier is not the one the code was issued for), both fail."""
    spent = await _callback(ctx, oauth, openid_provider, client_id)
    await complete_authorization(ctx, oauth, client_id=client_id, callback=spent)
    unused = await _callback(ctx, oauth, openid_provider, client_id)
    for code in (spent.code, unused.code):
        later = await _callback(ctx, oauth, openid_provider, client_id)
        injected = ProviderCallback(state=later.state, code=code, issuer=later.issuer)
        with pytest.raises(ProviderRefusedError) as caught:
            await complete_authorization(ctx, oauth, client_id=client_id, callback=injected)
        assert caught.value.meta["provider_error"] == "invalid_grant"
        assert caught.value.message.startswith("Test provider did not accept the sign-in")


async def test_cancelling_at_the_provider_is_a_clear_refusal(
    ctx: ServerContext, oauth: OAuthContext, openid_provider: OpenIdProvider, client_id: str
) -> None:
    started = await start_authorization(ctx, oauth, client_id=client_id, strategy=STRATEGY)
    params = await openid_provider.sign_in(started.url, allow=False)
    assert params["error"] == "access_denied"
    with pytest.raises(ProviderDeniedError) as caught:
        await complete_authorization(
            ctx, oauth, client_id=client_id, callback=callback_from(params)
        )
    assert caught.value.message == "The sign-in was cancelled at Test provider."


@pytest.mark.e2e
async def test_a_person_signs_in_at_the_provider_in_chromium(
    ctx: ServerContext, oauth: OAuthContext, openid_provider: OpenIdProvider, client_id: str
) -> None:
    """The provider's login and consent pages, filled in by Chromium; the callback that
    would reach ``/v1/oauth_callback`` is caught and completed."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI (apt-get install chromium)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    started = await start_authorization(ctx, oauth, client_id=client_id, strategy=STRATEGY)
    back: list[str] = []

    async def at_threshold(route: Route) -> None:
        back.append(route.request.url)
        await route.fulfill(status=200, content_type="text/plain", body="back at Threshold")

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page()
            await page.route(f"{REDIRECT_URI}?*", at_threshold)
            await page.goto(started.url)
            await page.get_by_label("Login").fill(ACCOUNT)
            await page.get_by_label("Password").fill(PASSWORD)
            await page.get_by_role("button", name="Sign in").click()
            await page.get_by_role("button", name="Allow").click()
            await page.wait_for_url(f"{REDIRECT_URI}?*")
        finally:
            await browser.close()
    params = dict(parse_qsl(urlsplit(back[0]).query))
    grant = await complete_authorization(
        ctx, oauth, client_id=client_id, callback=callback_from(params)
    )
    assert grant.profile.provider_user_id == ACCOUNT and grant.profile.email_verified
