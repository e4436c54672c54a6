"""Sessions: created at sign-in, switched between, ended, removed and revoked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from threshold.core.errors import NotFoundError
from threshold.core.ids import new_id
from threshold.core.records.clients import Session, SessionStatus
from threshold.core.records.users import User
from threshold.services.infra.audit import audit
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import ClientState
from threshold.services.runtime.transaction import Tx
from threshold.services.sessions.clients import ensure_client, rotate_client_token, update_client
from threshold.services.sessions.liveness import live_session_of_client
from threshold.store.repositories import ClientRepository, SessionRepository, UserRepository

__all__ = ["create_session", "end_client_sessions", "set_session_status", "touch_session"]


async def create_session(
    ctx: ServerContext,
    tx: Tx,
    state: ClientState,
    user: User,
    *,
    user_changes: Mapping[str, Any] | None = None,
) -> Session:
    """A new active session for ``user`` (read in this transaction) on the request's
    Client; it becomes the active one.

    Signing in rotates the client token. A user already signed in on this Client gets
    that session back instead of a second one. ``user_changes`` (fields of the user) are
    written to the user with its sign-in time, in the same statement.
    """
    client = await ensure_client(ctx, tx, state)
    sessions = SessionRepository(tx.conn)
    users = UserRepository(tx.conn)
    now = ctx.now_ms()
    for existing in await sessions.for_client(client.id):
        if existing.user_id == user.id:
            if user_changes:
                await users.update(user, replace(user, **user_changes))
            await rotate_client_token(ctx, tx, state, last_active_session_id=existing.id)
            return existing
    settings = ctx.settings
    abandon_at = now + settings.session_max_age * 1000
    idle = settings.session_idle_timeout
    session = await sessions.insert(
        Session(
            id=new_id("sess"),
            client_id=client.id,
            user_id=user.id,
            status=SessionStatus.ACTIVE,
            last_active_at=now,
            expire_at=min(abandon_at, now + idle * 1000) if idle else abandon_at,
            abandon_at=abandon_at,
            factor_verified_at=now,
            user_agent=(state.user_agent or "")[:512] or None,
            ip_address=state.ip,
            created_at=now,
            updated_at=now,
        )
    )
    signed_in = replace(user, last_sign_in_at=now, last_active_at=now, **(user_changes or {}))
    await users.update(user, signed_in)
    await rotate_client_token(ctx, tx, state, last_active_session_id=session.id, end_attempts=True)
    return session


async def touch_session(ctx: ServerContext, tx: Tx, state: ClientState, session_id: str) -> Session:
    """Make ``session_id`` the Client's active session (switch account)."""
    assert state.client is not None
    client = state.client
    session, _ = await live_session_of_client(ctx, tx, session_id, client.id)
    now = ctx.now_ms()
    touched = replace(session, last_active_at=now, updated_at=now)
    await SessionRepository(tx.conn).update(session, touched)
    if client.last_active_session_id != session_id:
        await update_client(
            tx, state, replace(client, last_active_session_id=session_id, updated_at=now)
        )
    return touched


async def set_session_status(
    ctx: ServerContext,
    tx: Tx,
    session_id: str,
    status: SessionStatus,
    *,
    client_id: str | None = None,
    state: ClientState | None = None,
) -> Session:
    """End, remove or revoke one session (of Client ``client_id``, when given); the Client's
    active session moves on if needed. With the request's ``state``, its Client is kept
    in step when it is the session's."""
    sessions = SessionRepository(tx.conn)
    session = await sessions.get(session_id)
    if session is None or (client_id is not None and session.client_id != client_id):
        raise NotFoundError("Session not found.", param="session_id")
    now = ctx.now_ms()
    if session.status == SessionStatus.ACTIVE:
        session = await sessions.update(session, replace(session, status=status, updated_at=now))
    mine = state.client if state is not None else None
    client = mine if mine is not None and mine.id == session.client_id else None
    if client is None:
        client = await ClientRepository(tx.conn).get(session.client_id)
    if client is not None and client.last_active_session_id == session_id:
        rest = await sessions.for_client(client.id)
        moved = replace(
            client, updated_at=now, last_active_session_id=rest[-1].id if rest else None
        )
        if state is not None and client is mine:
            await update_client(tx, state, moved)
        else:
            await ClientRepository(tx.conn).update(client, moved)
    return session


async def end_client_sessions(ctx: ServerContext, tx: Tx, state: ClientState) -> None:
    """Sign out of every session on this Client and rotate its secret."""
    if state.client is None:
        return
    sessions = SessionRepository(tx.conn)
    now = ctx.now_ms()
    for session in await sessions.for_client(state.client.id):
        await sessions.update(session, replace(session, status=SessionStatus.ENDED, updated_at=now))
        audit("session.ended", session_id=session.id, user_id=session.user_id, by=state)
    await rotate_client_token(ctx, tx, state, last_active_session_id=None)
