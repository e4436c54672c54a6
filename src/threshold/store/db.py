"""The async engine: SQLite (file, WAL) by default, PostgreSQL via asyncpg."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.util import await_only

from threshold.core.errors import UnavailableError
from threshold.store.point_reads import PointRead, SqliteLoopReader, sqlite_loop_connector
from threshold.store.sqlite_driver import async_creator, connect_arguments

__all__ = ["Database", "is_sqlite_url"]

Row = dict[str, Any]
"""A row read by a point read, as ``.mappings().first()`` would give it (never past the
store: repositories turn rows into records)."""


def is_sqlite_url(url: str) -> bool:
    return url.startswith("sqlite")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see _sqlite_begin)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    # Writers take the write lock up front so concurrent writers queue on busy_timeout
    # instead of failing when a read lock is upgraded; read-only work stays deferred, and
    # a single read needs no BEGIN at all (SQLite runs a lone statement as its own
    # transaction).
    options = conn.get_execution_options()
    if options.get("threshold_single_read", False):
        return
    readonly = options.get("threshold_readonly", False)
    conn.exec_driver_sql("BEGIN DEFERRED" if readonly else "BEGIN IMMEDIATE")


_READ_CHECKS_ITSELF: ContextVar[bool] = ContextVar("threshold_read_checks_itself", default=False)
"""True while a driver point read takes a connection from the pool: it skips the
liveness check, because the read's own failure already discards the connection and
reads through the engine, which checks (``Database._driver_read``)."""


def _ping_asyncpg(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """The pool's liveness check of a connection before each use, in one round trip of
    the simple query protocol (SQLAlchemy's own pre-ping wraps asyncpg's in BEGIN and
    ROLLBACK: three). A dead connection is replaced; the pool retries with a new one."""
    if _READ_CHECKS_ITSELF.get():
        return
    try:
        await_only(record.driver_connection.execute("SELECT 1"))  # no prepare, one round trip
    except Exception as exc:
        raise DisconnectionError("connection lost") from exc


class Database:
    """Owns the engine. ``transaction()`` runs one service step in one transaction."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        kwargs: dict[str, Any] = {"echo": echo}
        self._loop_reader: SqliteLoopReader | None = None
        asyncpg = False
        if is_sqlite_url(url):
            path = url.split(":///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            kwargs["async_creator"] = async_creator(url)
        else:
            asyncpg = make_url(url).get_driver_name() == "asyncpg"
            kwargs.update(pool_pre_ping=not asyncpg, pool_size=10, max_overflow=20, pool_timeout=30)
            kwargs["connect_args"] = {"timeout": 5, "command_timeout": 10}
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        self._driver_reads = asyncpg
        if asyncpg:  # its own liveness check in place of the pre-ping
            event.listen(self.engine.sync_engine, "checkout", _ping_asyncpg)
        # SQLite has one writer. Writers of this process queue here, in order, instead of
        # in SQLite's busy handler, which sleeps 1, 2, 5, 10 ... ms between tries and so
        # turns a short wait into a long one under load. Other processes on the same file
        # still meet busy_timeout.
        self._writer: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
        if is_sqlite_url(url):
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
            args, connect_kwargs = connect_arguments(url)
            if args and args[0] not in ("", ":memory:"):  # a file: every connection sees it
                connect = sqlite_loop_connector(args, connect_kwargs)
                self._loop_reader = SqliteLoopReader(self.engine.dialect, connect)

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite_url(self.url)

    def _writer_queue(self) -> asyncio.Lock:
        """This event loop's SQLite writer lock (a lock serves one loop only)."""
        loop = asyncio.get_running_loop()
        if self._writer is None or self._writer[0] is not loop:
            self._writer = (loop, asyncio.Lock())
        return self._writer[1]

    @asynccontextmanager
    async def transaction(
        self, *, readonly: bool = False, single_read: bool = False
    ) -> AsyncIterator[AsyncConnection]:
        """One transaction: committed on success, rolled back on any error.

        ``single_read`` promises exactly one read statement, which is then its own
        snapshot, so no BEGIN or COMMIT is sent: two hand-offs to the driver's thread
        fewer on SQLite, two round trips fewer on PostgreSQL (autocommit). A lost or
        refused database connection becomes :class:`UnavailableError` (503).
        """
        readonly = readonly or single_read
        queue = self._writer_queue() if self.is_sqlite and not readonly else None
        async with queue or contextlib.nullcontext(), self._connected() as conn:
            if readonly:
                await conn.execution_options(
                    threshold_readonly=True, threshold_single_read=single_read
                )
            if single_read:
                if not self.is_sqlite:  # SQLite: closing the connection ends its read
                    # One statement is its own transaction: no BEGIN and COMMIT round
                    # trips. The pool restores the isolation level on return.
                    await conn.execution_options(isolation_level="AUTOCOMMIT")
                yield conn
                return
            async with conn.begin():
                yield conn

    @asynccontextmanager
    async def _connected(self) -> AsyncIterator[AsyncConnection]:
        """A pooled connection; a lost or refused one (also while in use) becomes
        :class:`UnavailableError`, and so does a pool that stays exhausted."""
        try:
            async with self.engine.connect() as conn:
                yield conn
        except PoolTimeoutError as exc:
            raise UnavailableError("The server is busy. Please try again shortly.") from exc
        except (OperationalError, DBAPIError, OSError, ConnectionError) as exc:
            if isinstance(exc, DBAPIError) and not _is_connection_problem(exc):
                raise
            raise UnavailableError() from exc

    async def point_read(self, read: PointRead, /, **params: Any) -> Row | None:
        """Run a :class:`PointRead`: the one row it finds, as a dict, or None.

        The row is committed data as of the statement (no transaction is held). On a
        SQLite file the read runs on this thread's own connection without leaving the
        event loop; on PostgreSQL (asyncpg) the pooled connection's driver runs the
        statement itself. If that fast read cannot answer (SQLite busy, a broken
        connection, any error), it is read through the engine like any
        :meth:`transaction` (``single_read``), whose errors are the usual ones.
        """
        read.check(params)
        if self._loop_reader is not None:
            try:
                return self._loop_reader.read(read, params)
            except sqlite3.Error:
                pass  # the engine's connection waits for locks and reports errors
        elif self._driver_reads:
            with contextlib.suppress(_DriverReadError):
                return await self._driver_read(read, params)
        async with self.transaction(single_read=True) as conn:
            row = (await conn.execute(read.statement, params)).mappings().first()
        return None if row is None else dict(row)

    async def _driver_read(self, read: PointRead, params: Mapping[str, Any]) -> Row | None:
        """asyncpg runs the compiled statement on a pooled connection (it prepares it
        once per connection and keeps it), without SQLAlchemy's per-statement work
        (docs/decisions.md, "point reads on PostgreSQL"). No transaction is opened, so
        the statement is its own snapshot. An error invalidates the connection (it may
        be broken, or its prepared statements gone, as a pooler in transaction mode
        does) and raises :class:`_DriverReadError`.
        That is why the pool's liveness check is skipped here: a dead connection fails
        the read itself and the engine reads instead, one round trip saved per read."""
        form = read.compiled(self.engine.dialect)
        unchecked = _READ_CHECKS_ITSELF.set(True)  # the read is the liveness check
        try:
            async with self._connected() as conn:
                raw = await conn.get_raw_connection()
                driver: Any = raw.driver_connection  # asyncpg's Connection
                try:
                    record = await driver.fetchrow(form.sql, *form.parameters(params))
                except BaseException as exc:
                    await conn.invalidate()
                    if isinstance(exc, Exception):
                        raise _DriverReadError from exc
                    raise  # cancelled: the connection may be mid-statement
        finally:
            _READ_CHECKS_ITSELF.reset(unchecked)
        return None if record is None else form.row(tuple(record))

    async def dispose(self) -> None:
        if self._loop_reader is not None:
            self._loop_reader.close()
        await self.engine.dispose()

    async def current_revision(self) -> str | None:
        """The Alembic revision of the database, or None when unmigrated."""
        async with self.engine.connect() as conn:
            has = await conn.run_sync(lambda c: sa.inspect(c).has_table("alembic_version"))
            if not has:
                return None
            row = (await conn.execute(sa.text("SELECT version_num FROM alembic_version"))).first()
            return None if row is None else str(row[0])


class _DriverReadError(Exception):
    """The driver could not run a point read; the engine reads instead."""


def _is_connection_problem(exc: DBAPIError) -> bool:
    if exc.connection_invalidated:
        return True
    text = str(exc.orig).lower()
    return any(
        s in text
        for s in (
            "connection",
            "could not connect",
            "server closed",
            "terminat",
            "refused",
            "database is locked",
            "timeout",
            "cannot connect",
        )
    )
