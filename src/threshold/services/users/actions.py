"""What an administrator does to an account: ban, lock, metadata, passwords, images."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from threshold.core.errors import ValidationError
from threshold.core.ids import new_id
from threshold.services.infra.audit import audit
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.fields import check_metadata, deep_merge
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.services.users.directory import (
    UserRecord,
    get_user,
    load_user,
    revoke_user_sessions,
)
from threshold.services.users.passwords import (
    lockout_error,
    reserve_password_check,
    settle_failed_password_check,
)
from threshold.store.repositories import ImageRepository, UserRepository

__all__ = [
    "IMAGE_TYPES",
    "delete_profile_image",
    "image_type",
    "set_banned",
    "set_locked",
    "set_profile_image",
    "update_metadata",
    "verify_password",
]

IMAGE_TYPES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}
"""Accepted image formats, recognised by their first bytes (the declared type is ignored)."""

_METADATA = ("public_metadata", "private_metadata", "unsafe_metadata")


async def set_banned(ctx: ServerContext, user_id: str, banned: bool) -> UserRecord:
    """Ban (which ends every session of the user) or unban."""

    async def work(tx: Tx) -> UserRecord:
        await load_user(tx, user_id)
        await UserRepository(tx.conn).update(user_id, banned=banned, updated_at=ctx.now_ms())
        if banned:
            await revoke_user_sessions(ctx, tx, user_id)
        return await load_user(tx, user_id)

    return await run_transaction(ctx, work)


async def set_locked(ctx: ServerContext, user_id: str, locked: bool) -> UserRecord:
    """Lock for the configured lockout time (ending every session), or unlock."""

    async def work(tx: Tx) -> UserRecord:
        await load_user(tx, user_id)
        now = ctx.now_ms()
        until = now + ctx.settings.lockout_seconds * 1000 if locked else None
        await UserRepository(tx.conn).update(
            user_id, locked_until=until, failed_attempts=0, updated_at=now
        )
        if locked:
            await revoke_user_sessions(ctx, tx, user_id)
        return await load_user(tx, user_id)

    return await run_transaction(ctx, work)


async def update_metadata(
    ctx: ServerContext, user_id: str, params: Mapping[str, Any], *, replace: bool
) -> UserRecord:
    """Deep-merge (PATCH) or replace (PUT) the metadata objects that were given."""
    given = {k: check_metadata(params[k], k) for k in _METADATA if params.get(k) is not None}

    async def work(tx: Tx) -> UserRecord:
        users = UserRepository(tx.conn)
        record = await load_user(tx, user_id)
        changes: dict[str, Any] = {}
        for key, value in given.items():
            merged = value if replace else deep_merge(record.user[key] or {}, value)
            changes[key] = check_metadata(merged, key)
        await users.update(user_id, updated_at=ctx.now_ms(), **changes)
        return await load_user(tx, user_id)

    return await run_transaction(ctx, work)


async def verify_password(ctx: ServerContext, user_id: str, password: str) -> bool:
    """Check a password as sign-in does: the check counts toward the lockout before it
    runs, a locked account is refused, a success clears the count and upgrades an old
    digest."""
    record = await get_user(ctx, user_id)
    user = record.user
    if (locked := lockout_error(ctx, user)) is not None:
        raise locked
    digest = user["password_digest"]
    if not digest:
        raise ValidationError(
            "This user has no password.", param="password", code="no_password_set"
        )
    await reserve_password_check(ctx, user_id)
    if len(password) > ctx.policy.max_length * 4:
        ok = False
    else:
        ok = await ctx.hasher.verify(digest, password)
    if not ok:
        if (until := await settle_failed_password_check(ctx, user_id)) is not None:
            audit("user.locked", user_id=user_id, until_ms=until)
        return False
    new_digest = None
    if ctx.hasher.hasher.needs_rehash(digest):
        new_digest = await ctx.hasher.hash(password)

    async def work(tx: Tx) -> None:
        users = UserRepository(tx.conn)
        fresh = await users.get_for_update(user_id)
        if fresh is None:
            return
        changes: dict[str, Any] = {"failed_attempts": 0}
        if new_digest is not None and fresh["password_digest"] == digest:
            changes["password_digest"] = new_digest
        await users.update(user_id, **changes)

    await run_transaction(ctx, work)
    return True


def image_type(data: bytes) -> str | None:
    """The content type of a PNG, JPEG, GIF or WebP image, from its first bytes."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((t for magic, t in IMAGE_TYPES.items() if data.startswith(magic)), None)


async def set_profile_image(ctx: ServerContext, user_id: str, data: bytes) -> UserRecord:
    """Store a new profile image (PNG, JPEG, GIF or WebP) in place of the old one."""
    content_type = image_type(data)
    if content_type is None:
        raise ValidationError(
            "The file must be a PNG, JPEG, GIF or WebP image.",
            param="file",
            code="form_param_value_invalid",
        )

    async def work(tx: Tx) -> UserRecord:
        await load_user(tx, user_id)
        images = ImageRepository(tx.conn)
        await images.delete_for_user(user_id)
        now = ctx.now_ms()
        image = await images.insert(
            id=new_id("img"),
            user_id=user_id,
            content_type=content_type,
            data=data,
            created_at=now,
            updated_at=now,
        )
        await UserRepository(tx.conn).update(user_id, image_id=image["id"], updated_at=now)
        return await load_user(tx, user_id)

    return await run_transaction(ctx, work)


async def delete_profile_image(ctx: ServerContext, user_id: str) -> UserRecord:
    """Remove the profile image (the generated avatar shows again)."""

    async def work(tx: Tx) -> UserRecord:
        await load_user(tx, user_id)
        await ImageRepository(tx.conn).delete_for_user(user_id)
        await UserRepository(tx.conn).update(user_id, image_id=None, updated_at=ctx.now_ms())
        return await load_user(tx, user_id)

    return await run_transaction(ctx, work)
