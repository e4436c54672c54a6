"""Each named provider, through its whole flow against the stand-in that speaks its
protocol (tests/oauth/standins.py): the authorization request, the code exchange, the
ID token or user API, and the profile Threshold makes of it."""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qsl, urlsplit

import anyio
import pytest

from tests.oauth.conftest import (
    APPLE_KEY_ID,
    MICROSOFT_TENANT_SETTING,
    REDIRECT_URI,
    standin_environ,
)
from tests.oauth.flows import callback_from, visit_provider
from tests.oauth.standins import MICROSOFT_TENANT, StandIn, standin_specs
from threshold.core.clock import FrozenClock
from threshold.core.records.oauth import ProviderProfile
from threshold.services.instance.social_providers import SocialProviderSettings
from threshold.services.oauth.authorization import start_authorization
from threshold.services.oauth.catalogue import NAMED_SPECS
from threshold.services.oauth.completion import ProviderGrant, complete_authorization
from threshold.services.oauth.context import OAuthContext
from threshold.services.oauth.errors import (
    IdTokenInvalidError,
    ProviderRefusedError,
    RefreshTokenMissingError,
)
from threshold.services.oauth.external_accounts import access_token, link_external_account
from threshold.services.runtime.context import ServerContext

pytestmark = pytest.mark.anyio

EXPECTED = {
    "oauth_google": ProviderProfile(
        provider="oauth_google",
        provider_user_id="110169484474386276334",
        email="ada@gmail.com",
        email_verified=True,
        first_name="Ada",
        last_name="Lovelace",
        image_url="https://lh3.googleusercontent.com/a/ada",
    ),
    "oauth_github": ProviderProfile(
        provider="oauth_github",
        provider_user_id="583231",
        email="octocat@github.com",
        email_verified=True,
        first_name="Mona",
        last_name="Lisa Octocat",
        image_url="https://avatars.githubusercontent.com/u/583231?v=4",
        username="octocat",
    ),
    "oauth_microsoft": ProviderProfile(
        provider="oauth_microsoft",
        provider_user_id="AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
        email="ada@contoso.com",
        email_verified=False,  # Microsoft does not vouch for it: no xms_edov
        first_name="Ada",
        last_name="Lovelace",
    ),
    "oauth_apple": ProviderProfile(
        provider="oauth_apple",
        provider_user_id="001234.5b6fa3e2f0c64d4a8a1c.0420",
        email="x7h2@privaterelay.appleid.com",
        email_verified=True,  # Apple's "true", a string
        first_name="Ada",  # from the one-time user field of the form post
        last_name="Lovelace",
    ),
    "oauth_gitlab": ProviderProfile(
        provider="oauth_gitlab",
        provider_user_id="4242",
        email="ada@gitlab.example",
        email_verified=True,
        first_name="Ada",
        last_name="Lovelace",
        image_url="https://gitlab.com/uploads/-/system/user/avatar/4242/avatar.png",
        username="ada",
    ),
    "oauth_discord": ProviderProfile(
        provider="oauth_discord",
        provider_user_id="80351110224678912",
        email="nelly@discord.example",
        email_verified=True,
        first_name="Nelly",
        image_url=(
            "https://cdn.discordapp.com/avatars/80351110224678912/"
            "8342729096ea3675442027381ff50dfe.png"
        ),
        username="nelly",
    ),
    "oauth_linkedin_oidc": ProviderProfile(
        provider="oauth_linkedin_oidc",
        provider_user_id="782bbtaQ",
        email="ada@linkedin.example",
        email_verified=True,
        first_name="Ada",
        last_name="Lovelace",
        image_url="https://media.licdn.com/dms/image/ada",
    ),
}

OIDC = ("oauth_google", "oauth_microsoft", "oauth_apple", "oauth_gitlab", "oauth_linkedin_oidc")


async def sign_in_with(
    ctx: ServerContext, oauth: OAuthContext, client_id: str, strategy: str
) -> ProviderGrant:
    started = await start_authorization(
        ctx, oauth, client_id=client_id, strategy=strategy, redirect_url="/after"
    )
    params = await visit_provider(started.url)
    return await complete_authorization(
        ctx, oauth, client_id=client_id, callback=callback_from(params)
    )


