"""Tickets found by their digest (one query for invitations and sign-in tokens alike),
invitations listed by the status they read as, and rate-limit counters."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.store.records import NOW, email, user
from threshold.core.errors import DuplicateError
from threshold.core.ids import new_id
from threshold.core.records.identifiers import IdentifierList, ListedIdentifier
from threshold.core.records.listing import Page
from threshold.core.records.tickets import (
    Invitation,
    InvitationStatus,
    SignInToken,
    SignInTokenStatus,
)
from threshold.store.db import Database
from threshold.store.repositories import (
    InvitationRepository,
    RateLimitRepository,
    SignInTokenRepository,
    UserRepository,
)
from threshold.store.repositories.identifier_lists import identifier_access, identifier_list

pytestmark = pytest.mark.anyio

ORDER = ("created_at", "email_address", "expires_at")


def _invitation(address: str, digest: str, expires_at: int | None) -> Invitation:
    return Invitation(
        id=new_id("inv"),
        email_address=address,
        status=InvitationStatus.PENDING,
        ticket_digest=digest,
        expires_at=expires_at,
        created_at=NOW,
        updated_at=NOW,
    )


async def test_tickets_are_found_by_digest(db: Database) -> None:
    ada = user()
    token = SignInToken(
        id=new_id("sit"),
        user_id=ada.id,
        status=SignInTokenStatus.PENDING,
        ticket_digest="a" * 64,
        expires_at=NOW + 1000,
        created_at=NOW,
        updated_at=NOW,
    )
    invited = _invitation("new@example.com", "b" * 64, None)
    async with db.transaction() as conn:
        await UserRepository(conn).create(ada, email(ada.id, "ada@example.com"))
        await SignInTokenRepository(conn).insert(token)
        await InvitationRepository(conn).insert(invited)
    async with db.transaction() as conn:
        tokens = SignInTokenRepository(conn)
        assert await tokens.by_ticket_digest("a" * 64, lock=True) == token
        assert await tokens.by_ticket_digest("b" * 64) is None
        assert await InvitationRepository(conn).by_ticket_digest("b" * 64) == invited
        assert token.usable_at(NOW) and not token.usable_at(NOW + 1000)
        used = await tokens.update(token, replace(token, status=SignInTokenStatus.ACCEPTED))
        assert not used.usable_at(NOW)


async def test_invitations_are_listed_by_the_status_they_read_as(db: Database) -> None:
    lapsed = _invitation("old@example.com", "c" * 64, NOW - 1)
    live = _invitation("live@example.com", "d" * 64, None)
    async with db.transaction() as conn:
        await InvitationRepository(conn).insert(lapsed)
        await InvitationRepository(conn).insert(live)
    async with db.transaction(readonly=True) as conn:
        invitations = InvitationRepository(conn)

        async def ids(status: InvitationStatus | None, query: str | None = None) -> list[str]:
            found = await invitations.of(
                status=status, query=query, now_ms=NOW, page=Page(), allowed=ORDER
            )
            assert found.total == len(found.items)
            return [i.id for i in found.items]

        assert await ids(InvitationStatus.EXPIRED) == [lapsed.id]
        assert await ids(InvitationStatus.PENDING) == [live.id]
        assert sorted(await ids(None)) == sorted([lapsed.id, live.id])
        assert await ids(None, "LIVE@") == [live.id]
    assert lapsed.status_at(NOW) == InvitationStatus.EXPIRED
    assert live.status_at(NOW) == InvitationStatus.PENDING


async def test_identifier_lists_decide_access(db: Database) -> None:
    async with db.transaction() as conn:
        assert await identifier_access(conn, ["a@example.com", "*@example.com"])
        entry = ListedIdentifier(
            id=new_id("alid"),
            identifier="*@example.com",
            identifier_type="email_address",
            created_at=NOW,
            updated_at=NOW,
        )
        allowlist = identifier_list(conn, IdentifierList.ALLOWLIST)
        await allowlist.add(entry)
        assert await allowlist.by_identifier("*@example.com") == entry
        assert await identifier_access(conn, ["a@example.com", "*@example.com"])
        assert not await identifier_access(conn, ["a@other.org", "*@other.org"])
        blocked = replace(entry, id=new_id("blid"), identifier="a@example.com")
        await identifier_list(conn, IdentifierList.BLOCKLIST).add(blocked)
        assert not await identifier_access(conn, ["a@example.com", "*@example.com"])
    with pytest.raises(DuplicateError) as refused:
        await _allow(db, replace(entry, id=new_id("alid")))
    assert refused.value.field == "identifier"


async def _allow(db: Database, entry: ListedIdentifier) -> None:
    async with db.transaction() as conn:
        await identifier_list(conn, IdentifierList.ALLOWLIST).add(entry)


async def test_rate_limit_counts_per_window(db: Database) -> None:
    async with db.transaction() as conn:
        counters = RateLimitRepository(conn)
        assert [await counters.hit("k", 60_000) for _ in range(3)] == [1, 2, 3]
        assert await counters.hit("k", 120_000) == 1  # a new window starts again
        assert await counters.hit("other", 120_000) == 1
        await counters.reset("k")
        assert await counters.hit("k", 120_000) == 1
