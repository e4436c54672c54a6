"""Clients (one per browser) and their sessions."""

from __future__ import annotations

import sqlalchemy as sa

from threshold.store.point_reads import PointRead
from threshold.store.repositories._base import Repository, Row
from threshold.store.tables import clients, sessions, users

__all__ = ["SESSION_FOR_REFRESH", "ClientRepository", "SessionRepository"]

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


_LIVE_CLIENT_BY_DIGEST = sa.select(clients).where(
    clients.c.token_digest == sa.bindparam("digest"), clients.c.ended.is_(False)
)
_SESSIONS_OF_CLIENT = (
    sa.select(sessions)
    .where(sessions.c.client_id == sa.bindparam("client_id"))
    .order_by(sessions.c.created_at, sessions.c.id)
)
_LIVE_SESSIONS_OF_CLIENT = _SESSIONS_OF_CLIENT.where(sessions.c.status == "active")


class ClientRepository(Repository):
    table = clients

    async def by_token_digest(self, digest: str) -> Row | None:
        return await self._one(_LIVE_CLIENT_BY_DIGEST, {"digest": digest})


class SessionRepository(Repository):
    table = sessions

    async def for_client(self, client_id: str, *, live_only: bool = True) -> list[Row]:
        stmt = _LIVE_SESSIONS_OF_CLIENT if live_only else _SESSIONS_OF_CLIENT
        return await self._all(stmt, {"client_id": client_id})

    async def for_user(self, user_id: str, *, status: str | None = None) -> list[Row]:
        stmt = sa.select(sessions).where(sessions.c.user_id == user_id)
        if status is not None:
            stmt = stmt.where(sessions.c.status == status)
        return await self._all(stmt.order_by(sessions.c.created_at.desc(), sessions.c.id))

    async def end_for_user(
        self, user_id: str, status: str, now_ms: int, *, keep: str | None = None
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
                .values(status=status, updated_at=now_ms)
            )
        return ids
