"""Point reads (``Database.point_read``): the same rows as the engine gives, committed
data only, no hand-off to aiosqlite's thread on SQLite, no SQLAlchemy statement on
PostgreSQL (not even the pool's liveness check), and a fall back to the engine when the
fast read cannot answer (SQLite busy, without blocking the event loop; a PostgreSQL
connection that lost its statements or was closed by the server)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.support import (
    count_hand_offs,
    postgres_database,
    require_postgres,
    terminate_backends,
)
from threshold.store.db import Database
from threshold.store.point_reads import PointRead

metadata = sa.MetaData()
owners = sa.Table(
    "owners",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("banned", sa.Boolean, nullable=False),
)
things = sa.Table(
    "things",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("owner_id", sa.String(40), nullable=False),
    sa.Column("count", sa.BigInteger, nullable=False),
    sa.Column("note", sa.String(100)),
    sa.Column("extra", sa.JSON),
    sa.Column("live", sa.Boolean, nullable=False),
)
THING = PointRead(
    sa.select(things, owners.c.banned.label("owner_banned"))
    .select_from(owners)
    .outerjoin(things, (things.c.owner_id == owners.c.id) & (things.c.id == sa.bindparam("thing")))
    .where(owners.c.id == sa.bindparam("owner"), owners.c.banned.is_(False))
    .where(owners.c.id != "nobody")  # a parameter with a fixed value
)


T1 = {
    "id": "t1",
    "owner_id": "o1",
    "count": 2**40,
    "note": "é\n",
    "extra": {"a": [1, None]},
    "live": True,
}
T2 = {"id": "t2", "owner_id": "o1", "count": 0, "note": None, "extra": None, "live": False}


def _url(database_url: str | None, tmp_path: Path) -> str:
    return database_url or f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"


async def _fill(db: Database) -> None:
    async with db.transaction() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.execute(
            sa.insert(owners), [{"id": "o1", "banned": False}, {"id": "o2", "banned": True}]
        )
        await conn.execute(sa.insert(things), [T1, T2])


CASES = [
    {"owner": "o1", "thing": "t1"},  # a row with every type converted
    {"owner": "o1", "thing": "t2"},  # NULLs and False
    {"owner": "o1", "thing": "nope"},  # the outer join finds nothing: all None
    {"owner": "o2", "thing": "t1"},  # filtered out: no row
    {"owner": "x", "thing": "t1"},
]


def test_point_reads_give_what_the_engine_gives(database_url: str | None, tmp_path: Path) -> None:
    async def run() -> tuple[list[Any], list[Any]]:
        db = Database(_url(database_url, tmp_path))
        try:
            await _fill(db)
            fast = [await db.point_read(THING, **case) for case in CASES]
            slow = []
            async with db.transaction(readonly=True) as conn:
                for case in CASES:
                    row = (await conn.execute(THING.statement, case)).mappings().first()
                    slow.append(None if row is None else dict(row))
            return fast, slow
        finally:
            await db.dispose()

    fast, slow = asyncio.run(run())
    assert fast == slow
    assert fast[0] == {**T1, "owner_banned": False}
    assert fast[1] is not None and fast[1]["live"] is False and fast[1]["extra"] is None
    assert fast[2] == dict.fromkeys(slow[0], None) | {"owner_banned": False}
    assert fast[3:] == [None, None]


def test_each_point_read_sees_the_last_commit(tmp_path: Path) -> None:
    async def run() -> list[int]:
        db = Database(_url(None, tmp_path))
        try:
            await _fill(db)
            seen = []
            for n in range(3):
                row = await db.point_read(THING, owner="o1", thing="t2")
                assert row is not None
                seen.append(row["count"])
                async with db.transaction() as conn:
                    await conn.execute(sa.update(things).values(count=n + 1))
            return seen
        finally:
            await db.dispose()

    assert asyncio.run(run()) == [0, 1, 2]  # no snapshot is held between reads


def test_point_reads_and_connection_resets_make_no_hand_off_on_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reads on the loop make none; a returning connection's reset makes none either."""

    async def run() -> tuple[int, int]:
        db = Database(_url(None, tmp_path))
        try:
            await _fill(db)
            async with db.transaction() as conn:  # the pool holds a connection now
                await conn.execute(sa.select(1))
            hand_offs = count_hand_offs(monkeypatch)
            for _ in range(5):
                await db.point_read(THING, owner="o1", thing="t1")
            reads = hand_offs.count
            async with db.transaction() as conn:  # BEGIN, UPDATE, COMMIT; no reset
                await conn.execute(sa.update(things).values(count=7))
            return reads, hand_offs.count - reads
        finally:
            await db.dispose()

    assert asyncio.run(run()) == (0, 3)


