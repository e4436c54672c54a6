"""``GET /v1/users`` reads indexes on SQLite and PostgreSQL, and ``query`` stays Clerk's.

``query``: every word a case-insensitive substring of a name, email address, username,
external id or user id. The plans are read with EXPLAIN on a database of 20,000 users
loaded at revision 0001 and then migrated (so the SQLite backfill is tested too); the
answers are compared with a plain substring check over the same rows. The triggers that
keep SQLite's index in step are exercised through the API.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.backend_api.conftest import Api, unique_email
from tests.support import postgres_database, require_postgres
from threshold.core.ids import new_id
from threshold.core.records.listing import Page, UserFilters
from threshold.services.users.directory import USER_ORDER_FIELDS
from threshold.store.db import Database
from threshold.store.migrate import alembic_config, upgrade
from threshold.store.repositories.listing import page_statement
from threshold.store.repositories.user_search import FTS_MOST, user_conditions, user_where
from threshold.store.tables import email_addresses, metadata, users

ResultT = TypeVar("ResultT")

N_USERS = 20_000
FIRST = ("Ann", "Bob", "Chloé", "Dmitri", "Eve", "Farah", "Gus", "Hana", "Ivo", "Jun", "Kai")
LAST = ("Lee", "Moss", "Nakamura", "O'Brien", "Petrov", "Quinn", "Rossi", "Silva", "Tran")
DOMAINS = ("example.com", "mail.test", "corp.example")


def _rows() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    user_rows: list[dict[str, Any]] = []
    email_rows: list[dict[str, Any]] = []
    for i in range(N_USERS):
        first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
        local = first.lower().replace("é", "e")
        email = f"{local}.{last.lower()}{i:05d}@{DOMAINS[i % len(DOMAINS)]}"
        username = f"{last.lower()}_{i}" if i % 10 == 0 else None
        external_id = f"EXT-{i}" if i % 7 == 0 else None
        user_id, email_id = new_id("user"), new_id("idn")
        parts = (first, last, username, external_id, user_id, email)
        user_rows.append(
            {
                "id": user_id,
                "external_id": external_id,
                "username": username,
                "first_name": first,
                "last_name": last,
                "primary_email_address_id": email_id,
                "public_metadata": {},
                "private_metadata": {},
                "unsafe_metadata": {},
                "banned": False,
                "failed_attempts": 0,
                "search_text": " ".join(p.lower() for p in parts if p),
                "created_at": 1_700_000_000_000 + i,
                "updated_at": 1_700_000_000_000 + i,
            }
        )
        email_rows.append(
            {
                "id": email_id,
                "user_id": user_id,
                "email_address": email,
                "verified": True,
                "verification_strategy": "admin",
                "created_at": 1_700_000_000_000 + i,
                "updated_at": 1_700_000_000_000 + i,
            }
        )
    return user_rows, email_rows


def _with_conn(url: str, fn: Callable[[AsyncConnection], Awaitable[ResultT]]) -> ResultT:
    async def go() -> ResultT:
        db = Database(url)
        try:
            async with db.engine.connect() as conn:
                result = await fn(conn)
                await conn.commit()
                return result
        finally:
            await db.dispose()

    return asyncio.run(go())


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of a new, empty database on each engine."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'search.db'}"
        return
    require_postgres(request.config)
    with postgres_database() as url:
        yield url


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def loaded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A database of N_USERS users (loaded at 0001, then migrated) and its user rows."""
    if request.param == "postgres":
        require_postgres(request.config)
    user_rows, email_rows = _rows()

    async def load(conn: AsyncConnection) -> None:
        await conn.execute(sa.insert(users), user_rows)
        await conn.execute(sa.insert(email_addresses), email_rows)

    async def analyze(conn: AsyncConnection) -> None:
        await conn.exec_driver_sql("ANALYZE")

    def prepare(url: str) -> None:
        upgrade(url, "0001")
        _with_conn(url, load)
        upgrade(url)
        _with_conn(url, analyze)

    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('search') / 'search.db'}"
        prepare(url)
        yield url, user_rows
        return
    with postgres_database() as url:
        prepare(url)
        yield url, user_rows


