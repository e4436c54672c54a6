"""Clients and sessions: create, rotate, touch, end, and mint session tokens."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from threshold.core.codes import token_digest
from threshold.core.errors import NotFoundError, SignedOutError
from threshold.core.ids import new_id, random_token
from threshold.core.tokens import CAT_SESSION, session_claims
from threshold.services.audit import audit
from threshold.services.context import ServerContext
from threshold.services.flow import ClientState
from threshold.store.repositories import ClientRepository, SessionRepository, UserRepository
from threshold.store.repositories._base import Row
from threshold.store.repositories.clients import SESSION_FOR_REFRESH

__all__ = [
    "client_uat",
    "create_session",
    "end_client_sessions",
    "ensure_client",
    "live_session",
    "load_client",
    "mint_for_refresh",
    "mint_for_session",
    "mint_session_token",
    "record_activity",
    "rotate_client_token",
    "set_session_status",
    "touch_session",
]

LIVE = "active"


def _client_digest(token: str | None) -> str | None:
    """The stored digest of a ``__client`` cookie value; None for one no Client can have."""
    if not token or len(token) > 200:
        return None
    return token_digest(token)


async def load_client(conn: AsyncConnection, token: str | None) -> Row | None:
    """The live Client whose ``__client`` cookie value is ``token``."""
    digest = _client_digest(token)
    return None if digest is None else await ClientRepository(conn).by_token_digest(digest)


async def ensure_client(ctx: ServerContext, conn: AsyncConnection, state: ClientState) -> Row:
    """The request's Client, created (with a fresh token) when it has none."""
    if state.client is not None:
        return state.client
    token = random_token(32)
    now = ctx.now_ms()
    state.client = await ClientRepository(conn).insert(
        id=new_id("client"),
        token_digest=token_digest(token),
        last_active_session_id=None,
        sign_in_id=None,
        sign_up_id=None,
        ended=False,
        created_at=now,
        updated_at=now,
    )
    state.new_token = token
    return state.client


async def rotate_client_token(
    ctx: ServerContext, conn: AsyncConnection, state: ClientState, **changes: Any
) -> None:
    """Give the Client a new secret (no fixation) and apply ``changes``; bumps updated_at."""
    assert state.client is not None
    token = random_token(32)
    values = {"token_digest": token_digest(token), "updated_at": ctx.now_ms(), **changes}
    await ClientRepository(conn).update(state.client["id"], **values)
    state.client = {**state.client, **values}
    state.new_token = token


async def create_session(
    ctx: ServerContext,
    conn: AsyncConnection,
    state: ClientState,
    user: Row,
    *,
    user_changes: Mapping[str, Any] | None = None,
) -> Row:
    """A new active session for ``user`` on the request's Client; it becomes the active one.

    Signing in rotates the client token. A user already signed in on this Client gets
    that session back instead of a second one. ``user_changes`` are written to the user
    with its sign-in time, in the same statement.
    """
    client = await ensure_client(ctx, conn, state)
    sessions = SessionRepository(conn)
    now = ctx.now_ms()
    for existing in await sessions.for_client(client["id"]):
        if existing["user_id"] == user["id"]:
            if user_changes:
                await UserRepository(conn).update(user["id"], **user_changes)
            await rotate_client_token(ctx, conn, state, last_active_session_id=existing["id"])
            return existing
    settings = ctx.settings
    abandon_at = now + settings.session_max_age * 1000
    idle = settings.session_idle_timeout
    session = await sessions.insert(
        id=new_id("sess"),
        client_id=client["id"],
        user_id=user["id"],
        status=LIVE,
        last_active_at=now,
        expire_at=min(abandon_at, now + idle * 1000) if idle else abandon_at,
        abandon_at=abandon_at,
        factor_verified_at=now,
        user_agent=(state.user_agent or "")[:512] or None,
        ip_address=state.ip,
        actor=None,
        created_at=now,
        updated_at=now,
    )
    await UserRepository(conn).update(
        user["id"], last_sign_in_at=now, last_active_at=now, **(user_changes or {})
    )
    await rotate_client_token(
        ctx, conn, state, last_active_session_id=session["id"], sign_in_id=None, sign_up_id=None
    )
    return session


