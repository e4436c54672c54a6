"""Sign-up: email + password (names optional), then a 6-digit email code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from threshold.core.codes import token_digest
from threshold.core.errors import IdentifierExistsError, NotFoundError, ValidationError
from threshold.core.ids import new_id
from threshold.services.codes import check_code, issue_code
from threshold.services.context import ServerContext
from threshold.services.flow import ClientState, Limit, run_flow
from threshold.services.sessions import create_session, ensure_client
from threshold.services.users import (
    check_identifier_allowed,
    create_user,
    hash_new_password,
    normalize_email,
)
from threshold.store.repositories import ClientRepository, EmailRepository, SignUpRepository
from threshold.store.repositories._base import Row
from threshold.store.tables import invitations

__all__ = ["attempt_verification", "create_sign_up", "get_sign_up", "prepare_verification"]

_NAME_MAX = 255


def _name(params: Mapping[str, Any], key: str) -> str | None:
    value = params.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{key} must be a string.", param=key)
    if len(value) > _NAME_MAX:
        raise ValidationError(f"{key} must be at most {_NAME_MAX} characters.", param=key)
    return value.strip() or None


async def _invitation(conn: AsyncConnection, ticket: object, now_ms: int = 0) -> Row | None:
    if ticket is None or ticket == "":
        return None
    if not isinstance(ticket, str):
        raise ValidationError("ticket must be a string.", param="ticket")
    row = (
        (
            await conn.execute(
                sa.select(invitations).where(invitations.c.ticket_digest == token_digest(ticket))
            )
        )
        .mappings()
        .first()
    )
    expired = row is not None and row["expires_at"] is not None and row["expires_at"] <= now_ms
    if row is None or row["status"] != "pending" or expired:
        raise ValidationError(
            "This invitation is invalid or was already used.", param="ticket", code="ticket_invalid"
        )
    return dict(row)


async def create_sign_up(ctx: ServerContext, state: ClientState, params: Mapping[str, Any]) -> Row:
    """Start a sign-up. The password is checked and hashed before the transaction."""
    email = (
        normalize_email(params.get("email_address"))
        if params.get("email_address") or not params.get("ticket")
        else None
    )
    first, last = _name(params, "first_name"), _name(params, "last_name")
    digest = None
    if params.get("password") not in (None, ""):
        context = [e for e in (email, first, last) if e]
        digest = await hash_new_password(ctx, params.get("password"), context)
    unsafe = params.get("unsafe_metadata") or {}
    if not isinstance(unsafe, dict):
        raise ValidationError("unsafe_metadata must be an object.", param="unsafe_metadata")

    async def flow(conn: AsyncConnection) -> Row:
        invitation = await _invitation(conn, params.get("ticket"), ctx.now_ms())
        address = invitation["email_address"] if invitation else email
        if address is None:
            raise ValidationError(
                "Enter an email address.", param="email_address", code="form_param_missing"
            )
        if invitation is None:
            await check_identifier_allowed(conn, address)
        if await EmailRepository(conn).by_address(address) is not None:
            raise IdentifierExistsError(param="email_address")
        client = await ensure_client(ctx, conn, state)
        now = ctx.now_ms()
        row = await SignUpRepository(conn).insert(
            id=new_id("sua"),
            client_id=client["id"],
            email_address=address,
            email_verified=invitation is not None,
            first_name=first,
            last_name=last,
            username=None,
            password_digest=digest,
            unsafe_metadata=unsafe,
            invitation_id=invitation["id"] if invitation else None,
            status="missing_requirements",
            created_user_id=None,
            created_session_id=None,
            abandon_at=now + 24 * 3_600_000,
            created_at=now,
            updated_at=now,
        )
        await ClientRepository(conn).update(client["id"], sign_up_id=row["id"], updated_at=now)
        return await _maybe_complete(ctx, conn, state, row)

    limits = (Limit(f"signup:ip:{state.ip}", ctx.settings.ip_attempts_per_minute),)
    return await run_flow(ctx, flow, limits=limits, state=state)


async def _load(conn: AsyncConnection, state: ClientState, sign_up_id: str) -> Row:
    row = await SignUpRepository(conn).get(sign_up_id)
    if row is None or state.client is None or row["client_id"] != state.client["id"]:
        raise NotFoundError("Sign-up not found.", param="sign_up_id")
    return row


async def get_sign_up(ctx: ServerContext, state: ClientState, sign_up_id: str) -> Row:
    async def flow(conn: AsyncConnection) -> Row:
        return await _load(conn, state, sign_up_id)

    return await run_flow(ctx, flow, state=state)


async def prepare_verification(
    ctx: ServerContext, state: ClientState, sign_up_id: str, strategy: object
) -> Row:
    """Send the sign-up's email code."""
    if strategy not in ("email_code", None, ""):
        raise ValidationError(
            "Only the email_code strategy is supported.",
            param="strategy",
            code="form_param_value_invalid",
        )

    async def flow(conn: AsyncConnection) -> Row:
        row = await _load(conn, state, sign_up_id)
        if row["status"] != "missing_requirements" or row["email_verified"]:
            return row
        await issue_code(
            ctx, conn, state, purpose="sign_up", subject_id=row["id"], target=row["email_address"]
        )
        return row

    limits = (Limit(f"code:ip:{state.ip}", ctx.settings.ip_attempts_per_minute),)
    return await run_flow(ctx, flow, limits=limits, state=state)


