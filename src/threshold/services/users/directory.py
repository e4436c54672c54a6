"""Users through the Backend API: list, count, get, create, update, delete."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from threshold.core.errors import IdentifierExistsError, ValidationError
from threshold.core.ids import new_id
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.fields import check_metadata, check_name, check_username, require
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.services.sessions.sessions import set_session_status
from threshold.services.users.creation import create_user, normalize_email
from threshold.services.users.passwords import password_digest_from
from threshold.store.repositories import EmailRepository, SessionRepository, UserRepository
from threshold.store.repositories._base import Row
from threshold.store.repositories.admin import Page, Pager, UserFilters, user_where
from threshold.store.tables import clients, sessions, users

__all__ = [
    "USER_ORDER_FIELDS",
    "UserRecord",
    "add_email",
    "count_users",
    "create_user_admin",
    "delete_user",
    "get_user",
    "list_users",
    "load_user",
    "revoke_user_sessions",
    "update_user_admin",
]

USER_ORDER_FIELDS = (
    "created_at",
    "updated_at",
    "first_name",
    "last_name",
    "username",
    "last_active_at",
    "last_sign_in_at",
)
_METADATA = ("public_metadata", "private_metadata", "unsafe_metadata")


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A user row with its email rows: everything the User object is built from."""

    user: Row
    emails: list[Row]


async def load_user(tx: Tx, user_id: str) -> UserRecord:
    """The user and its emails (404 when unknown)."""
    user = await require(UserRepository(tx.conn), user_id, "user", "user", "user_id")
    return UserRecord(user, await EmailRepository(tx.conn).for_user(user_id))


async def get_user(ctx: ServerContext, user_id: str) -> UserRecord:
    """One user."""
    return await run_transaction(ctx, lambda tx: load_user(tx, user_id), readonly=True)


async def list_users(ctx: ServerContext, filters: UserFilters, page: Page) -> list[UserRecord]:
    """One page of users matching ``filters``."""

    async def work(tx: Tx) -> list[UserRecord]:
        by_created_at = page.order_by.lstrip(" +-") == "created_at"
        where = await user_where(tx.conn, filters, by_created_at=by_created_at)
        rows = await Pager(tx.conn, users).page(where, page, USER_ORDER_FIELDS)
        grouped = await EmailRepository(tx.conn).for_users([r["id"] for r in rows])
        return [UserRecord(r, grouped[r["id"]]) for r in rows]

    return await run_transaction(ctx, work, readonly=True)


async def count_users(ctx: ServerContext, filters: UserFilters) -> int:
    """How many users match ``filters``."""

    async def work(tx: Tx) -> int:
        return await Pager(tx.conn, users).count(await user_where(tx.conn, filters))

    return await run_transaction(ctx, work, readonly=True)


async def _check_unique(tx: Tx, column: str, value: str | None, user_id: str | None) -> None:
    if value is None:
        return
    stmt = sa.select(users.c.id).where(users.c[column] == value)
    if user_id is not None:
        stmt = stmt.where(users.c.id != user_id)
    if (await tx.conn.execute(stmt.limit(1))).first() is not None:
        raise IdentifierExistsError(f"That {column.replace('_', ' ')} is taken.", param=column)