def client_uat(ctx: ServerContext, client: Row | None, has_session: bool) -> int:
    """The ``__client_uat`` value: client.updated_at in seconds when signed in, else 0."""
    if client is None or not has_session:
        return 0
    return int(client["updated_at"] // 1000)


async def _live_session(
    ctx: ServerContext, conn: AsyncConnection, session_id: str, client_id: str | None
) -> tuple[Row, Row]:
    session = await SessionRepository(conn).get(session_id)
    if session is None or (client_id is not None and session["client_id"] != client_id):
        raise NotFoundError("Session not found.", param="session_id")
    _check_live(ctx, session)
    user = _signed_in_user(await UserRepository(conn).get(session["user_id"]))
    return session, user


def _signed_in_user(user: Row | None) -> Row:
    """The session's user; :class:`SignedOutError` when it is gone or banned."""
    if user is None or user["banned"]:
        raise SignedOutError()
    return user


def _check_live(ctx: ServerContext, session: Row) -> None:
    """Raise :class:`SignedOutError` unless active; a lapsed session is marked expired."""
    now = ctx.now_ms()
    session_id = session["id"]
    if session["status"] == LIVE and (now >= session["expire_at"] or now >= session["abandon_at"]):
        error = SignedOutError()

        async def mark_expired(c: AsyncConnection) -> None:
            await SessionRepository(c).update(session_id, status="expired", updated_at=now)

        error.after_rollback = mark_expired
        raise error
    if session["status"] != LIVE:
        raise SignedOutError()


async def live_session(
    ctx: ServerContext, conn: AsyncConnection, session_id: str
) -> tuple[Row, Row]:
    """(session, user) when the session is active and its user not banned, else
    :class:`SignedOutError` (404 when unknown). Expired sessions are marked so."""
    return await _live_session(ctx, conn, session_id, None)


async def mint_session_token(
    ctx: ServerContext,
    conn: AsyncConnection,
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
    session, user = await _live_session(ctx, conn, session_id, client_id)
    return await mint_for_session(
        ctx, conn, session, user, origin=origin, lifetime=lifetime, extra_claims=extra_claims
    )


async def mint_for_session(
    ctx: ServerContext,
    conn: AsyncConnection,
    session: Row,
    user: Row | None,
    *,
    origin: str | None,
    lifetime: int | None = None,
    extra_claims: Mapping[str, Any] | None = None,
) -> str:
    """:func:`mint_session_token` for a session and its user already read in this
    transaction (the Client's JSON has both at hand): checked the same way."""
    _check_live(ctx, session)
    _signed_in_user(user)
    if activity_is_stale(ctx, session):
        await record_activity(ctx, conn, session)
    return await _sign(ctx, session, origin=origin, lifetime=lifetime, extra=extra_claims)


async def mint_for_refresh(
    ctx: ServerContext,
    session_id: str,
    *,
    client_token: str | None,
    origin: str | None,
) -> tuple[str, Row | None]:
    """The browser's token refresh, read-only: (token, session to record activity on).

    Token refreshes are the busiest path: one point read finds the Client by its token
    and the session with its user's ban flag (on SQLite without leaving the event loop,
    see :class:`~threshold.store.point_reads.PointRead`), and the caller records
    activity in a separate short write only when it is stale, so refreshes never queue
    on a write lock.
    """
    digest = _client_digest(client_token)
    if digest is None:
        raise SignedOutError()
    session = await ctx.db.point_read(
        SESSION_FOR_REFRESH, session_id=session_id, client_digest=digest
    )
    if session is None:
        raise SignedOutError()
    if session["id"] is None:
        raise NotFoundError("Session not found.", param="session_id")
    _check_live(ctx, session)
    if session.pop("user_banned"):
        raise SignedOutError()
    jwt = await _sign(ctx, session, origin=origin, lifetime=None, extra=None)
    return jwt, session if activity_is_stale(ctx, session) else None


def activity_is_stale(ctx: ServerContext, session: Row) -> bool:
    return bool(ctx.now_ms() - session["last_active_at"] > 30_000)


async def record_activity(ctx: ServerContext, conn: AsyncConnection, session: Row) -> None:
    """Move ``last_active_at`` (and the idle expiry, when configured) to now."""
    now_ms = ctx.now_ms()
    changes: dict[str, Any] = {"last_active_at": now_ms}
    idle = ctx.settings.session_idle_timeout
    if idle:
        changes["expire_at"] = min(session["abandon_at"], now_ms + idle * 1000)
    await SessionRepository(conn).update(session["id"], **changes)


async def _sign(
    ctx: ServerContext,
    session: Row,
    *,
    origin: str | None,
    lifetime: int | None,
    extra: Mapping[str, Any] | None,
) -> str:
    await ctx.keyring.maybe_refresh()
    now_s = ctx.now_s()
    claims = session_claims(
        user_id=session["user_id"],
        session_id=session["id"],
        issuer=ctx.issuer,
        now=now_s,
        lifetime=lifetime or ctx.settings.session_token_lifetime,
        azp=origin,
        first_factor_age_minutes=max(0, (now_s * 1000 - session["factor_verified_at"]) // 60_000),
        actor=session.get("actor"),
    )
    if extra:
        claims = {**extra, **claims}
    return ctx.keyring.sign(claims, headers={"cat": CAT_SESSION})


async def touch_session(
    ctx: ServerContext, conn: AsyncConnection, state: ClientState, session_id: str
) -> Row:
    """Make ``session_id`` the Client's active session (switch account)."""
    assert state.client is not None
    session, _ = await _live_session(ctx, conn, session_id, state.client["id"])
    now = ctx.now_ms()
    await SessionRepository(conn).update(session_id, last_active_at=now, updated_at=now)
    if state.client["last_active_session_id"] != session_id:
        await ClientRepository(conn).update(
            state.client["id"], last_active_session_id=session_id, updated_at=now
        )
        state.client = {**state.client, "last_active_session_id": session_id, "updated_at": now}
    return {**session, "last_active_at": now, "updated_at": now}


async def set_session_status(
    ctx: ServerContext,
    conn: AsyncConnection,
    session_id: str,
    status: str,
    *,
    client_id: str | None = None,
) -> Row:
    """End, remove or revoke one session; the Client's active session moves on if needed."""
    sessions = SessionRepository(conn)
    session = await sessions.get(session_id)
    if session is None or (client_id is not None and session["client_id"] != client_id):
        raise NotFoundError("Session not found.", param="session_id")
    now = ctx.now_ms()
    if session["status"] == LIVE:
        await sessions.update(session_id, status=status, updated_at=now)
        session = {**session, "status": status, "updated_at": now}
    clients = ClientRepository(conn)
    client = await clients.get(session["client_id"])
    if client is not None and client["last_active_session_id"] == session_id:
        rest = await sessions.for_client(client["id"])
        await clients.update(
            client["id"], updated_at=now, last_active_session_id=rest[-1]["id"] if rest else None
        )
    return session


async def end_client_sessions(
    ctx: ServerContext, conn: AsyncConnection, state: ClientState
) -> None:
    """Sign out of every session on this Client and rotate its secret."""
    if state.client is None:
        return
    sessions = SessionRepository(conn)
    now = ctx.now_ms()
    for session in await sessions.for_client(state.client["id"]):
        await sessions.update(session["id"], status="ended", updated_at=now)
        audit(
            "session.ended",
            session_id=session["id"],
            user_id=session["user_id"],
            by=state,
        )
    await rotate_client_token(ctx, conn, state, last_active_session_id=None)
