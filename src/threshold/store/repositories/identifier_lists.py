"""Allowlist and blocklist identifiers (email addresses and ``*@domain``)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from threshold.core.records.identifiers import IdentifierList, ListedIdentifier
from threshold.store.repositories._base import Repository, refusing_duplicates
from threshold.store.tables import allowlist_identifiers, blocklist_identifiers

__all__ = [
    "AllowlistRepository",
    "BlocklistRepository",
    "IdentifierListRepository",
    "identifier_access",
    "identifier_list",
]


class IdentifierListRepository(Repository[ListedIdentifier]):
    """One of the two lists."""

    record = ListedIdentifier

    async def by_identifier(self, identifier: str) -> ListedIdentifier | None:
        """The entry for this (normalized) identifier, if any."""
        return await self._one(
            sa.select(self.table).where(self.table.c.identifier == identifier).limit(1)
        )

    async def add(self, entry: ListedIdentifier) -> ListedIdentifier:
        """Store a new entry; one already listed raises :class:`DuplicateError`."""
        async with refusing_duplicates(self.conn, "identifier"):
            return await self.insert(entry)


class AllowlistRepository(IdentifierListRepository):
    table = allowlist_identifiers


class BlocklistRepository(IdentifierListRepository):
    table = blocklist_identifiers


def identifier_list(conn: AsyncConnection, kind: IdentifierList) -> IdentifierListRepository:
    """The repository of the allowlist or the blocklist."""
    if kind == IdentifierList.ALLOWLIST:
        return AllowlistRepository(conn)
    return BlocklistRepository(conn)


async def identifier_access(conn: AsyncConnection, candidates: Sequence[str]) -> bool:
    """Whether an identifier known by these forms (the address, its domain's forms) may
    sign up and sign in: none of them blocklisted and, once the allowlist has an entry,
    one of them allowlisted."""
    blocked = await conn.execute(
        sa.select(blocklist_identifiers.c.id)
        .where(blocklist_identifiers.c.identifier.in_(candidates))
        .limit(1)
    )
    if blocked.first() is not None:
        return False
    any_allowed = await conn.execute(sa.select(allowlist_identifiers.c.id).limit(1))
    if any_allowed.first() is None:
        return True
    listed = await conn.execute(
        sa.select(allowlist_identifiers.c.id)
        .where(allowlist_identifiers.c.identifier.in_(candidates))
        .limit(1)
    )
    return listed.first() is not None
