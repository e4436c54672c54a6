"""Paged listings and the Backend API's own tables (templates, tickets, identifier lists)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from threshold.core.errors import ValidationError
from threshold.store.repositories._base import Repository, Row
from threshold.store.tables import (
    allowlist_identifiers,
    blocklist_identifiers,
    email_addresses,
    invitations,
    jwt_templates,
    sign_in_tokens,
    users,
    users_search,
    users_search_keys,
)

__all__ = [
    "FTS_MOST",
    "TRIGRAM",
    "AllowlistRepository",
    "BlocklistRepository",
    "InvitationRepository",
    "JwtTemplateRepository",
    "Page",
    "Pager",
    "SignInTokenRepository",
    "UserFilters",
    "like_pattern",
    "order_clauses",
    "page_statement",
    "search_conditions",
    "user_conditions",
    "user_where",
]

Condition = sa.ColumnElement[bool]


@dataclass(frozen=True, slots=True)
class Page:
    """Which slice of a listing to return: ``order_by`` is Clerk's ``[+|-]field``."""

    limit: int = 10
    offset: int = 0
    order_by: str = "-created_at"


def order_clauses(
    table: sa.Table, order_by: str, allowed: Sequence[str]
) -> list[sa.UnaryExpression[object]]:
    """ORDER BY for ``[+|-]field`` (a leading space is a ``+`` that lost its URL encoding).

    Raises a ValidationError naming ``order_by`` for fields outside ``allowed``. The id
    breaks ties, so pages never overlap. NULLS FIRST/LAST is spelled out only for nullable
    columns: on a NOT NULL column it would keep PostgreSQL from reading an index in order.
    """
    text = order_by.strip() if order_by.startswith(" ") else order_by
    descending = text.startswith("-")
    field = text[1:] if text[:1] in ("+", "-") else text
    if field not in allowed:
        raise ValidationError(
            f"order_by must be one of {', '.join(allowed)}, optionally prefixed by + or -.",
            param="order_by",
            code="form_param_value_invalid",
        )
    column = table.c[field]
    primary = column.desc() if descending else column.asc()
    tie = table.c.id.desc() if descending else table.c.id.asc()
    if not column.nullable:
        return [primary, tie]
    return [primary.nulls_last() if descending else primary.nulls_first(), tie]


def like_pattern(text: str) -> str:
    """``%text%`` for LIKE with ``\\`` as the escape character."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def page_statement(
    table: sa.Table, where: Sequence[Condition], page: Page, allowed: Sequence[str]
) -> sa.Select[Any]:
    """The SELECT of one page (what :meth:`Pager.page` runs; EXPLAIN shows its plan)."""
    return (
        sa.select(table)
        .where(*where)
        .order_by(*order_clauses(table, page.order_by, allowed))
        .limit(page.limit)
        .offset(page.offset)
    )


class Pager:
    """Counts and slices of one table under some conditions."""

    def __init__(self, conn: AsyncConnection, table: sa.Table) -> None:
        self.conn, self.table = conn, table

    async def page(
        self, where: Sequence[Condition], page: Page, allowed: Sequence[str] = ("created_at",)
    ) -> list[Row]:
        """The rows of one page, ordered as ``page.order_by`` asks."""
        stmt = page_statement(self.table, where, page, allowed)
        return [dict(r) for r in (await self.conn.execute(stmt)).mappings().all()]

    async def count(self, where: Sequence[Condition]) -> int:
        """How many rows match ``where``."""
        stmt = sa.select(sa.func.count()).select_from(self.table).where(*where)
        return int((await self.conn.execute(stmt)).scalar_one())


@dataclass(frozen=True, slots=True)
class UserFilters:
    """The Backend API's user filters: any value of a list matches; filters combine with AND."""

    email_addresses: tuple[str, ...] = ()
    user_ids: tuple[str, ...] = ()
    external_ids: tuple[str, ...] = ()
    usernames: tuple[str, ...] = ()
    query: str | None = None


TRIGRAM = 3
"""The shortest word the trigram indexes can find; shorter words scan ``search_text``."""

FTS_MOST = 500
"""SQLite: above this many matches, a page in created_at order is found with LIKE.

Walking the created_at index meets the newest matches of a common word after a few rows,
while the FTS5 index hands over every match to be looked up and sorted (about a second for
a word in a quarter of a million users); below it, the index wins.
"""


def _contains(word: str, dialect: str) -> Condition:
    pattern: str | sa.BindParameter[str] = like_pattern(word)
    if dialect == "postgresql":
        # Written into the SQL, not bound: the generic plan PostgreSQL caches for a prepared
        # statement cannot see the pattern, guesses it is common, and scans.
        pattern = sa.literal(pattern, sa.Text, literal_execute=True)
    return users.c.search_text.like(pattern, escape="\\")