def _plan(url: str, filters: UserFilters, page: Page = Page()) -> list[str]:
    """The plan of the page the API reads: EXPLAIN QUERY PLAN details on SQLite, EXPLAIN
    text on PostgreSQL."""

    async def explain(conn: AsyncConnection) -> list[str]:
        by_created_at = page.order_by.lstrip(" +-") == "created_at"
        where = await user_where(conn, filters, by_created_at=by_created_at)
        stmt = page_statement(users, where, page, USER_ORDER_FIELDS)
        sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        if conn.dialect.name == "sqlite":
            return [str(r[3]) for r in await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)]
        return [str(r[0]) for r in await conn.exec_driver_sql("EXPLAIN " + sql)]

    return _with_conn(url, explain)


def _scans_users(plan: list[str]) -> bool:
    """True when the plan reads the whole users table (or walks a whole index of it)."""
    text = "\n".join(plan)
    return bool(re.search(r"\bSCAN users\b(?!_)|Seq Scan on users\b", text))


@pytest.mark.parametrize("query", ["moss00123", "SS00123@MAIL", "petrov0004 EVE", "moss001 an"])
def test_search_reads_the_trigram_index(
    loaded: tuple[str, list[dict[str, Any]]], query: str
) -> None:
    """A rare match is found through the index (a common one is not: see below)."""
    url, _ = loaded
    plan = _plan(url, UserFilters(query=query))
    if url.startswith("sqlite"):
        assert any(line.startswith("SCAN users_search VIRTUAL TABLE INDEX") for line in plan)
    else:
        assert any("ix_users_search_text_trgm" in line for line in plan), plan
    assert not _scans_users(plan), plan


def test_a_common_word_walks_the_created_at_index(
    loaded: tuple[str, list[dict[str, Any]]],
) -> None:
    """A third of the users match: the newest ten come after a short walk in created_at
    order, sooner than from the trigram index (every match collected, then sorted)."""
    url, rows = loaded
    assert sum("mail.test" in r["search_text"] for r in rows) > FTS_MOST
    plan = _plan(url, UserFilters(query="MAIL.TEST"))
    assert any("ix_users_created_at_id" in line for line in plan), plan
    assert not any("TEMP B-TREE" in line or "Sort" in line for line in plan), plan
    if url.startswith("sqlite"):  # other orders and counts still ask FTS5
        plan = _plan(url, UserFilters(query="MAIL.TEST"), Page(order_by="-first_name"))
        assert any(line.startswith("SCAN users_search VIRTUAL TABLE INDEX") for line in plan)


def test_default_listing_reads_the_created_at_index(
    loaded: tuple[str, list[dict[str, Any]]],
) -> None:
    url, _ = loaded
    for page in (Page(), Page(limit=10, offset=500), Page(order_by="+created_at")):
        plan = _plan(url, UserFilters(), page)
        assert any("ix_users_created_at_id" in line for line in plan), plan
        assert not any("TEMP B-TREE" in line or "Sort" in line for line in plan), plan


def test_email_filter_reads_the_unique_index(loaded: tuple[str, list[dict[str, Any]]]) -> None:
    url, _ = loaded
    plan = _plan(url, UserFilters(email_addresses=("eve.nakamura00268@mail.test",)))
    expected = "sqlite_autoindex_email_addresses" if url.startswith("sqlite") else "uq_email_"
    assert any(expected in line for line in plan), plan
    assert not _scans_users(plan), plan
    assert not any(re.search(r"\bSCAN email_addresses|Seq Scan on email", ln) for ln in plan)


def test_answers_are_substring_matches(loaded: tuple[str, list[dict[str, Any]]]) -> None:
    url, rows = loaded
    some_id = rows[1234]["id"]
    queries = [
        "moss00123",  # the middle of one email address
        "OSS0012",  # upper case
        "chloé",  # a first name with an accent (emails say "chloe")
        "Nakamura ann",  # every word must match
        "ann",
        "an",  # short words scan with LIKE
        "an nakamura",
        "xy",
        "ext-14",  # external id
        "_10",  # LIKE's wildcards are literal
        "_",
        "%",
        "a%b",
        some_id[5:20],  # part of a user id
        some_id.upper(),
        '"moss"',  # FTS5 quoting
        'mo"ss',
        "o'brien0",  # SQL quoting (PostgreSQL gets the pattern written into the statement)
        "a\\b",
        "\\",
        "mail.test",  # a third of the users
        "kai.tran19",
        "   ",
    ]

    async def ids_for(conn: AsyncConnection) -> list[set[str]]:
        found = []
        for query in queries:
            filters = UserFilters(query=query)
            for by_created_at in (False, True):  # on SQLite: FTS5, then FTS5 or the probe's LIKE
                where = await user_where(conn, filters, by_created_at=by_created_at)
                found.append(
                    {r[0] for r in await conn.execute(sa.select(users.c.id).where(*where))}
                )
            where = user_conditions(filters, "default")  # LIKE only
            found.append({r[0] for r in await conn.execute(sa.select(users.c.id).where(*where))})
        return found

    answers = _with_conn(url, ids_for)
    for n, query in enumerate(queries):
        words = query.lower().split()
        expected = {r["id"] for r in rows if all(w in r["search_text"] for w in words)}
        assert answers[3 * n : 3 * n + 3] == [expected] * 3, query
    assert len(answers[-1]) == N_USERS  # "   " matched everyone
    assert any("o'brien0" in r["search_text"] for r in rows)


