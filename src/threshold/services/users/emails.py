"""Email addresses through the Backend API: create, get, update, delete."""

from __future__ import annotations

from dataclasses import dataclass

from threshold.core.errors import ValidationError
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.fields import require
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.services.users.creation import normalize_email
from threshold.services.users.directory import add_email, load_user
from threshold.store.repositories import EmailRepository, UserRepository
from threshold.store.repositories._base import Row

__all__ = ["EmailChange", "create_email", "delete_email", "get_email", "update_email"]


@dataclass(frozen=True, slots=True)
class EmailChange:
    """What to set on an email address; None leaves a field as it is."""

    verified: bool | None = None
    primary: bool | None = None


async def _load(tx: Tx, email_id: str) -> Row:
    return await require(
        EmailRepository(tx.conn), email_id, "idn", "email address", "email_address_id"
    )


async def get_email(ctx: ServerContext, email_id: str) -> Row:
    """One email address."""
    return await run_transaction(ctx, lambda tx: _load(tx, email_id), readonly=True)


async def _apply(ctx: ServerContext, tx: Tx, row: Row, change: EmailChange) -> Row:
    now = ctx.now_ms()
    user = (await load_user(tx, row["user_id"])).user
    is_primary = user["primary_email_address_id"] == row["id"]
    verified = row["verified"] if change.verified is None else change.verified
    if change.primary is False and is_primary:
        raise ValidationError(
            "Make another email address primary instead.",
            param="primary",
            code="form_param_value_invalid",
        )
    if (change.primary or is_primary) and not verified:
        raise ValidationError(
            "The primary email address must be verified.",
            param="primary" if change.primary else "verified",
            code="form_param_value_invalid",
        )
    if verified != row["verified"]:
        strategy = "admin" if verified else "email_code"
        await EmailRepository(tx.conn).update(
            row["id"], verified=verified, verification_strategy=strategy, updated_at=now
        )
        row = {**row, "verified": verified, "verification_strategy": strategy, "updated_at": now}
    if change.primary and not is_primary:
        await UserRepository(tx.conn).update(
            row["user_id"], primary_email_address_id=row["id"], updated_at=now
        )
    return row


async def create_email(
    ctx: ServerContext, user_id: str, address: object, change: EmailChange
) -> Row:
    """Add an address to a user (unverified unless ``verified``); the first one is primary."""
    normalized = normalize_email(address)

    async def work(tx: Tx) -> Row:
        record = await load_user(tx, user_id)
        verified = bool(change.verified)
        row = await add_email(ctx, tx, user_id, normalized, verified=verified)
        first = record.user["primary_email_address_id"] is None
        primary = change.primary if change.primary is not None else (first and verified)
        row = await _apply(ctx, tx, row, EmailChange(verified=verified, primary=primary))
        await UserRepository(tx.conn).touch_search_text(user_id)
        return row

    return await run_transaction(ctx, work)


async def update_email(ctx: ServerContext, email_id: str, change: EmailChange) -> Row:
    """Mark verified or not, or make primary (only verified addresses can be primary)."""

    async def work(tx: Tx) -> Row:
        return await _apply(ctx, tx, await _load(tx, email_id), change)

    return await run_transaction(ctx, work)


async def delete_email(ctx: ServerContext, email_id: str) -> str:
    """Delete an address; the primary one cannot go (make another primary first)."""

    async def work(tx: Tx) -> str:
        row = await _load(tx, email_id)
        user = (await load_user(tx, row["user_id"])).user
        if user["primary_email_address_id"] == row["id"]:
            raise ValidationError(
                "The primary email address cannot be deleted. Make another one primary first.",
                param="email_address_id",
                code="form_param_value_invalid",
            )
        await EmailRepository(tx.conn).delete(email_id)
        await UserRepository(tx.conn).update(row["user_id"], updated_at=ctx.now_ms())
        await UserRepository(tx.conn).touch_search_text(row["user_id"])
        return email_id

    return await run_transaction(ctx, work)
