"""The Backend API's response shapes, for its OpenAPI document.

Handlers build plain dicts (``server.wire``, ``serialize``) and return them as-is; these
models only describe them, so the fuzz tests can check every answer against its schema.
Field sets are those the official SDKs' models require (see ``server.wire``); times are ms.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

__all__ = [
    "AllowlistIdentifierOut",
    "BlocklistIdentifierOut",
    "ClientOut",
    "DeletedObjectOut",
    "EmailAddressOut",
    "HandshakePayloadOut",
    "InvitationOut",
    "JwkOut",
    "JwksOut",
    "JwtTemplateOut",
    "Paged",
    "SessionActivityOut",
    "SessionOut",
    "SignInTokenOut",
    "TokenOut",
    "TotalCountOut",
    "UserOut",
    "VerificationOut",
    "VerifyPasswordOut",
]

ItemT = TypeVar("ItemT")
SessionStatus = Literal[
    "active", "revoked", "ended", "expired", "removed", "abandoned", "replaced", "pending"
]


class Paged(BaseModel, Generic[ItemT]):
    """A page of a listing with ``paginated=true`` (always, for the blocklist)."""

    data: list[ItemT]
    total_count: int


class VerificationOut(BaseModel):
    object: str
    status: Literal["unverified", "verified", "failed", "expired"]
    strategy: str
    attempts: int | None
    expire_at: int | None


class EmailAddressOut(BaseModel):
    id: str
    object: Literal["email_address"]
    email_address: str
    reserved: bool
    verification: VerificationOut | None
    linked_to: list[dict[str, Any]]
    matches_sso_connection: bool = False
    created_at: int
    updated_at: int


class UserOut(BaseModel):
    id: str
    object: Literal["user"]
    external_id: str | None
    primary_email_address_id: str | None
    primary_phone_number_id: str | None
    primary_web3_wallet_id: str | None
    username: str | None
    first_name: str | None
    last_name: str | None
    profile_image_url: str
    image_url: str
    has_image: bool
    public_metadata: dict[str, Any]
    private_metadata: dict[str, Any] | None = None
    unsafe_metadata: dict[str, Any]
    email_addresses: list[EmailAddressOut]
    phone_numbers: list[dict[str, Any]]
    web3_wallets: list[dict[str, Any]]
    passkeys: list[dict[str, Any]]
    password_enabled: bool
    two_factor_enabled: bool
    totp_enabled: bool
    backup_code_enabled: bool
    mfa_enabled_at: int | None
    mfa_disabled_at: int | None
    external_accounts: list[dict[str, Any]]
    saml_accounts: list[dict[str, Any]]
    enterprise_accounts: list[dict[str, Any]]
    last_sign_in_at: int | None
    banned: bool
    locked: bool
    lockout_expires_in_seconds: int | None
    verification_attempts_remaining: int | None
    updated_at: int
    created_at: int
    delete_self_enabled: bool
    create_organization_enabled: bool
    last_active_at: int | None
    legal_accepted_at: int | None
    password_last_updated_at: int | None = None


class SessionActivityOut(BaseModel):
    object: str
    id: str
    is_mobile: bool
    device_type: str | None = None
    browser_name: str | None = None
    browser_version: str | None = None
    ip_address: str | None = None
    city: str | None = None
    country: str | None = None


class SessionOut(BaseModel):
    object: Literal["session"]
    id: str
    user_id: str
    client_id: str
    actor: dict[str, Any] | None = None
    status: SessionStatus
    last_active_organization_id: str | None = None
    last_active_at: int
    latest_activity: SessionActivityOut | None = None
    expire_at: int
    abandon_at: int
    updated_at: int
    created_at: int
    tasks: list[dict[str, Any]] | None = None


class ClientOut(BaseModel):
    object: Literal["client"]
    id: str
    session_ids: list[str]
    sessions: list[SessionOut]
    sign_in_id: str | None
    sign_up_id: str | None
    last_active_session_id: str | None
    last_authentication_strategy: str | None
    updated_at: int
    created_at: int


class JwkOut(BaseModel):
    kid: str
    kty: Literal["RSA"]
    alg: Literal["RS256"]
    use: Literal["sig"]
    n: str
    e: str


class JwksOut(BaseModel):
    keys: list[JwkOut]


class JwtTemplateOut(BaseModel):
    object: Literal["jwt_template"]
    id: str
    name: str
    claims: dict[str, Any]
    lifetime: int
    allowed_clock_skew: int
    custom_signing_key: bool
    signing_algorithm: str
    created_at: int
    updated_at: int


class SignInTokenOut(BaseModel):
    object: Literal["sign_in_token"]
    id: str
    status: Literal["pending", "accepted", "revoked"]
    user_id: str
    token: str | None = Field(None, description="The secret: returned by create only.")
    url: str | None = Field(None, description="The sign-in link: returned by create only.")
    created_at: int
    updated_at: int


class InvitationOut(BaseModel):
    object: Literal["invitation"]
    id: str
    email_address: str
    public_metadata: dict[str, Any]
    revoked: bool
    status: Literal["pending", "accepted", "revoked", "expired"]
    url: str | None = Field(None, description="The sign-up link: returned by create only.")
    expires_at: int | None
    created_at: int
    updated_at: int


class AllowlistIdentifierOut(BaseModel):
    object: Literal["allowlist_identifier"]
    id: str
    invitation_id: str | None = None
    identifier: str
    identifier_type: Literal["email_address"]
    instance_id: str
    created_at: int
    updated_at: int


class BlocklistIdentifierOut(BaseModel):
    object: Literal["blocklist_identifier"]
    id: str
    identifier: str
    identifier_type: Literal["email_address"]
    instance_id: str
    created_at: int
    updated_at: int


class DeletedObjectOut(BaseModel):
    object: str
    id: str
    deleted: Literal[True]


class TotalCountOut(BaseModel):
    object: Literal["total_count"]
    total_count: int


class TokenOut(BaseModel):
    object: Literal["token"]
    jwt: str


class VerifyPasswordOut(BaseModel):
    verified: bool


class HandshakePayloadOut(BaseModel):
    directives: list[str]