@pytest.mark.parametrize("strategy", sorted(EXPECTED))
async def test_each_named_provider_signs_in_its_own_way(
    ctx: ServerContext, oauth: OAuthContext, standin: StandIn, client_id: str, strategy: str
) -> None:
    grant = await sign_in_with(ctx, oauth, client_id, strategy)
    assert dataclasses.replace(grant.profile, raw={}) == EXPECTED[strategy]
    assert grant.strategy == strategy and grant.redirect_url == "/after"
    assert grant.tokens.access_token in standin.access_tokens
    name = strategy.removeprefix("oauth_")
    authorize = next(p for e, p in standin.seen if e == f"{name}/authorize")
    assert authorize["redirect_uri"] == REDIRECT_URI
    assert authorize["code_challenge_method"] == "S256" and len(authorize["state"]) >= 43
    assert ("nonce" in authorize) is (strategy in OIDC)
    assert authorize["scope"].split() == list(oauth_spec_scopes(strategy))
    token_request = next(p for e, p in standin.seen if e == f"{name}/token")
    assert token_request["grant_type"] == "authorization_code"
    assert 43 <= len(token_request["code_verifier"]) <= 128
    if strategy == "oauth_github":
        assert grant.tokens.refresh_token is None and grant.tokens.scopes == (
            "read:user",
            "user:email",
        )
    else:
        assert grant.tokens.refresh_token is not None and grant.tokens.expires_at is not None
    assert (grant.tokens.id_token is not None) is (strategy in OIDC)


def oauth_spec_scopes(strategy: str) -> tuple[str, ...]:
    return NAMED_SPECS[strategy].scopes


async def test_apple_is_asked_to_post_back_and_gets_a_signed_client_secret(
    ctx: ServerContext, oauth: OAuthContext, standin: StandIn, client_id: str, clock: FrozenClock
) -> None:
    started = await start_authorization(ctx, oauth, client_id=client_id, strategy="oauth_apple")
    query = dict(parse_qsl(urlsplit(started.url).query))
    assert query["response_mode"] == "form_post"
    await sign_in_with(ctx, oauth, client_id, "oauth_apple")
    secret = next(p for e, p in standin.seen if e == "apple/client_secret")
    assert (secret["kid"], secret["iss"], secret["sub"]) == (
        APPLE_KEY_ID,
        standin.apple_team,
        "apple-client",
    )
    assert 0 < int(secret["exp"]) - int(secret["iat"]) <= 300


async def test_microsoft_tokens_name_their_tenant_and_a_verified_domain_counts(
    ctx: ServerContext, oauth: OAuthContext, standin: StandIn, client_id: str
) -> None:
    started = await start_authorization(ctx, oauth, client_id=client_id, strategy="oauth_microsoft")
    assert f"/microsoft/{MICROSOFT_TENANT_SETTING}/authorize?" in started.url
    standin.profiles["microsoft"]["xms_edov"] = True
    grant = await sign_in_with(ctx, oauth, client_id, "oauth_microsoft")
    assert grant.profile.email_verified is True
    assert grant.profile.raw["iss"] == f"https://login.microsoftonline.com/{MICROSOFT_TENANT}/v2.0"


async def test_google_may_name_its_issuer_without_the_scheme(
    ctx: ServerContext, oauth: OAuthContext, standin: StandIn, client_id: str
) -> None:
    standin.tamper = "iss_without_scheme"
    grant = await sign_in_with(ctx, oauth, client_id, "oauth_google")
    assert grant.profile.raw["iss"] == "accounts.google.com"
    standin.tamper = "iss_without_scheme"  # no other provider accepts a second spelling
    with pytest.raises(IdTokenInvalidError):
        await sign_in_with(ctx, oauth, client_id, "oauth_gitlab")


async def test_an_address_the_provider_does_not_vouch_for_is_unverified(
    ctx: ServerContext, oauth: OAuthContext, standin: StandIn, client_id: str
) -> None:
    standin.profiles["github"]["emails"][0]["verified"] = False
    standin.profiles["discord"]["verified"] = False
    standin.profiles["google"]["email_verified"] = False
    for strategy in ("oauth_github", "oauth_discord", "oauth_google"):
        grant = await sign_in_with(ctx, oauth, client_id, strategy)
        assert grant.profile.email is not None and grant.profile.email_verified is False


