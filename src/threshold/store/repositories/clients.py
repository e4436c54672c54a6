"""Clients (one per browser) and their sessions, and the token refresh's one read."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from threshold.core.records.clients import Client, Session, SessionStatus
from threshold.core.records.listing import Listed, Page
from threshold.store.db import Database
from threshold.store.point_reads import PointRead
from threshold.store.repositories._base import Repository
from threshold.store.repositories.listing import Condition
from threshold.store.tables import clients, sessions, users

__all__ = [
    "SESSION_FOR_REFRESH",
    "ClientRepository",
    "RefreshRead",
    "SessionRepository",
    "session_for_refresh",
]

SESSION_FOR_REFRESH = PointRead(
    sa.select(sessions, users.c.banned.label("user_banned"))
    .select_from(clients)
    .outerjoin(
        sessions,
        (sessions.c.client_id == clients.c.id) & (sessions.c.id == sa.bindparam("session_id")),
    )
    .outerjoin(users, users.c.id == sessions.c.user_id)
    .where(clients.c.token_digest == sa.bindparam("client_digest"), clients.c.ended.is_(False))
)
"""A token refresh's one read, by the client token's digest and the session id.

No row when no live Client has that token. Otherwise the session's columns with its
user's ``user_banned`` flag, all None when the Client has no such session.
"""


@dataclass(frozen=True, slots=True)
class RefreshRead:
    """What a token refresh learns: the Client's session (None when it has no such
    session) and whether that session's user is banned."""

    session: Session | None
    user_banned: bool


async def session_for_refresh(
    db: Database, *, session_id: str, client_digest: str
) -> RefreshRead | None:
    """Read :data:`SESSION_FOR_REFRESH` (a point read); None when no live Client has the
    token of that digest."""
    row = await db.point_read(
        SESSION_FOR_REFRESH, session_id=session_id, client_digest=client_digest
    )
    if row is None:
        return None
    if row["id"] is None:
        return RefreshRead(None, False)
    # The busiest read: the row (the point read's own dict) becomes the record's
    # arguments as it is, its columns being the Session's fields.
    banned = bool(row.pop("user_banned"))
    row["status"] = _SESSION_STATUS[row["status"]]
    return RefreshRead(Session(**row), banned)


_SESSION_STATUS = {status.value: status for status in SessionStatus}

_LIVE_CLIENT_BY_DIGEST = sa.select(clients).where(
    clients.c.token_digest == sa.bindparam("digest"), clients.c.ended.is_(False)
)
_SESSIONS_OF_CLIENT = (
    sa.select(sessions)
    .where(sessions.c.client_id == sa.bindparam("client_id"))
    .order_by(sessions.c.created_at, sessions.c.id)
)
_LIVE_SESSIONS_OF_CLIENT = _SESSIONS_OF_CLIENT.where(sessions.c.status == "active")


class ClientRepository(Repository[Client]):
    table = clients
    record = Client

    async def by_token_digest(self, digest: str) -> Client | None:
        """The live (not ended) Client whose ``__client`` token has this digest."""
        return await self._one(_LIVE_CLIENT_BY_DIGEST, {"digest": digest})


class SessionRepository(Repository[Session]):
    table = sessions
    record = Session

    async def for_client(self, client_id: str, *, live_only: bool = True) -> list[Session]:
        """The Client's sessions (only active ones, unless ``live_only`` is False), oldest
        first."""
        stmt = _LIVE_SESSIONS_OF_CLIENT if live_only else _SESSIONS_OF_CLIENT
        return await self._all(stmt, {"client_id": client_id})

    async def for_user(self, user_id: str, *, status: SessionStatus | None = None) -> list[Session]:
        """The user's sessions (of one status, when given), newest first."""
        stmt = sa.select(sessions).where(sessions.c.user_id == user_id)
        if status is not None:
            stmt = stmt.where(sessions.c.status == status.value)
        return await self._all(stmt.order_by(sessions.c.created_at.desc(), sessions.c.id))

    async def end_for_user(
        self, user_id: str, status: SessionStatus, now_ms: int, *, keep: str | None = None
    ) -> list[str]:
        """Set every active session of the user (but ``keep``) to ``status``; return their ids."""
        stmt = sa.select(sessions.c.id).where(
            sessions.c.user_id == user_id, sessions.c.status == "active"
        )
        if keep is not None:
            stmt = stmt.where(sessions.c.id != keep)
        ids = [r[0] for r in (await self.conn.execute(stmt)).all()]
        if ids:
            await self.conn.execute(
                sa.update(sessions)
                .where(sessions.c.id.in_(ids))
                .values(status=status.value, updated_at=now_ms)
            )
        return ids

    async def of(
        self,
        *,
        user_id: str | None,
        client_id: str | None,
        status: SessionStatus | None,
        page: Page,
    ) -> Listed[Session]:
        """Sessions of a user and/or a Client (of one status, when given): a page and the
        total."""
        where: list[Condition] = []
        if user_id:
            where.append(sessions.c.user_id == user_id)
        if client_id:
            where.append(sessions.c.client_id == client_id)
        if status:
            where.append(sessions.c.status == status.value)
        return await self._listed(where, page)

    async def mark_expired(self, session_id: str, now_ms: int) -> None:
        """Store ``expired`` for a session found past its expiry."""
        await self._set(session_id, status=SessionStatus.EXPIRED.value, updated_at=now_ms)

    async def record_activity(self, session_id: str, now_ms: int, expire_at: int | None) -> None:
        """Move ``last_active_at`` to now (and the expiry, with an idle timeout)."""
        values: dict[str, int] = {"last_active_at": now_ms}
        if expire_at is not None:
            values["expire_at"] = expire_at
        await self._set(session_id, **values)
