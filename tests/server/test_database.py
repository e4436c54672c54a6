"""The engine on SQLite: which BEGIN each kind of transaction sends (none for a single
read: a lone statement is its own snapshot there), and one hand-off to aiosqlite's
thread per statement."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from tests.support import (
    count_hand_offs,
    postgres_database,
    require_postgres,
    terminate_backends,
)
from threshold.store.db import Database


def _statements(db: Database) -> list[str]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        words = statement.upper().split()
        seen.append(" ".join(words[:2]) if words[0] == "BEGIN" else words[0])

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    return seen


def test_each_kind_of_transaction_sends_its_begin(tmp_path: Path) -> None:
    async def run() -> tuple[list[str], int, int]:
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
        try:
            async with db.transaction() as conn:
                await conn.execute(sa.text("CREATE TABLE t (n INTEGER)"))
                await conn.execute(sa.text("INSERT INTO t VALUES (1)"))
            seen = _statements(db)
            async with db.transaction() as conn:
                await conn.execute(sa.text("UPDATE t SET n = n + 1"))
            async with db.transaction(readonly=True) as conn:
                await conn.execute(sa.text("SELECT n FROM t"))
            async with db.transaction(single_read=True) as conn:
                single = (await conn.execute(sa.text("SELECT n FROM t"))).scalar_one()
            # Nothing was left open by the single read: a writer gets the lock at once.
            async with db.transaction() as conn:
                await conn.execute(sa.text("UPDATE t SET n = n + 1"))
            async with db.transaction(single_read=True) as conn:
                after = (await conn.execute(sa.text("SELECT n FROM t"))).scalar_one()
            return seen, single, after
        finally:
            await db.dispose()

    seen, single, after = asyncio.run(run())
    assert seen == [
        "BEGIN IMMEDIATE",
        "UPDATE",
        "BEGIN DEFERRED",
        "SELECT",
        "SELECT",
        "BEGIN IMMEDIATE",
        "UPDATE",
        "SELECT",
    ]
    assert (single, after) == (2, 3)


def test_each_statement_is_one_hand_off_to_the_sqlite_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows, many-row inserts, row ids, counts and streamed results, each statement in one
    call on aiosqlite's thread (SQLAlchemy's own adapter makes four)."""

    async def run() -> dict[str, Any]:
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
        try:
            async with db.transaction() as conn:
                await conn.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER)"))
            hand_offs = count_hand_offs(monkeypatch)
            async with db.transaction() as conn:  # BEGIN, 3 statements, COMMIT
                many = await conn.execute(
                    sa.text("INSERT INTO t (n) VALUES (:n)"), [{"n": n} for n in range(5)]
                )
                one = await conn.execute(sa.text("INSERT INTO t (n) VALUES (10)"))
                changed = await conn.execute(sa.text("UPDATE t SET n = n + 1 WHERE n < 3"))
            writes = hand_offs.count
            async with db.transaction(readonly=True) as conn:
                streamed = [r.n async for r in await conn.stream(sa.text("SELECT n FROM t"))]
                first = (await conn.execute(sa.text("SELECT n FROM t ORDER BY id"))).first()
            return {
                "writes": writes,
                "inserted": many.rowcount,
                "row_id": one.lastrowid,
                "updated": changed.rowcount,
                "streamed": streamed,
                "first": first,
            }
        finally:
            await db.dispose()

    got = asyncio.run(run())
    # BEGIN, three statements and COMMIT; at most one more for the pool's reset.
    assert got["writes"] <= 6
    assert (got["inserted"], got["row_id"], got["updated"]) == (5, 6, 3)
    assert sorted(got["streamed"]) == [1, 2, 3, 3, 4, 10]
    assert got["first"] == (1,)


def test_postgresql_connections_killed_by_the_server_are_replaced(
    pytestconfig: pytest.Config,
) -> None:
    """A restarted or failed-over database closes every pooled connection; the next
    flows reconnect instead of failing."""
    require_postgres(pytestconfig)

    async def run(url: str, name: str) -> list[int]:
        db = Database(url)
        try:

            async def one_of_each() -> list[int]:
                async with db.transaction() as conn:
                    first = (await conn.execute(sa.text("SELECT 1"))).scalar_one()
                async with db.transaction(single_read=True) as conn:
                    second = (await conn.execute(sa.text("SELECT 2"))).scalar_one()
                return [first, second]

            before = await one_of_each()  # the pool now holds an open connection
            await terminate_backends(name)
            return before + await one_of_each() + await one_of_each()
        finally:
            await db.dispose()

    with postgres_database() as url:
        assert asyncio.run(run(url, url.rsplit("/", 1)[-1])) == [1, 2] * 3
