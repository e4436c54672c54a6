"""Who the user is, read each provider's way and mapped to one :class:`ProviderProfile`.

- OpenID Connect: the verified ID token's claims, completed by userinfo where the
  provider has it. Userinfo's ``sub`` must be the ID token's (OpenID Connect Core 1.0,
  5.3.2), and the signed ID token wins where both give a claim.
- GitHub: ``GET /user`` (id, login, name, avatar) and ``GET /user/emails``: the primary
  address, verified when GitHub says so.
- Discord: ``GET /users/@me``: id, username, display name, avatar, email and ``verified``.

An email counts as verified only as the provider's description says (``EmailTrust``):
an address the provider does not vouch for must never sign anyone in to an existing
account that has it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from threshold.core.records.oauth import ProviderProfile, ProviderTokens
from threshold.services.oauth.catalogue import EmailTrust, ProfileSource
from threshold.services.oauth.context import OAuthContext
from threshold.services.oauth.directory import ConfiguredProvider
from threshold.services.oauth.errors import ProviderResponseError

__all__ = ["read_profile"]

_GITHUB_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
_DISCORD_CDN = "https://cdn.discordapp.com"
_TRUE = (True, "true")


async def read_profile(
    oauth: OAuthContext,
    provider: ConfiguredProvider,
    tokens: ProviderTokens,
    claims: Mapping[str, object] | None,
    *,
    apple_user: str | None = None,
) -> ProviderProfile:
    """The profile behind ``tokens`` (``claims``: the verified ID token's, for OpenID
    Connect providers; ``apple_user``: the ``user`` form field Apple posts once)."""
    source = provider.spec.profile_source
    if source is ProfileSource.GITHUB:
        return await _github(oauth, provider, tokens)
    if source is ProfileSource.DISCORD:
        return await _discord(oauth, provider, tokens)
    assert claims is not None
    return await _oidc(oauth, provider, tokens, claims, apple_user)


async def _oidc(
    oauth: OAuthContext,
    provider: ConfiguredProvider,
    tokens: ProviderTokens,
    claims: Mapping[str, object],
    apple_user: str | None,
) -> ProviderProfile:
    spec = provider.spec
    merged: dict[str, object] = {}
    if spec.userinfo_url is not None:
        info = await oauth.http.get_json(spec.name, spec.userinfo_url, bearer=tokens.access_token)
        if not isinstance(info, dict) or info.get("sub") != claims.get("sub"):
            raise ProviderResponseError(f"{spec.name}'s userinfo is about another user.")
        merged.update(info)
    merged.update(claims)
    email = _email(merged.get("email"))
    if spec.email_trust is EmailTrust.MICROSOFT:
        verified = merged.get("xms_edov") in (*_TRUE, 1, "1")
    else:
        verified = merged.get("email_verified") in _TRUE
    first, last = _text(merged.get("given_name")), _text(merged.get("family_name"))
    if first is None and last is None:
        first, last = _split(_text(merged.get("name")))
    if apple_user is not None and first is None and last is None:
        first, last = _apple_names(apple_user)
    username = _text(merged.get(spec.username_claim)) if spec.username_claim else None
    return ProviderProfile(
        provider=spec.strategy,
        provider_user_id=str(merged["sub"]),
        email=email,
        email_verified=bool(email and verified),
        first_name=first,
        last_name=last,
        image_url=_url(merged.get("picture")),
        username=username,
        raw=merged,
    )


async def _github(
    oauth: OAuthContext, provider: ConfiguredProvider, tokens: ProviderTokens
) -> ProviderProfile:
    spec = provider.spec
    user = await oauth.http.get_json(
        spec.name, f"{spec.api_url}/user", bearer=tokens.access_token, headers=_GITHUB_HEADERS
    )
    emails = await oauth.http.get_json(
        spec.name,
        f"{spec.api_url}/user/emails",
        bearer=tokens.access_token,
        headers=_GITHUB_HEADERS,
    )
    if not isinstance(user, dict) or not isinstance(user.get("id"), int | str):
        raise ProviderResponseError(f"{spec.name} sent no user id.")
    entries = [e for e in emails if isinstance(e, dict)] if isinstance(emails, list) else []
    primary = next((e for e in entries if e.get("primary") is True), None)
    email = _email(primary.get("email")) if primary else None
    first, last = _split(_text(user.get("name")))
    return ProviderProfile(
        provider=spec.strategy,
        provider_user_id=str(user["id"]),
        email=email,
        email_verified=bool(email and primary and primary.get("verified") is True),
        first_name=first,
        last_name=last,
        image_url=_url(user.get("avatar_url")),
        username=_text(user.get("login")),
        raw={"user": user, "emails": entries},
    )


async def _discord(
    oauth: OAuthContext, provider: ConfiguredProvider, tokens: ProviderTokens
) -> ProviderProfile:
    spec = provider.spec
    user = await oauth.http.get_json(
        spec.name, f"{spec.api_url}/users/@me", bearer=tokens.access_token
    )
    if not isinstance(user, dict) or not isinstance(user.get("id"), str):
        raise ProviderResponseError(f"{spec.name} sent no user id.")
    email = _email(user.get("email"))
    avatar = _text(user.get("avatar"))
    first, last = _split(_text(user.get("global_name")))
    return ProviderProfile(
        provider=spec.strategy,
        provider_user_id=user["id"],
        email=email,
        email_verified=bool(email and user.get("verified") is True),
        first_name=first,
        last_name=last,
        image_url=f"{_DISCORD_CDN}/avatars/{user['id']}/{avatar}.png" if avatar else None,
        username=_text(user.get("username")),
        raw=user,
    )


def _text(value: object, limit: int = 255) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()[:limit]


def _email(value: object) -> str | None:
    if not isinstance(value, str) or "@" not in value or len(value) > 320:
        return None
    return value.strip().lower()


def _url(value: object) -> str | None:
    if isinstance(value, str) and value.startswith(("https://", "http://")) and len(value) < 2048:
        return value
    return None


def _split(name: str | None) -> tuple[str | None, str | None]:
    if name is None:
        return None, None
    first, _, last = name.partition(" ")
    return first, (last.strip() or None)


def _apple_names(user_json: str) -> tuple[str | None, str | None]:
    """Apple posts the name once, on the first authorization, outside the ID token."""
    try:
        user = json.loads(user_json)
    except (ValueError, RecursionError):
        return None, None
    name = user.get("name") if isinstance(user, dict) else None
    if not isinstance(name, dict):
        return None, None
    return _text(name.get("firstName")), _text(name.get("lastName"))