def test_schema_from_metadata_matches_the_migrations(empty_url: str, tmp_path: Path) -> None:
    if empty_url.startswith("sqlite"):
        other = f"sqlite+aiosqlite:///{tmp_path / 'metadata.db'}"
        _check_schemas(empty_url, other)
        return
    with postgres_database() as other:
        _check_schemas(empty_url, other)


def _check_schemas(migrated: str, created: str) -> None:
    async def create_all(conn: AsyncConnection) -> None:
        await conn.run_sync(metadata.create_all)

    upgrade(migrated)
    _with_conn(created, create_all)
    assert _search_schema(migrated) == _search_schema(created)
    assert len(_search_schema(migrated)) >= 4
    command.downgrade(alembic_config(migrated), "0001")
    after = {o for o in _search_schema(migrated) if o[0] != "extension"}  # pg_trgm stays
    assert not any("users_search" in str(o) or "trgm" in str(o) for o in after), after
    assert "ix_users_created_at" in {o[1] for o in after}
    upgrade(migrated)
    assert _search_schema(migrated) == _search_schema(created)


def _search_schema(url: str) -> set[tuple[str, ...]]:
    """The users table's indexes and triggers and the search objects, normalized."""

    async def read(conn: AsyncConnection) -> set[tuple[str, ...]]:
        if conn.dialect.name == "sqlite":
            rows = await conn.exec_driver_sql(
                "SELECT type, name, coalesce(sql, '') FROM sqlite_master "
                "WHERE name LIKE 'users_search%' "
                "OR (tbl_name = 'users' AND type IN ('index', 'trigger'))"
            )
        else:
            rows = await conn.exec_driver_sql(
                "SELECT 'index', indexname, indexdef FROM pg_indexes WHERE tablename = 'users' "
                "UNION SELECT 'extension', extname, '' FROM pg_extension WHERE extname = 'pg_trgm'"
            )
        return {(str(t), str(n), " ".join(str(s).split())) for t, n, s in rows}

    return _with_conn(url, read)


def test_search_follows_creates_updates_and_deletes(api: Api) -> None:
    tag = unique_email()[5:15]
    address = f"mid.{tag}.dle@Example.com"
    user = api.user(email_address=[address], first_name="Océane", last_name=f"Zu{tag}")
    uid = user["id"]

    def found(query: str) -> list[str]:
        return [u["id"] for u in api.ok("GET", "/users", params={"query": query})]

    assert found(f"{tag}.DLE@exa") == [uid]  # the middle of the address, any case
    assert found(f"océane zu{tag}") == [uid]
    assert found(f"OCÉANE ZU{tag.upper()}") == [uid]
    assert found(f"zu{tag} oc") == [uid]  # a short word with a long one
    assert found(uid[5:16]) == [uid]
    assert api.ok("GET", "/users/count", params={"query": tag}) == {
        "object": "total_count",
        "total_count": 1,
    }

    api.ok("PATCH", f"/users/{uid}", json={"last_name": f"Yo{tag}", "username": f"u_{tag}"})
    assert found(f"zu{tag}") == []
    assert found(f"yo{tag}") == [uid]
    assert found(f"u_{tag}") == [uid]

    extra = f"second-{tag}@example.org"
    api.ok("POST", "/email_addresses", json={"user_id": uid, "email_address": extra})
    assert found(f"second-{tag}") == [uid]

    api.ok("DELETE", f"/users/{uid}")
    assert found(tag) == []
    assert found(f"yo{tag}") == []
