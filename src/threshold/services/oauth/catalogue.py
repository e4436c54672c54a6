"""The providers Threshold knows by name: endpoints, scopes, and how each tells who the
user is. A generic OpenID Connect provider gets the same description from its discovery
document (``discovery.py``).

Each description follows the provider's own documentation:

- Google, Microsoft, Apple, GitLab, LinkedIn: OpenID Connect. The ID token is verified
  against the provider's JWKS; userinfo (where there is one) adds to it.
- GitHub: OAuth 2.0 without OpenID Connect. The user comes from ``GET /user``, the email
  from ``GET /user/emails`` (the primary address, with GitHub's ``verified`` flag).
- Discord: OAuth 2.0; the user, email and ``verified`` flag from ``GET /users/@me``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "MICROSOFT_ISSUER",
    "NAMED_SPECS",
    "EmailTrust",
    "ProfileSource",
    "ProviderSpec",
    "TokenAuth",
]


class ProfileSource(StrEnum):
    """Where the user's profile is read from."""

    OIDC = "oidc"
    GITHUB = "github"
    DISCORD = "discord"


class EmailTrust(StrEnum):
    """When the provider's email counts as verified."""

    CLAIM = "claim"
    """The ``email_verified`` claim (or field) is true."""
    MICROSOFT = "microsoft"
    """Microsoft's ``email`` claim is not verified by Microsoft (an organisation's admin
    can set it to any address); only the optional ``xms_edov`` claim (the email's domain
    is verified by the tenant that owns it) makes it count."""


class TokenAuth(StrEnum):
    """How the client authenticates at the token endpoint (RFC 6749, 2.3.1)."""

    BASIC = "client_secret_basic"
    POST = "client_secret_post"


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    """One provider's protocol, independent of this server's credentials."""

    strategy: str
    name: str
    authorize_url: str
    token_url: str
    scopes: tuple[str, ...]
    profile_source: ProfileSource
    issuer: str | None = None
    """OpenID Connect: the exact ``iss`` of its ID tokens (Microsoft's has ``{tenantid}``)."""
    issuer_aliases: tuple[str, ...] = ()
    """Other spellings of ``issuer`` the provider documents for its ID tokens."""
    jwks_uri: str | None = None
    userinfo_url: str | None = None
    api_url: str | None = None
    """GitHub and Discord: the base URL of the user API."""
    id_token_algorithms: tuple[str, ...] = ("RS256",)
    token_auth: TokenAuth = TokenAuth.POST
    email_trust: EmailTrust = EmailTrust.CLAIM
    username_claim: str | None = None
    """OpenID Connect: the claim that holds a username worth keeping, if the provider has
    one (Microsoft's ``preferred_username`` is a sign-in name, often an email: not kept)."""
    authorize_params: Mapping[str, str] = field(default_factory=dict)
    """Extra parameters of the authorization request (Apple's ``response_mode``)."""
    callback_issuer: bool = False
    """The provider adds ``iss`` to its callback (RFC 9207), which must then match."""

    @property
    def is_oidc(self) -> bool:
        return self.profile_source is ProfileSource.OIDC


MICROSOFT_ISSUER = "https://login.microsoftonline.com/{tenantid}/v2.0"
_MICROSOFT = "https://login.microsoftonline.com/{tenant}"

NAMED_SPECS: dict[str, ProviderSpec] = {
    spec.strategy: spec
    for spec in (
        ProviderSpec(
            strategy="oauth_google",
            name="Google",
            authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
            token_url="https://oauth2.googleapis.com/token",
            scopes=("openid", "email", "profile"),
            profile_source=ProfileSource.OIDC,
            issuer="https://accounts.google.com",
            # Google's ID tokens may name their issuer without the scheme.
            issuer_aliases=("accounts.google.com",),
            jwks_uri="https://www.googleapis.com/oauth2/v3/certs",
            userinfo_url="https://openidconnect.googleapis.com/v1/userinfo",
            authorize_params={"access_type": "offline"},
        ),
        ProviderSpec(
            strategy="oauth_github",
            name="GitHub",
            authorize_url="https://github.com/login/oauth/authorize",
            token_url="https://github.com/login/oauth/access_token",
            scopes=("read:user", "user:email"),
            profile_source=ProfileSource.GITHUB,
            api_url="https://api.github.com",
        ),
        ProviderSpec(
            strategy="oauth_microsoft",
            name="Microsoft",
            authorize_url=f"{_MICROSOFT}/oauth2/v2.0/authorize",
            token_url=f"{_MICROSOFT}/oauth2/v2.0/token",
            scopes=("openid", "email", "profile", "offline_access"),
            profile_source=ProfileSource.OIDC,
            issuer=MICROSOFT_ISSUER,
            jwks_uri=f"{_MICROSOFT}/discovery/v2.0/keys",
            email_trust=EmailTrust.MICROSOFT,
        ),
        ProviderSpec(
            strategy="oauth_apple",
            name="Apple",
            authorize_url="https://appleid.apple.com/auth/authorize",
            token_url="https://appleid.apple.com/auth/token",
            scopes=("name", "email"),
            profile_source=ProfileSource.OIDC,
            issuer="https://appleid.apple.com",
            jwks_uri="https://appleid.apple.com/auth/keys",
            # Apple sends the callback as a POST when name or email is asked for.
            authorize_params={"response_mode": "form_post"},
        ),
        ProviderSpec(
            strategy="oauth_gitlab",
            name="GitLab",
            authorize_url="https://gitlab.com/oauth/authorize",
            token_url="https://gitlab.com/oauth/token",
            scopes=("openid", "email", "profile"),
            profile_source=ProfileSource.OIDC,
            issuer="https://gitlab.com",
            jwks_uri="https://gitlab.com/oauth/discovery/keys",
            userinfo_url="https://gitlab.com/oauth/userinfo",
            username_claim="nickname",
        ),
        ProviderSpec(
            strategy="oauth_discord",
            name="Discord",
            authorize_url="https://discord.com/oauth2/authorize",
            token_url="https://discord.com/api/oauth2/token",
            scopes=("identify", "email"),
            profile_source=ProfileSource.DISCORD,
            api_url="https://discord.com/api",
        ),
        ProviderSpec(
            strategy="oauth_linkedin_oidc",
            name="LinkedIn",
            authorize_url="https://www.linkedin.com/oauth/v2/authorization",
            token_url="https://www.linkedin.com/oauth/v2/accessToken",
            scopes=("openid", "email", "profile"),
            profile_source=ProfileSource.OIDC,
            issuer="https://www.linkedin.com/oauth",
            jwks_uri="https://www.linkedin.com/oauth/openid/jwks",
            userinfo_url="https://api.linkedin.com/v2/userinfo",
        ),
    )
}
"""The named providers by strategy. Microsoft's URLs hold ``{tenant}``, filled in from
``THRESHOLD_OAUTH_MICROSOFT_TENANT`` (``directory.py``)."""