def test_a_busy_database_is_read_through_the_engine_without_blocking_the_loop(
    tmp_path: Path,
) -> None:
    path = tmp_path / "db.sqlite"
    release = threading.Event()

    def hold_the_file_exclusively() -> None:
        # In WAL mode only an exclusive locking mode keeps readers out.
        locker = sqlite3.connect(path, isolation_level=None)
        locker.execute("PRAGMA locking_mode=EXCLUSIVE")
        locker.execute("BEGIN EXCLUSIVE")
        locker.execute("UPDATE things SET count = 5 WHERE id = 't2'")
        locker.execute("COMMIT")
        locked.set()
        release.wait(10)
        locker.close()

    locked = threading.Event()

    async def run() -> tuple[dict[str, Any] | None, int]:
        db = Database(_url(None, tmp_path))
        try:
            await _fill(db)
            await db.dispose()  # no connection of ours may hold the file open
            holder = threading.Thread(target=hold_the_file_exclusively)
            holder.start()
            assert locked.wait(10)
            ticks = 0

            async def tick() -> None:
                nonlocal ticks
                while True:
                    await asyncio.sleep(0.01)
                    ticks += 1

            ticker = asyncio.create_task(tick())
            asyncio.get_running_loop().call_later(0.3, release.set)
            row = await db.point_read(THING, owner="o1", thing="t2")
            ticker.cancel()
            holder.join(10)
            return row, ticks
        finally:
            release.set()
            await db.dispose()

    row, ticks = asyncio.run(run())
    assert row is not None and row["count"] == 5  # read once the lock was gone
    assert ticks >= 10  # the loop ran on while the engine's connection waited


def test_a_point_read_takes_exactly_its_parameters(tmp_path: Path) -> None:
    async def run() -> None:
        db = Database(_url(None, tmp_path))
        try:
            await _fill(db)
            with pytest.raises(TypeError, match="owner"):
                await db.point_read(THING, thing="t1")
            with pytest.raises(TypeError, match="other"):
                await db.point_read(THING, owner="o1", thing="t1", other=1)
        finally:
            await db.dispose()

    asyncio.run(run())


def test_a_single_read_on_postgresql_is_its_own_transaction(
    pytestconfig: pytest.Config,
) -> None:
    """No BEGIN/COMMIT round trips for a lone read (the server sees no transaction
    block around it); the next flow on the same pooled connection is a transaction."""
    require_postgres(pytestconfig)

    async def in_transaction_block(conn: Any) -> bool:
        assert (await conn.execute(sa.text("SELECT 1"))).scalar_one() == 1
        raw = await conn.get_raw_connection()
        return bool(raw.driver_connection.is_in_transaction())

    async def run(url: str) -> list[bool]:
        db = Database(url)
        try:
            seen = []
            for _ in range(2):
                async with db.transaction(single_read=True) as conn:
                    seen.append(await in_transaction_block(conn))
                async with db.transaction(readonly=True) as conn:
                    seen.append(await in_transaction_block(conn))
            return seen
        finally:
            await db.dispose()

    with postgres_database() as url:
        assert asyncio.run(run(url)) == [False, True, False, True]


def _statements_through_sqlalchemy(db: Database) -> list[str]:
    """Every statement SQLAlchemy hands to the driver from now on (the pool's liveness
    check talks to the driver directly and is not among them)."""
    seen: list[str] = []
    sa.event.listen(
        db.engine.sync_engine,
        "before_cursor_execute",
        lambda _conn, _cursor, statement, *_rest: seen.append(statement),
    )
    return seen


