"""Users: creation (shared by sign-up and the Backend API), addresses, allow and block lists."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from threshold.core.errors import (
    IdentifierExistsError,
    ValidationError,
)
from threshold.core.ids import new_id
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.transaction import Tx
from threshold.store.repositories import EmailRepository, UserRepository
from threshold.store.repositories._base import Row
from threshold.store.tables import allowlist_identifiers, blocklist_identifiers

__all__ = ["check_identifier_allowed", "create_user", "normalize_email"]

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
    blocked = await tx.conn.execute(
        sa.select(blocklist_identifiers.c.id)
        .where(blocklist_identifiers.c.identifier.in_(candidates))
        .limit(1)
    )
    if blocked.first() is not None:
        raise ValidationError(
            "You are not allowed to access this application.",
            param=param,
            code="identifier_not_allowed_access",
        )
    any_allowed = await tx.conn.execute(sa.select(allowlist_identifiers.c.id).limit(1))
    if any_allowed.first() is None:
        return
    listed = await tx.conn.execute(
        sa.select(allowlist_identifiers.c.id)
        .where(allowlist_identifiers.c.identifier.in_(candidates))
        .limit(1)
    )
    if listed.first() is None:
        raise ValidationError(
            "You are not allowed to access this application.",
            param=param,
            code="identifier_not_allowed_access",
        )


async def create_user(
    ctx: ServerContext,
    tx: Tx,
    *,
    email: str | None,
    password_digest: str | None,
    email_verified: bool = True,
    verification_strategy: str = "email_code",
    **fields: Any,
) -> Row:
    """Insert a user and (optionally) its primary email; a taken email raises a clear error.

    The unique index on email addresses decides races: of concurrent sign-ups with one
    address exactly one commits.
    """
    now = ctx.now_ms()
    user_id = new_id("user")
    emails = EmailRepository(tx.conn)
    if email is not None and await emails.by_address(email) is not None:
        raise IdentifierExistsError(param="email_address")
    values: dict[str, Any] = {
        "id": user_id,
        "external_id": None,
        "username": None,
        "first_name": None,
        "last_name": None,
        "password_digest": password_digest,
        "password_updated_at": now if password_digest else None,
        "primary_email_address_id": None,
        "image_id": None,
        "public_metadata": {},
        "private_metadata": {},
        "unsafe_metadata": {},
        "banned": False,
        "locked_until": None,
        "failed_attempts": 0,
        "last_sign_in_at": None,
        "last_active_at": None,
        "search_text": "",
        "created_at": now,
        "updated_at": now,
    }
    values.update({k: v for k, v in fields.items() if k in values})
    users = UserRepository(tx.conn)
    try:
        async with tx.conn.begin_nested():
            await users.insert(**values)
            if email is not None:
                email_id = new_id("idn")
                await emails.insert(
                    id=email_id,
                    user_id=user_id,
                    email_address=email,
                    verified=email_verified,
                    verification_strategy=verification_strategy,
                    created_at=now,
                    updated_at=now,
                )
                await users.update(user_id, primary_email_address_id=email_id)
                values["primary_email_address_id"] = email_id
    except IntegrityError as exc:
        text = str(exc.orig).lower()
        if "email" in text:
            raise IdentifierExistsError(param="email_address") from exc
        if "username" in text:
            raise IdentifierExistsError(
                "That username is taken. Please try another.", param="username"
            ) from exc
        raise
    await users.touch_search_text(user_id)
    return values
