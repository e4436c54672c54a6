"""Users: creation (shared by sign-up and the Backend API), passwords, lockout."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from threshold.core.errors import (
    AccountLockedError,
    IdentifierExistsError,
    ValidationError,
)
from threshold.core.ids import new_id
from threshold.core.passwords import check_password
from threshold.services.audit import audit
from threshold.services.context import ServerContext
from threshold.services.flow import run_flow
from threshold.store.repositories import EmailRepository, UserRepository
from threshold.store.repositories._base import Row
from threshold.store.tables import allowlist_identifiers, blocklist_identifiers

__all__ = [
    "check_identifier_allowed",
    "create_user",
    "hash_new_password",
    "lockout_error",
    "normalize_email",
    "release_password_check",
    "reserve_password_check",
    "settle_failed_password_check",
]

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


async def hash_new_password(
    ctx: ServerContext, password: object, context: list[str], *, param: str = "password"
) -> str:
    """Check a newly chosen password against the policy, then hash it (off the loop)."""
    if not isinstance(password, str) or not password:
        raise ValidationError("Enter a password.", param=param, code="form_param_missing")
    normalized = check_password(
        password, ctx.policy, [*context, ctx.settings.app_name], param=param
    )
    return await ctx.hasher.hash(normalized)


async def check_identifier_allowed(
    conn: AsyncConnection, address: str, *, param: str = "email_address"
) -> None:
    """Blocklisted addresses are refused; with an allowlist, only listed ones pass."""
    domain = address.rsplit("@", 1)[-1]
    candidates = [address, f"*@{domain}", f"@{domain}", domain]
    blocked = await conn.execute(
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
    any_allowed = await conn.execute(sa.select(allowlist_identifiers.c.id).limit(1))
    if any_allowed.first() is None:
        return
    listed = await conn.execute(
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
    conn: AsyncConnection,
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
    emails = EmailRepository(conn)
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
    users = UserRepository(conn)
    try:
        async with conn.begin_nested():
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


def lockout_error(ctx: ServerContext, user: Row) -> AccountLockedError | None:
    """The error to raise when the account is locked now, else None."""
    until = user.get("locked_until")
    now = ctx.now_ms()
    if until is None or until <= now:
        return None
    seconds = max((until - now) // 1000, 1)
    minutes = max(seconds // 60, 1)
    return AccountLockedError(
        f"Your account is locked after too many failed attempts. Try again in {minutes} "
        f"minute{'s' if minutes != 1 else ''}, or reset your password.",
        meta={"lockout_expires_in_seconds": seconds},
    )


async def reserve_password_check(ctx: ServerContext, user_id: str) -> None:
    """Count a password check as failed before it runs (a success clears the count).

    Checks that run at once then see each other: when ``THRESHOLD_LOCKOUT_ATTEMPTS``
    checks are counted, finished or still running, the account locks and the next check
    is refused unevaluated, so a burst of parallel guesses gets no more tries than the
    threshold. Raises :class:`AccountLockedError`.
    """

    async def flow(conn: AsyncConnection) -> int | None:
        users = UserRepository(conn)
        user = await users.get_for_update(user_id)
        if user is None:
            return None
        if (locked := lockout_error(ctx, user)) is not None:
            raise locked
        if user["failed_attempts"] >= ctx.settings.lockout_attempts:
            return await _lock(ctx, conn, user_id)
        await users.update(user_id, failed_attempts=user["failed_attempts"] + 1)
        return None

    if (until := await run_flow(ctx, flow)) is not None:
        audit("user.locked", user_id=user_id, until_ms=until)
        raise _locked_until(ctx, until)


async def release_password_check(conn: AsyncConnection, user_id: str) -> None:
    """Give back a check :func:`reserve_password_check` counted when the attempt it was
    for was refused without a verdict (it lapsed while argon2 ran)."""
    users = UserRepository(conn)
    user = await users.get_for_update(user_id)
    if user is not None and user["failed_attempts"] > 0:
        await users.update(user_id, failed_attempts=user["failed_attempts"] - 1)


async def settle_failed_password_check(ctx: ServerContext, user_id: str) -> int | None:
    """After a reserved check failed: lock the account once the count reached the
    threshold. Returns when the lock ends (ms), or None when the account is not locked."""

    async def flow(conn: AsyncConnection) -> int | None:
        user = await UserRepository(conn).get_for_update(user_id)
        if user is None:
            return None
        if lockout_error(ctx, user) is not None:
            return int(user["locked_until"])
        if user["failed_attempts"] < ctx.settings.lockout_attempts:
            return None
        return await _lock(ctx, conn, user_id)

    return await run_flow(ctx, flow)


async def _lock(ctx: ServerContext, conn: AsyncConnection, user_id: str) -> int:
    """Lock the account for ``THRESHOLD_LOCKOUT_SECONDS``; returns when the lock ends."""
    until = ctx.now_ms() + ctx.settings.lockout_seconds * 1000
    await UserRepository(conn).update(user_id, failed_attempts=0, locked_until=until)
    return until


def _locked_until(ctx: ServerContext, until: int) -> AccountLockedError:
    error = lockout_error(ctx, {"locked_until": until})
    assert error is not None
    return error
