"""What an administrator does to an account: ban, lock, metadata, passwords, images."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from threshold.core.errors import ValidationError
from threshold.core.ids import new_id
from threshold.core.records.users import Image
from threshold.services.infra.audit import audit
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.fields import check_metadata, deep_merge
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.services.users.directory import get_user, load_user, revoke_user_sessions
from threshold.services.users.image_types import image_type
from threshold.services.users.passwords import (
    lockout_error,
    reserve_password_check,
    settle_failed_password_check,
)
from threshold.store.repositories import ImageRepository, UserRepository
from threshold.wire.users import UserView

__all__ = [
    "MetadataUpdate",
    "delete_profile_image",
    "set_banned",
    "set_locked",
    "set_profile_image",
    "update_metadata",
    "verify_password",
]

_METADATA = ("public_metadata", "private_metadata", "unsafe_metadata")


@dataclass(frozen=True, slots=True)
class MetadataUpdate:
    """The metadata objects a request gives (None: not given)."""

    public_metadata: Mapping[str, Any] | None = None
    private_metadata: Mapping[str, Any] | None = None
    unsafe_metadata: Mapping[str, Any] | None = None


async def set_banned(ctx: ServerContext, user_id: str, banned: bool) -> UserView:
    """Ban (which ends every session of the user) or unban."""

    async def work(tx: Tx) -> UserView:
        user = (await load_user(tx, user_id)).user
        changed = replace(user, banned=banned, updated_at=ctx.now_ms())
        await UserRepository(tx.conn).update(user, changed)
        if banned:
            await revoke_user_sessions(ctx, tx, user_id)
        return await load_user(tx, user_id)

    return await run_transaction(ctx, work)


async def set_locked(ctx: ServerContext, user_id: str, locked: bool) -> UserView:
    """Lock for the configured lockout time (ending every session), or unlock."""

    async def work(tx: Tx) -> UserView:
        user = (await load_user(tx, user_id)).user
        now = ctx.now_ms()
        until = now + ctx.settings.lockout_seconds * 1000 if locked else None
        changed = replace(user, locked_until=until, failed_attempts=0, updated_at=now)
        await UserRepository(tx.conn).update(user, changed)
        if locked:
            await revoke_user_sessions(ctx, tx, user_id)
        return await load_user(tx, user_id)

    return await run_transaction(ctx, work)


async def update_metadata(
    ctx: ServerContext, user_id: str, update: MetadataUpdate, *, merge: bool
) -> UserView:
    """Deep-merge (PATCH) or replace (PUT) the metadata objects that were given."""
    given = {
        k: check_metadata(value, k) for k in _METADATA if (value := getattr(update, k)) is not None
    }

    async def work(tx: Tx) -> UserView:
        user = (await load_user(tx, user_id)).user
        changes: dict[str, Any] = {}
        for key, value in given.items():
            merged = deep_merge(getattr(user, key) or {}, value) if merge else value
            changes[key] = check_metadata(merged, key)
        changed = replace(user, updated_at=ctx.now_ms(), **changes)
        await UserRepository(tx.conn).update(user, changed)
        return await load_user(tx, user_id)

    return await run_transaction(ctx, work)


async def verify_password(ctx: ServerContext, user_id: str, password: str) -> bool:
    """Check a password as sign-in does: the check counts toward the lockout before it
    runs, a locked account is refused, a success clears the count and upgrades an old
    digest."""
    user = (await get_user(ctx, user_id)).user
    if (locked := lockout_error(ctx, user)) is not None:
        raise locked
    digest = user.password_digest
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
        changed = replace(fresh, failed_attempts=0)
        if new_digest is not None and fresh.password_digest == digest:
            changed = replace(changed, password_digest=new_digest)
        await users.update(fresh, changed)

    await run_transaction(ctx, work)
    return True


async def set_profile_image(ctx: ServerContext, user_id: str, data: bytes) -> UserView:
    """Store a new profile image (PNG, JPEG, GIF or WebP) in place of the old one."""
    content_type = image_type(data)
    if content_type is None:
        raise ValidationError(
            "The file must be a PNG, JPEG, GIF or WebP image.",
            param="file",
            code="form_param_value_invalid",
        )

    async def work(tx: Tx) -> UserView:
        user = (await load_user(tx, user_id)).user
        now = ctx.now_ms()
        image = await ImageRepository(tx.conn).replace_for_user(
            Image(
                id=new_id("img"),
                user_id=user_id,
                content_type=content_type,
                data=data,
                created_at=now,
                updated_at=now,
            )
        )
        await UserRepository(tx.conn).update(user, replace(user, image_id=image.id, updated_at=now))
        return await load_user(tx, user_id)

    return await run_transaction(ctx, work)


async def delete_profile_image(ctx: ServerContext, user_id: str) -> UserView:
    """Remove the profile image (the generated avatar shows again)."""

    async def work(tx: Tx) -> UserView:
        user = (await load_user(tx, user_id)).user
        await ImageRepository(tx.conn).delete_for_user(user_id)
        changed = replace(user, image_id=None, updated_at=ctx.now_ms())
        await UserRepository(tx.conn).update(user, changed)
        return await load_user(tx, user_id)

    return await run_transaction(ctx, work)