async def test_github_reports_a_spent_code_with_status_200(
    ctx: ServerContext, oauth: OAuthContext, standin: StandIn, client_id: str
) -> None:
    started = await start_authorization(ctx, oauth, client_id=client_id, strategy="oauth_github")
    params = await visit_provider(started.url)
    standin.codes.clear()  # the code was spent (or expired) before Threshold redeemed it
    with pytest.raises(ProviderRefusedError) as caught:
        await complete_authorization(
            ctx, oauth, client_id=client_id, callback=callback_from(params)
        )
    assert caught.value.meta["provider_error"] == "bad_verification_code"
    assert "GitHub" in caught.value.message


async def test_an_expired_access_token_is_renewed_once_with_the_refresh_token(
    ctx: ServerContext,
    oauth: OAuthContext,
    standin: StandIn,
    client_id: str,
    user_id: str,
    clock: FrozenClock,
) -> None:
    grant = await sign_in_with(ctx, oauth, client_id, "oauth_google")
    await link_external_account(ctx, oauth, user_id=user_id, grant=grant)
    same = await access_token(ctx, oauth, user_id=user_id, provider="oauth_google")
    assert same.token == grant.tokens.access_token and same.id_token == grant.tokens.id_token
    clock.advance(3600 - 10)  # inside the renewal margin
    results = []

    async def fetch() -> None:
        results.append(await access_token(ctx, oauth, user_id=user_id, provider="oauth_google"))

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(fetch)
        tasks.start_soon(fetch)
    tokens = {r.token for r in results}
    assert grant.tokens.access_token not in tokens
    assert all(t in standin.access_tokens for t in tokens)
    refreshes = [p for e, p in standin.seen if e == "google/token" and "refresh_token" in p]
    assert refreshes[0]["refresh_token"] == grant.tokens.refresh_token
    # The renewed token is stored: asking again sends nothing to the provider.
    before = len(standin.seen)
    await access_token(ctx, oauth, user_id=user_id, provider="oauth_google")
    assert len(standin.seen) == before
    assert results[0].id_token == grant.tokens.id_token  # kept when the refresh sends none


async def test_two_servers_renewing_at_once_share_the_providers_answer(
    ctx: ServerContext,
    oauth: OAuthContext,
    standin: StandIn,
    client_id: str,
    user_id: str,
    clock: FrozenClock,
) -> None:
    """Two processes (two contexts, no shared lock) renew one account; the provider
    accepts its rotating refresh token once, and the loser reads what the winner stored."""
    grant = await sign_in_with(ctx, oauth, client_id, "oauth_google")
    await link_external_account(ctx, oauth, user_id=user_id, grant=grant)
    social = SocialProviderSettings.from_environ(standin_environ(standin))
    other = OAuthContext.for_server(ctx, social, specs=standin_specs(standin.base))
    clock.advance(3600)
    standin.token_delay = 0.2
    results = []

    async def fetch(context: OAuthContext) -> None:
        results.append(await access_token(ctx, context, user_id=user_id, provider="oauth_google"))

    try:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(fetch, oauth)
            tasks.start_soon(fetch, other)
    finally:
        await other.aclose()
    assert len({r.token for r in results}) == 1
    refreshes = [p for e, p in standin.seen if e == "google/token" and "refresh_token" in p]
    assert len(refreshes) == 2  # both asked; one was refused


async def test_an_expired_token_without_a_refresh_token_says_so(
    ctx: ServerContext, oauth: OAuthContext, client_id: str, user_id: str, clock: FrozenClock
) -> None:
    grant = await sign_in_with(ctx, oauth, client_id, "oauth_google")
    tokens = dataclasses.replace(grant.tokens, refresh_token=None)
    await link_external_account(
        ctx, oauth, user_id=user_id, grant=dataclasses.replace(grant, tokens=tokens)
    )
    clock.advance(3601)
    with pytest.raises(RefreshTokenMissingError):
        await access_token(ctx, oauth, user_id=user_id, provider="oauth_google")
