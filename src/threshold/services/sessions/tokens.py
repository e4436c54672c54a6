"""Minting session tokens: for a Client's session, the browser's refresh, the Backend API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from threshold.core.errors import NotFoundError, SignedOutError
from threshold.core.records.clients import Session
from threshold.core.records.users import User
from threshold.core.tokens import CAT_SESSION, session_claims
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import client_digest
from threshold.services.runtime.transaction import Tx
from threshold.services.sessions.liveness import (
    activity_is_stale,
    check_live,
    live_session_of_client,
    record_activity,
    signed_in_user,
)
from threshold.store.repositories.clients import session_for_refresh

__all__ = ["mint_for_refresh", "mint_for_session", "mint_session_token"]


async def mint_session_token(
    ctx: ServerContext,
    tx: Tx,
    session_id: str,
    *,
    client_id: str | None,
    origin: str | None,
    lifetime: int | None = None,
    extra_claims: Mapping[str, Any] | None = None,
) -> str:
    """A fresh session JWT for an active session (optionally checked to belong to a client).

    Records activity on the session at most every 30 s.
    """
    session, user = await live_session_of_client(ctx, tx, session_id, client_id)
    return await mint_for_session(
        ctx, tx, session, user, origin=origin, lifetime=lifetime, extra_claims=extra_claims
    )


async def mint_for_session(
    ctx: ServerContext,
    tx: Tx,
    session: Session,
    user: User | None,
    *,
    origin: str | None,
    lifetime: int | None = None,
    extra_claims: Mapping[str, Any] | None = None,
) -> str:
    """:func:`mint_session_token` for a session and its user already read in this
    transaction (the Client's view has both at hand): checked the same way."""
    check_live(ctx, session)
    signed_in_user(user)
    if activity_is_stale(ctx, session):
        await record_activity(ctx, tx, session)
    return await _sign(ctx, session, origin=origin, lifetime=lifetime, extra=extra_claims)


async def mint_for_refresh(
    ctx: ServerContext,
    session_id: str,
    *,
    client_token: str | None,
    origin: str | None,
) -> tuple[str, Session | None]:
    """The browser's token refresh, read-only: (token, session to record activity on).

    Token refreshes are the busiest path: one point read finds the Client by its token
    and the session with its user's ban flag (on SQLite without leaving the event loop,
    see :class:`~threshold.store.point_reads.PointRead`), and the caller records
    activity in a separate short write only when it is stale, so refreshes never queue
    on a write lock.
    """
    digest = client_digest(client_token)
    if digest is None:
        raise SignedOutError()
    read = await session_for_refresh(ctx.db, session_id=session_id, client_digest=digest)
    if read is None:
        raise SignedOutError()
    session = read.session
    if session is None:
        raise NotFoundError("Session not found.", param="session_id")
    check_live(ctx, session)
    if read.user_banned:
        raise SignedOutError()
    jwt = await _sign(ctx, session, origin=origin, lifetime=None, extra=None)
    return jwt, session if activity_is_stale(ctx, session) else None


async def _sign(
    ctx: ServerContext,
    session: Session,
    *,
    origin: str | None,
    lifetime: int | None,
    extra: Mapping[str, Any] | None,
) -> str:
    await ctx.keyring.maybe_refresh()
    now_s = ctx.now_s()
    claims = session_claims(
        user_id=session.user_id,
        session_id=session.id,
        issuer=ctx.issuer,
        now=now_s,
        lifetime=lifetime or ctx.settings.session_token_lifetime,
        azp=origin,
        first_factor_age_minutes=max(0, (now_s * 1000 - session.factor_verified_at) // 60_000),
        actor=session.actor,
    )
    if extra:
        claims = {**extra, **claims}
    return ctx.keyring.sign(claims, headers={"cat": CAT_SESSION})
