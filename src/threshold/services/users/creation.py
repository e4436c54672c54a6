"""Users: creation (shared by sign-up and the Backend API), addresses, allow and block lists."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from threshold.core.errors import DuplicateError, IdentifierExistsError, ValidationError
from threshold.core.ids import new_id
from threshold.core.records.users import EmailAddress, User
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.transaction import Tx
from threshold.store.repositories import EmailRepository, UserRepository
from threshold.store.repositories.identifier_lists import identifier_access

__all__ = ["NewUser", "check_identifier_allowed", "create_user", "normalize_email"]

_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}")


def normalize_email(value: object, *, param: str = "email_address") -> str:
    """Lower-cased, trimmed address; raises a ValidationError naming ``param``."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("Enter an email address.", param=param, code="form_param_missing")
    address = value.strip().lower()
    if len(address) > 320 or not _EMAIL.fullmatch(address):
        raise ValidationError(
            "Email address must be a valid email address.",
            param=param,
            code="form_param_format_invalid",
        )
    return address


async def check_identifier_allowed(tx: Tx, address: str, *, param: str = "email_address") -> None:
    """Blocklisted addresses are refused; with an allowlist, only listed ones pass."""
    domain = address.rsplit("@", 1)[-1]
    candidates = [address, f"*@{domain}", f"@{domain}", domain]
    if not await identifier_access(tx.conn, candidates):
        raise ValidationError(
            "You are not allowed to access this application.",
            param=param,
            code="identifier_not_allowed_access",
        )


@dataclass(frozen=True, slots=True)
class NewUser:
    """A user to create: its first address (None for none), how that address was
    verified, the password's digest and the profile fields."""

    email: str | None
    password_digest: str | None
    email_verified: bool = True
    verification_strategy: str = "email_code"
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    external_id: str | None = None
    public_metadata: Mapping[str, Any] = field(default_factory=dict)
    private_metadata: Mapping[str, Any] = field(default_factory=dict)
    unsafe_metadata: Mapping[str, Any] = field(default_factory=dict)


async def create_user(ctx: ServerContext, tx: Tx, new: NewUser) -> User:
    """Store a user and (optionally) its primary address; a taken address or username is a
    clear error. The unique indexes decide races: of concurrent sign-ups with one address
    exactly one commits."""
    now = ctx.now_ms()
    user_id = new_id("user")
    if new.email is not None and await EmailRepository(tx.conn).by_address(new.email) is not None:
        raise IdentifierExistsError(param="email_address")
    user = User(
        id=user_id,
        external_id=new.external_id,
        username=new.username,
        first_name=new.first_name,
        last_name=new.last_name,
        password_digest=new.password_digest,
        password_updated_at=now if new.password_digest else None,
        public_metadata=new.public_metadata,
        private_metadata=new.private_metadata,
        unsafe_metadata=new.unsafe_metadata,
        created_at=now,
        updated_at=now,
    )
    email = None
    if new.email is not None:
        email = EmailAddress(
            id=new_id("idn"),
            user_id=user_id,
            email_address=new.email,
            verified=new.email_verified,
            verification_strategy=new.verification_strategy,
            created_at=now,
            updated_at=now,
        )
    try:
        return await UserRepository(tx.conn).create(user, email)
    except DuplicateError as exc:
        if exc.field == "username":
            raise IdentifierExistsError(
                "That username is taken. Please try another.", param="username"
            ) from exc
        raise IdentifierExistsError(param="email_address") from exc