def test_point_reads_on_postgresql_skip_sqlalchemy(pytestconfig: pytest.Config) -> None:
    """asyncpg runs the statement itself: SQLAlchemy executes nothing for a point read."""
    require_postgres(pytestconfig)

    async def run(url: str) -> tuple[list[Any], list[str]]:
        db = Database(url)
        try:
            await _fill(db)
            seen = _statements_through_sqlalchemy(db)
            rows = [await db.point_read(THING, **case) for case in CASES]
            return rows, seen
        finally:
            await db.dispose()

    with postgres_database() as url:
        rows, seen = asyncio.run(run(url))
    assert rows[0] == {**T1, "owner_banned": False}
    assert rows[3:] == [None, None]
    assert seen == []


def test_a_point_read_on_postgresql_is_its_own_liveness_check(
    pytestconfig: pytest.Config,
) -> None:
    """The pool checks a connection (one ``SELECT 1``) before the engine uses it, but
    not before a point read: the read fails on a dead connection by itself."""
    require_postgres(pytestconfig)

    async def run(url: str) -> tuple[list[str], list[str]]:
        db = Database(url)
        try:
            await _fill(db)
            raw = await db.engine.raw_connection()  # the pool's one connection
            try:
                driver: Any = raw.driver_connection
                sent: list[str] = []
                driver.add_query_logger(lambda record: sent.append(record.query))
            finally:
                raw.close()
            for case in CASES[:2]:
                await db.point_read(THING, **case)
            by_reads = list(sent)
            sent.clear()
            async with db.transaction(single_read=True) as conn:
                await conn.execute(sa.text("SELECT 2"))
            return by_reads, sent
        finally:
            await db.dispose()

    with postgres_database() as url:
        by_reads, by_engine = asyncio.run(run(url))
    assert len(by_reads) == 2 and "SELECT 1" not in by_reads
    assert by_reads[0].lstrip().upper().startswith("SELECT") and by_reads[0] == by_reads[1]
    # The check, then the engine's statement (which asyncpg's logger may not list: the
    # engine runs it as a prepared statement).
    assert by_engine[0] == "SELECT 1"


async def _drop_prepared_statements(db: Database, _url: str) -> None:
    """What a pooler in transaction mode (or anyone) may do to a connection."""
    raw = await db.engine.raw_connection()  # the pool's one connection: the reads'
    try:
        driver: Any = raw.driver_connection
        await driver.execute("DEALLOCATE ALL")
    finally:
        raw.close()


async def _close_server_side(_db: Database, url: str) -> None:
    """What a restarted or failed-over database does to every pooled connection."""
    await terminate_backends(url.rsplit("/", 1)[-1])


@pytest.mark.parametrize("breaking", [_drop_prepared_statements, _close_server_side])
def test_a_point_read_on_a_broken_connection_reads_through_the_engine(
    pytestconfig: pytest.Config, breaking: Callable[[Database, str], Awaitable[None]]
) -> None:
    """Whatever broke the pooled connection (its prepared statements gone, or the
    connection itself, which no liveness check catches before a point read), the read
    still answers, through the engine (which checks, and reconnects); the broken
    connection is not used again, and the next read is the driver's again."""
    require_postgres(pytestconfig)

    async def run(url: str) -> list[tuple[Any, int]]:
        db = Database(url)
        try:
            await _fill(db)
            seen = _statements_through_sqlalchemy(db)
            out = []
            for broken in (False, True, False):
                if broken:
                    await breaking(db, url)
                before = len(seen)
                row = await db.point_read(THING, owner="o1", thing="t1")
                out.append((row, len(seen) - before))
            return out
        finally:
            await db.dispose()

    with postgres_database() as url:
        out = asyncio.run(run(url))
    assert [row for row, _ in out] == [{**T1, "owner_banned": False}] * 3
    assert [through_engine for _, through_engine in out] == [0, 1, 0]
