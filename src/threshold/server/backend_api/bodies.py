"""Request bodies of the Backend API (JSON). Unknown keys are ignored, as Clerk's are.

Types and bounds are checked here (a failure is a 422 naming the field), and each body
becomes the input of the service that takes it; what needs the database or the
password policy is checked by the services.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from threshold.core.records.unset import UNSET
from threshold.services.auth.tickets import NewInvitation
from threshold.services.instance.jwt_templates import TemplateFields
from threshold.services.users.actions import MetadataUpdate
from threshold.services.users.directory import ProfileFields, UserCreation, UserUpdate
from threshold.services.users.passwords import PasswordInput

__all__ = [
    "ClientVerifyIn",
    "EmailCreateIn",
    "EmailUpdateIn",
    "IdentifierIn",
    "InvitationIn",
    "JwtTemplateIn",
    "MetadataIn",
    "SessionCreateIn",
    "SignInTokenIn",
    "TokenIn",
    "UserCreateIn",
    "UserUpdateIn",
    "VerifyPasswordIn",
    "metadata_update",
    "new_invitation",
    "template_fields",
    "user_creation",
    "user_update",
]

Short = Annotated[str, Field(max_length=255)]
Email = Annotated[str, Field(max_length=320)]
Secret = Annotated[str, Field(max_length=1024)]
Metadata = dict[str, Any]


class _UserFields(BaseModel):
    external_id: Short | None = None
    first_name: Short | None = None
    last_name: Short | None = None
    username: Short | None = None
    password: Secret | None = None
    password_digest: Secret | None = None
    password_hasher: Annotated[str, Field(max_length=64)] | None = Field(
        None, description="bcrypt, argon2i or argon2id, with password_digest."
    )
    skip_password_checks: bool | None = None
    public_metadata: Metadata | None = None
    private_metadata: Metadata | None = None
    unsafe_metadata: Metadata | None = None


class UserCreateIn(_UserFields):
    email_address: Annotated[list[Email], Field(max_length=20)] | None = Field(
        None, description="Verified addresses; the first one becomes primary."
    )
    skip_password_requirement: bool | None = None
    skip_user_requirement: bool | None = None


class UserUpdateIn(_UserFields):
    primary_email_address_id: Short | None = None
    sign_out_of_other_sessions: bool | None = None


class MetadataIn(BaseModel):
    public_metadata: Metadata | None = None
    private_metadata: Metadata | None = None
    unsafe_metadata: Metadata | None = None


class VerifyPasswordIn(BaseModel):
    password: Secret


class EmailCreateIn(BaseModel):
    user_id: Short
    email_address: Email
    verified: bool | None = None
    primary: bool | None = None


class EmailUpdateIn(BaseModel):
    verified: bool | None = None
    primary: bool | None = None


class SessionCreateIn(BaseModel):
    user_id: Short


class TokenIn(BaseModel):
    expires_in_seconds: Annotated[int, Field(ge=30, le=315_360_000)] | None = None


class ClientVerifyIn(BaseModel):
    token: Annotated[str, Field(max_length=2048)]


class JwtTemplateIn(BaseModel):
    name: Short
    claims: Metadata
    lifetime: Annotated[int, Field(ge=30, le=315_360_000)] | None = None
    allowed_clock_skew: Annotated[int, Field(ge=0, le=300)] | None = None
    custom_signing_key: bool | None = None
    signing_algorithm: Annotated[str, Field(max_length=16)] | None = None


class SignInTokenIn(BaseModel):
    user_id: Short
    expires_in_seconds: Annotated[int, Field(ge=1, le=315_360_000)] | None = None


class InvitationIn(BaseModel):
    email_address: Email
    public_metadata: Metadata | None = None
    redirect_url: Annotated[str, Field(max_length=2048)] | None = None
    notify: bool | None = True
    ignore_existing: bool | None = False
    expires_in_days: Annotated[int, Field(ge=1, le=365)] | None = None


class IdentifierIn(BaseModel):
    identifier: Email
    notify: bool | None = False


def _set(body: BaseModel, name: str) -> Any:
    """The field's value when the body sent it, else ``UNSET``."""
    return getattr(body, name) if name in body.model_fields_set else UNSET


def _profile(body: _UserFields) -> ProfileFields:
    return ProfileFields(
        first_name=_set(body, "first_name"),
        last_name=_set(body, "last_name"),
        external_id=_set(body, "external_id"),
        username=_set(body, "username"),
        public_metadata=body.public_metadata,
        private_metadata=body.private_metadata,
        unsafe_metadata=body.unsafe_metadata,
    )


def _password(body: _UserFields) -> PasswordInput:
    return PasswordInput(
        password=body.password,
        password_digest=body.password_digest,
        password_hasher=body.password_hasher,
        skip_password_checks=bool(body.skip_password_checks),
    )


def user_creation(body: UserCreateIn) -> UserCreation:
    return UserCreation(
        email_addresses=tuple(body.email_address or ()),
        profile=_profile(body),
        password=_password(body),
        skip_user_requirement=bool(body.skip_user_requirement),
    )


def user_update(body: UserUpdateIn) -> UserUpdate:
    return UserUpdate(
        profile=_profile(body),
        password=_password(body),
        primary_email_address_id=body.primary_email_address_id,
        sign_out_of_other_sessions=bool(body.sign_out_of_other_sessions),
    )


def metadata_update(body: MetadataIn) -> MetadataUpdate:
    return MetadataUpdate(
        public_metadata=body.public_metadata,
        private_metadata=body.private_metadata,
        unsafe_metadata=body.unsafe_metadata,
    )


def template_fields(body: JwtTemplateIn) -> TemplateFields:
    return TemplateFields(
        name=body.name,
        claims=body.claims,
        lifetime=body.lifetime,
        allowed_clock_skew=body.allowed_clock_skew,
        custom_signing_key=body.custom_signing_key,
        signing_algorithm=body.signing_algorithm,
    )


def new_invitation(body: InvitationIn, redirect_url: str | None) -> NewInvitation:
    """``redirect_url``: the body's, once checked."""
    return NewInvitation(
        email_address=body.email_address,
        public_metadata=body.public_metadata,
        redirect_url=redirect_url,
        notify=bool(body.notify),
        ignore_existing=bool(body.ignore_existing),
        expires_in_days=body.expires_in_days,
    )