async def attempt_verification(
    ctx: ServerContext, state: ClientState, sign_up_id: str, code: object
) -> Row:
    """Check the code; when every requirement is met, create the user and a session."""

    async def flow(conn: AsyncConnection) -> Row:
        row = await _load(conn, state, sign_up_id)
        if row["status"] == "complete":
            raise ValidationError(
                "This sign-up is already complete.",
                param="code",
                code="verification_already_verified",
            )
        await check_code(ctx, conn, purpose="sign_up", subject_id=row["id"], code=code)
        now = ctx.now_ms()
        await SignUpRepository(conn).update(row["id"], email_verified=True, updated_at=now)
        return await _maybe_complete(ctx, conn, state, {**row, "email_verified": True})

    limits = (
        Limit(f"code:ip:{state.ip}", ctx.settings.ip_attempts_per_minute),
        Limit(f"code:sua:{sign_up_id}", 10),
    )
    return await run_flow(ctx, flow, limits=limits, state=state)


async def _maybe_complete(
    ctx: ServerContext, conn: AsyncConnection, state: ClientState, row: Row
) -> Row:
    if not (row["email_verified"] and row["password_digest"]):
        return row
    public_metadata: dict[str, Any] = {}
    if row["invitation_id"]:
        found = await conn.execute(
            sa.select(invitations.c.public_metadata).where(invitations.c.id == row["invitation_id"])
        )
        public_metadata = found.scalar_one_or_none() or {}
    user = await create_user(
        ctx,
        conn,
        email=row["email_address"],
        password_digest=row["password_digest"],
        email_verified=True,
        verification_strategy="ticket" if row["invitation_id"] else "email_code",
        first_name=row["first_name"],
        last_name=row["last_name"],
        unsafe_metadata=row["unsafe_metadata"] or {},
        public_metadata=public_metadata,
    )
    if row["invitation_id"]:
        await conn.execute(
            sa.update(invitations)
            .where(invitations.c.id == row["invitation_id"])
            .values(status="accepted", updated_at=ctx.now_ms())
        )
    session = await create_session(ctx, conn, state, user)
    changes = {
        "status": "complete",
        "created_user_id": user["id"],
        "created_session_id": session["id"],
        "updated_at": ctx.now_ms(),
    }
    await SignUpRepository(conn).update(row["id"], **changes)
    return {**row, **changes}
