"""Clients and sessions: records with ``StrEnum`` statuses, and the token refresh's one
read (a point read) as a record."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.store.records import NOW, client, session, user
from threshold.core.records.clients import SessionStatus
from threshold.core.records.listing import Page
from threshold.store.db import Database
from threshold.store.repositories import ClientRepository, SessionRepository, UserRepository
from threshold.store.repositories.clients import session_for_refresh

pytestmark = pytest.mark.anyio


async def test_sessions_come_back_as_records_with_their_status(db: Database) -> None:
    ada = user()
    browser = client("d" * 64)
    live = session(browser.id, ada.id)
    async with db.transaction() as conn:
        await UserRepository(conn).create(ada, None)
        await ClientRepository(conn).insert(browser)
        await SessionRepository(conn).insert(live)
    async with db.transaction() as conn:
        sessions = SessionRepository(conn)
        assert await ClientRepository(conn).by_token_digest("d" * 64) == browser
        assert await sessions.for_client(browser.id) == [live]
        ended = await sessions.end_for_user(ada.id, SessionStatus.REVOKED, NOW + 1)
        assert ended == [live.id]
        found = await sessions.get(live.id)
        assert found is not None and found.status is SessionStatus.REVOKED
        assert await sessions.for_client(browser.id) == []
        listed = await sessions.of(
            user_id=ada.id, client_id=None, status=SessionStatus.REVOKED, page=Page()
        )
        assert (listed.total, [s.id for s in listed.items]) == (1, [live.id])


async def test_the_refresh_read_is_a_session_record(db: Database) -> None:
    ada = user()
    browser = client("e" * 64)
    live = session(browser.id, ada.id)
    async with db.transaction() as conn:
        await UserRepository(conn).create(ada, None)
        await ClientRepository(conn).insert(browser)
        await SessionRepository(conn).insert(live)
    read = await session_for_refresh(db, session_id=live.id, client_digest="e" * 64)
    assert read is not None and read.session == live and read.user_banned is False
    assert read.session.status is SessionStatus.ACTIVE
    missing = await session_for_refresh(db, session_id="sess_none", client_digest="e" * 64)
    assert missing is not None and missing.session is None
    assert await session_for_refresh(db, session_id=live.id, client_digest="f" * 64) is None
    async with db.transaction() as conn:
        users = UserRepository(conn)
        stored = await users.get(ada.id)
        assert stored is not None
        await users.update(stored, replace(stored, banned=True))
    banned = await session_for_refresh(db, session_id=live.id, client_digest="e" * 64)
    assert banned is not None and banned.user_banned is True
