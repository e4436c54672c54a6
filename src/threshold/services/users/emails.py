"""Email addresses through the Backend API: create, get, update, delete."""

from __future__ import annotations

from dataclasses import dataclass, replace

from threshold.core.errors import ValidationError
from threshold.core.records.users import EmailAddress
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.fields import require
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.services.users.creation import normalize_email
from threshold.services.users.directory import add_email, load_user
from threshold.store.repositories import EmailRepository, UserRepository

__all__ = ["EmailChange", "create_email", "delete_email", "get_email", "update_email"]


@dataclass(frozen=True, slots=True)
class EmailChange:
    """What to set on an email address; None leaves a field as it is."""

    verified: bool | None = None
    primary: bool | None = None


async def _load(tx: Tx, email_id: str) -> EmailAddress:
    return await require(
        EmailRepository(tx.conn), email_id, "idn", "email address", "email_address_id"
    )


async def get_email(ctx: ServerContext, email_id: str) -> EmailAddress:
    """One email address."""
    return await run_transaction(ctx, lambda tx: _load(tx, email_id), readonly=True)


async def _apply(
    ctx: ServerContext, tx: Tx, email: EmailAddress, change: EmailChange
) -> EmailAddress:
    now = ctx.now_ms()
    user = (await load_user(tx, email.user_id)).user
    is_primary = user.primary_email_address_id == email.id
    verified = email.verified if change.verified is None else change.verified
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
    if verified != email.verified:
        strategy = "admin" if verified else "email_code"
        email = await EmailRepository(tx.conn).update(
            email,
            replace(email, verified=verified, verification_strategy=strategy, updated_at=now),
        )
    if change.primary and not is_primary:
        await UserRepository(tx.conn).update(
            user, replace(user, primary_email_address_id=email.id, updated_at=now)
        )
    return email


async def create_email(
    ctx: ServerContext, user_id: str, address: str, change: EmailChange
) -> EmailAddress:
    """Add an address to a user (unverified unless ``verified``); the first one is primary."""
    normalized = normalize_email(address)

    async def work(tx: Tx) -> EmailAddress:
        view = await load_user(tx, user_id)
        verified = bool(change.verified)
        email = await add_email(ctx, tx, user_id, normalized, verified=verified)
        first = view.user.primary_email_address_id is None
        primary = change.primary if change.primary is not None else (first and verified)
        email = await _apply(ctx, tx, email, EmailChange(verified=verified, primary=primary))
        await UserRepository(tx.conn).refresh_search_text(user_id)
        return email

    return await run_transaction(ctx, work)


async def update_email(ctx: ServerContext, email_id: str, change: EmailChange) -> EmailAddress:
    """Mark verified or not, or make primary (only verified addresses can be primary)."""

    async def work(tx: Tx) -> EmailAddress:
        return await _apply(ctx, tx, await _load(tx, email_id), change)

    return await run_transaction(ctx, work)


async def delete_email(ctx: ServerContext, email_id: str) -> str:
    """Delete an address; the primary one cannot go (make another primary first)."""

    async def work(tx: Tx) -> str:
        email = await _load(tx, email_id)
        user = (await load_user(tx, email.user_id)).user
        if user.primary_email_address_id == email.id:
            raise ValidationError(
                "The primary email address cannot be deleted. Make another one primary first.",
                param="email_address_id",
                code="form_param_value_invalid",
            )
        await EmailRepository(tx.conn).delete(email_id)
        users = UserRepository(tx.conn)
        await users.update(user, replace(user, updated_at=ctx.now_ms()))
        await users.refresh_search_text(user.id)
        return email_id

    return await run_transaction(ctx, work)
