"""Whether a session still counts: active, not past its expiry, its user not banned; activity."""

from __future__ import annotations

from threshold.core.errors import NotFoundError, SignedOutError
from threshold.core.records.clients import Session, SessionStatus
from threshold.core.records.users import User
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.transaction import Tx
from threshold.store.repositories import SessionRepository, UserRepository

__all__ = [
    "activity_is_stale",
    "check_live",
    "live_session",
    "live_session_of_client",
    "record_activity",
    "signed_in_user",
]


async def live_session_of_client(
    ctx: ServerContext, tx: Tx, session_id: str, client_id: str | None
) -> tuple[Session, User]:
    """(session, user) of a live session (of this Client, when ``client_id`` is given)."""
    session = await SessionRepository(tx.conn).get(session_id)
    if session is None or (client_id is not None and session.client_id != client_id):
        raise NotFoundError("Session not found.", param="session_id")
    check_live(ctx, session)
    user = signed_in_user(await UserRepository(tx.conn).get(session.user_id))
    return session, user


def signed_in_user(user: User | None) -> User:
    """The session's user; :class:`SignedOutError` when it is gone or banned."""
    if user is None or user.banned:
        raise SignedOutError()
    return user


def check_live(ctx: ServerContext, session: Session) -> None:
    """Raise :class:`SignedOutError` unless active; a lapsed session is marked expired."""
    now = ctx.now_ms()
    if session.status != SessionStatus.ACTIVE:
        raise SignedOutError()
    if now >= session.expire_at or now >= session.abandon_at:
        error = SignedOutError()
        session_id = session.id

        async def mark_expired(tx: Tx) -> None:
            await SessionRepository(tx.conn).mark_expired(session_id, now)

        error.after_rollback = mark_expired
        raise error


async def live_session(ctx: ServerContext, tx: Tx, session_id: str) -> tuple[Session, User]:
    """(session, user) when the session is active and its user not banned, else
    :class:`SignedOutError` (404 when unknown). Expired sessions are marked so."""
    return await live_session_of_client(ctx, tx, session_id, None)


def activity_is_stale(ctx: ServerContext, session: Session) -> bool:
    return bool(ctx.now_ms() - session.last_active_at > 30_000)


async def record_activity(ctx: ServerContext, tx: Tx, session: Session) -> None:
    """Move ``last_active_at`` (and the idle expiry, when configured) to now."""
    now_ms = ctx.now_ms()
    idle = ctx.settings.session_idle_timeout
    expire_at = min(session.abandon_at, now_ms + idle * 1000) if idle else None
    await SessionRepository(tx.conn).record_activity(session.id, now_ms, expire_at)