def _profile_fields(params: Mapping[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key in ("first_name", "last_name", "external_id"):
        if key in params:
            fields[key] = check_name(params[key], key)
    if "username" in params:
        fields["username"] = check_username(params["username"])
    for key in _METADATA:
        if params.get(key) is not None:
            fields[key] = check_metadata(params[key], key)
    return fields


async def create_user_admin(ctx: ServerContext, params: Mapping[str, Any]) -> UserRecord:
    """Create a user with verified email addresses (the first one primary)."""
    addresses = [normalize_email(a) for a in params.get("email_address") or []]
    if len(set(addresses)) != len(addresses):
        raise ValidationError("An email address is listed twice.", param="email_address")
    if not addresses and not params.get("skip_user_requirement"):
        raise ValidationError(
            "email_address must contain at least one address.",
            param="email_address",
            code="form_param_missing",
        )
    fields = _profile_fields(params)
    digest = await password_digest_from(
        ctx, params, [*addresses, fields.get("first_name") or "", fields.get("last_name") or ""]
    )

    async def work(tx: Tx) -> UserRecord:
        await _check_unique(tx, "username", fields.get("username"), None)
        await _check_unique(tx, "external_id", fields.get("external_id"), None)
        user = await create_user(
            ctx,
            tx,
            email=addresses[0] if addresses else None,
            password_digest=digest,
            email_verified=True,
            verification_strategy="admin",
            **fields,
        )
        for address in addresses[1:]:
            await add_email(ctx, tx, user["id"], address, verified=True)
        await UserRepository(tx.conn).touch_search_text(user["id"])
        return await load_user(tx, user["id"])

    return await run_transaction(ctx, work)


async def add_email(
    ctx: ServerContext, tx: Tx, user_id: str, address: str, *, verified: bool
) -> Row:
    """Insert one more email address for a user; a taken address is a clear 422."""
    emails = EmailRepository(tx.conn)
    if await emails.by_address(address) is not None:
        raise IdentifierExistsError(param="email_address")
    now = ctx.now_ms()
    try:
        async with tx.conn.begin_nested():
            return await emails.insert(
                id=new_id("idn"),
                user_id=user_id,
                email_address=address,
                verified=verified,
                verification_strategy="admin" if verified else "email_code",
                created_at=now,
                updated_at=now,
            )
    except IntegrityError as exc:
        raise IdentifierExistsError(param="email_address") from exc


async def update_user_admin(
    ctx: ServerContext, user_id: str, params: Mapping[str, Any]
) -> UserRecord:
    """Change profile fields, the primary email, the password or (replacing) metadata."""
    fields = _profile_fields(params)
    current = await get_user(ctx, user_id)
    context = [e["email_address"] for e in current.emails]
    context += [fields.get("first_name") or current.user["first_name"] or ""]
    digest = await password_digest_from(ctx, params, context)

    async def work(tx: Tx) -> UserRecord:
        record = await load_user(tx, user_id)
        await _check_unique(tx, "username", fields.get("username"), user_id)
        await _check_unique(tx, "external_id", fields.get("external_id"), user_id)
        now = ctx.now_ms()
        changes = {**fields, "updated_at": now}
        primary = params.get("primary_email_address_id")
        if primary is not None:
            changes["primary_email_address_id"] = _primary_email(record, primary)
        if digest is not None:
            changes.update(password_digest=digest, password_updated_at=now)
        await UserRepository(tx.conn).update(user_id, **changes)
        if params.get("sign_out_of_other_sessions") and digest is not None:
            await revoke_user_sessions(ctx, tx, user_id)
        await UserRepository(tx.conn).touch_search_text(user_id)
        return await load_user(tx, user_id)

    return await run_transaction(ctx, work)


async def revoke_user_sessions(ctx: ServerContext, tx: Tx, user_id: str) -> None:
    """Revoke every active session of the user; their Clients move on to another session."""
    for session in await SessionRepository(tx.conn).for_user(user_id, status="active"):
        await set_session_status(ctx, tx, session["id"], "revoked")


def _primary_email(record: UserRecord, email_id: object) -> str:
    found = next((e for e in record.emails if e["id"] == email_id), None)
    if found is None:
        raise ValidationError(
            "primary_email_address_id is not one of this user's email addresses.",
            param="primary_email_address_id",
            code="form_param_value_invalid",
        )
    if not found["verified"]:
        raise ValidationError(
            "Only a verified email address can become the primary one.",
            param="primary_email_address_id",
            code="form_param_value_invalid",
        )
    return str(found["id"])


async def delete_user(ctx: ServerContext, user_id: str) -> str:
    """Delete the user with its emails, images, sessions and sign-in tokens."""

    async def work(tx: Tx) -> str:
        await require(UserRepository(tx.conn), user_id, "user", "user", "user_id")
        owned = sa.select(sessions.c.id).where(sessions.c.user_id == user_id)
        await tx.conn.execute(
            sa.update(clients)
            .where(clients.c.last_active_session_id.in_(owned))
            .values(last_active_session_id=None, updated_at=ctx.now_ms())
        )
        await UserRepository(tx.conn).delete(user_id)
        return user_id

    return await run_transaction(ctx, work)
