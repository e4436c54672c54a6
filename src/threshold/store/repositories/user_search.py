"""Finding users: the Backend API's filters and its substring search over ``search_text``.

On PostgreSQL ``LIKE '%word%'`` is served by the trigram GIN index; on SQLite by the FTS5
table ``users_search`` (see ``store.tables.identity``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from threshold.core.records.listing import UserFilters
from threshold.store.repositories.listing import Condition, like_pattern
from threshold.store.tables import email_addresses, users, users_search, users_search_keys

__all__ = ["FTS_MOST", "TRIGRAM", "search_conditions", "user_conditions", "user_where"]


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
