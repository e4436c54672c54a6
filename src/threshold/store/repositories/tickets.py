"""Invitations and sign-in tokens: tickets found by the digest of their secret."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import sqlalchemy as sa

from threshold.core.records.listing import Listed, Page
from threshold.core.records.tickets import (
    Invitation,
    InvitationStatus,
    SignInToken,
)
from threshold.store.repositories._base import Repository
from threshold.store.repositories.listing import Condition, like_pattern
from threshold.store.tables import invitations, sign_in_tokens

__all__ = ["InvitationRepository", "SignInTokenRepository"]

TicketT = TypeVar("TicketT")


class _TicketRepository(Repository[TicketT]):
    """A table of tickets with a unique ``ticket_digest``."""

    async def by_ticket_digest(self, digest: str, *, lock: bool = False) -> TicketT | None:
        """The ticket whose secret has this digest; ``lock`` holds its row to the end of
        the transaction on PostgreSQL, so that a revoke waiting on it sees it used."""
        stmt = sa.select(self.table).where(self.table.c.ticket_digest == digest)
        if lock and self.conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        return await self._one(stmt)


class InvitationRepository(_TicketRepository[Invitation]):
    table = invitations
    record = Invitation

    async def pending_for(self, address: str) -> Invitation | None:
        """A pending invitation for this (lower-cased) address, if any."""
        return await self._one(
            sa.select(invitations)
            .where(
                invitations.c.email_address == address,
                invitations.c.status == InvitationStatus.PENDING.value,
            )
            .limit(1)
        )

    async def of(
        self,
        *,
        status: InvitationStatus | None,
        query: str | None,
        now_ms: int,
        page: Page,
        allowed: Sequence[str],
    ) -> Listed[Invitation]:
        """Invitations of a status as seen at ``now_ms`` (a pending one past its expiry is
        ``expired``) whose address contains ``query``: a page (``allowed``: the fields it
        may be ordered by) and the total."""
        where: list[Condition] = []
        live = sa.or_(invitations.c.expires_at.is_(None), invitations.c.expires_at > now_ms)
        pending = invitations.c.status == InvitationStatus.PENDING.value
        if status == InvitationStatus.PENDING:
            where += [pending, live]
        elif status == InvitationStatus.EXPIRED:
            where.append(
                sa.or_(
                    invitations.c.status == InvitationStatus.EXPIRED.value,
                    sa.and_(pending, sa.not_(live)),
                )
            )
        elif status is not None:
            where.append(invitations.c.status == status.value)
        if query:
            where.append(
                invitations.c.email_address.like(like_pattern(query.strip().lower()), escape="\\")
            )
        return await self._listed(where, page, allowed)


class SignInTokenRepository(_TicketRepository[SignInToken]):
    table = sign_in_tokens
    record = SignInToken
