"""Social sign-in: what a provider tells about a user, its tokens, the state of a flow in
progress, and the external account that links a provider's user to a Threshold user.

Fields that hold a secret (tokens, sealed tokens) are left out of ``repr``, so a record
in a log line or a traceback shows no credential.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "AuthorizationState",
    "ExternalAccount",
    "ExternalAccountStatus",
    "ProviderProfile",
    "ProviderTokens",
]

JsonObject = Mapping[str, object]


class ExternalAccountStatus(StrEnum):
    """The external account's verification, in Clerk's words (``verification_oauth``)."""

    VERIFIED = "verified"
    UNVERIFIED = "unverified"


@dataclass(frozen=True, slots=True)
class ProviderProfile:
    """One user as a provider describes them, read the provider's own way (an OpenID
    Connect ID token and userinfo, or a provider's user API) and mapped to one shape."""

    provider: str
    """The strategy, such as ``oauth_google`` or ``oauth_custom_okta``."""
    provider_user_id: str
    """The provider's stable id for the user (OpenID Connect ``sub``, GitHub's numeric id)."""
    email: str | None
    email_verified: bool
    """True only when the provider vouches that the user controls ``email``
    (docs/social-sign-in.md says how each provider does)."""
    first_name: str | None = None
    last_name: str | None = None
    image_url: str | None = None
    username: str | None = None
    raw: JsonObject = field(default_factory=dict, repr=False)
    """What the provider sent (claims and API answers), for the record and for hooks."""


@dataclass(frozen=True, slots=True)
class ProviderTokens:
    """What the provider's token endpoint granted."""

    access_token: str = field(repr=False)
    token_type: str = "Bearer"  # noqa: S105 (a scheme name)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: int | None = None
    """Milliseconds since the epoch; None when the provider gave no lifetime."""
    scopes: tuple[str, ...] = ()
    id_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class AuthorizationState:
    """A provider flow started by one browser (Client) and not yet completed.

    Only digests of the ``state`` and ``nonce`` sent to the provider are kept; the PKCE
    code verifier, which must be sent again as it was, is kept sealed.
    """

    state_digest: str
    client_id: str
    strategy: str
    nonce_digest: str
    code_verifier_sealed: str = field(repr=False)
    redirect_url: str | None
    subject_id: str | None
    """The sign-in or sign-up attempt the flow belongs to, when there is one."""
    expire_at: int
    created_at: int


@dataclass(frozen=True, slots=True)
class ExternalAccount:
    """A provider's user linked to a Threshold user, with the provider's tokens sealed."""

    id: str
    user_id: str
    provider: str
    provider_user_id: str
    email_address: str | None
    email_verified: bool | None
    first_name: str | None
    last_name: str | None
    image_url: str | None
    username: str | None
    approved_scopes: tuple[str, ...]
    status: ExternalAccountStatus
    access_token_sealed: str | None = field(repr=False)
    refresh_token_sealed: str | None = field(repr=False)
    id_token_sealed: str | None = field(repr=False)
    access_token_expires_at: int | None
    public_metadata: JsonObject
    label: str | None
    created_at: int
    updated_at: int