def _fts_match(words: Sequence[str]) -> Condition | None:
    """One FTS5 match for the words the trigram index can find (each a quoted phrase: a run
    of consecutive trigrams, so exactly a substring), or None when there are none."""
    phrases = ['"' + w.replace('"', '""') + '"' for w in words if len(w) >= TRIGRAM]
    return users_search.c.search_text.match(" ".join(phrases)) if phrases else None


def search_conditions(query: str, dialect: str) -> list[Condition]:
    """``query``: every word a case-insensitive substring of ``users.search_text``.

    On PostgreSQL ``LIKE '%word%'`` is served by the trigram GIN index. On SQLite, words of
    :data:`TRIGRAM` characters or more become one FTS5 match on ``users_search``; shorter
    words are matched with ``LIKE`` (a scan, unless longer words narrowed the rows). Any
    other ``dialect`` (``"default"``) gives ``LIKE`` for every word.
    """
    words = query.lower().split()
    match = _fts_match(words) if dialect == "sqlite" else None
    if match is None:
        return [_contains(w, dialect) for w in words]
    rowids = sa.select(users_search.c.rowid).where(match)
    ids = sa.select(users_search_keys.c.user_id).where(users_search_keys.c.id.in_(rowids))
    return [*(_contains(w, dialect) for w in words if len(w) < TRIGRAM), users.c.id.in_(ids)]


async def user_where(
    conn: AsyncConnection, filters: UserFilters, *, by_created_at: bool = False
) -> list[Condition]:
    """:func:`user_conditions` for the database of ``conn``.

    ``by_created_at``: the caller reads a page in created_at order. On SQLite one probe of
    the search index then decides: more than :data:`FTS_MOST` matches and the words are
    matched with ``LIKE`` along the created_at index instead (PostgreSQL's planner makes
    this choice itself, from its statistics).
    """
    dialect = conn.dialect.name
    if by_created_at and dialect == "sqlite" and filters.query:
        match = _fts_match(filters.query.lower().split())
        if match is not None:
            probe = sa.select(users_search.c.rowid).where(match).limit(FTS_MOST + 1)
            if len((await conn.execute(probe)).all()) > FTS_MOST:
                dialect = "default"
    return user_conditions(filters, dialect)


def user_conditions(filters: UserFilters, dialect: str = "default") -> list[Condition]:
    """WHERE conditions on ``users`` for the given filters (``dialect``: the connection's)."""
    where: list[Condition] = []
    if filters.email_addresses:
        lowered = [e.strip().lower() for e in filters.email_addresses]
        where.append(
            users.c.id.in_(
                sa.select(email_addresses.c.user_id).where(
                    email_addresses.c.email_address.in_(lowered)
                )
            )
        )
    if filters.user_ids:
        where.append(users.c.id.in_(filters.user_ids))
    if filters.external_ids:
        where.append(users.c.external_id.in_(filters.external_ids))
    if filters.usernames:
        where.append(users.c.username.in_([u.lower() for u in filters.usernames]))
    if filters.query:
        where.extend(search_conditions(filters.query, dialect))
    return where


class JwtTemplateRepository(Repository):
    """JWT templates (``name`` is unique)."""

    table = jwt_templates

    async def by_name(self, name: str) -> Row | None:
        """The template with this exact name, if any."""
        return await self._one(sa.select(jwt_templates).where(jwt_templates.c.name == name))


class InvitationRepository(Repository):
    """Invitations to sign up (the ticket as a digest)."""

    table = invitations

    async def pending_for(self, address: str) -> Row | None:
        """A pending invitation for this (lower-cased) address, if any."""
        return await self._one(
            sa.select(invitations)
            .where(invitations.c.email_address == address, invitations.c.status == "pending")
            .limit(1)
        )


class SignInTokenRepository(Repository):
    """Single-use sign-in tokens (the ticket as a digest)."""

    table = sign_in_tokens


class AllowlistRepository(Repository):
    """Allowed identifiers (email addresses and ``*@domain``)."""

    table = allowlist_identifiers

    async def by_identifier(self, identifier: str) -> Row | None:
        """The entry for this (normalized) identifier, if any."""
        return await self._one(
            sa.select(self.table).where(self.table.c.identifier == identifier).limit(1)
        )


class BlocklistRepository(AllowlistRepository):
    """Blocked identifiers (email addresses and ``*@domain``)."""

    table = blocklist_identifiers
