"""aiosqlite with one thread hand-off per statement.

aiosqlite runs every sqlite3 call on its connection's worker thread, and SQLAlchemy's
adapter makes four such calls for each statement: open a cursor, execute, fetch the
rows, close the cursor. Each call is a hand-off from the event loop to the thread and
back (a queue put, a thread wake-up, a loop wake-up), and on a token refresh or a
sign-in those hand-offs cost more than the SQL. Here a statement's four steps run in
one call on the thread, and the cursor SQLAlchemy sees only hands back what that call
kept. A commit or rollback with no transaction open makes no hand-off at all. The
worker thread and the errors are aiosqlite's own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Generator, Iterable, Sequence
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import make_url

__all__ = ["OneHopConnection", "async_creator", "connect_arguments"]

_Description = tuple[tuple[Any, ...], ...] | None
_Outcome = tuple[_Description, list[Any], int, int | None]


def _run(db: sqlite3.Connection, sql: str, parameters: Any, many: Iterable[Any] | None) -> _Outcome:
    """One statement, start to finish, on the connection's thread."""
    cursor = db.cursor()
    try:
        if many is not None:
            cursor.executemany(sql, many)
        elif parameters is None:
            cursor.execute(sql)
        else:
            cursor.execute(sql, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class _Cursor:
    """The cursor SQLAlchemy's aiosqlite adapter reads: what one statement left behind."""

    def __init__(self, connection: OneHopConnection) -> None:
        self._connection = connection
        self.description: _Description = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1
        self._rows: list[Any] = []
        self._next = 0

    async def _run(self, sql: str, parameters: Any, many: Iterable[Any] | None) -> _Cursor:
        # aiosqlite's own sqlite3 connection and its queue to the worker thread
        db = self._connection._conn
        execute: Callable[..., Awaitable[_Outcome]] = self._connection._execute
        outcome = await execute(_run, db, sql, parameters, many)
        self.description, self._rows, self.rowcount, self.lastrowid = outcome
        self._next = 0
        return self

    async def execute(self, sql: str, parameters: Any = None) -> _Cursor:
        return await self._run(sql, parameters, None)

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> _Cursor:
        return await self._run(sql, None, list(parameters))

    async def fetchone(self) -> Any:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        start = self._next
        self._next = min(len(self._rows), start + (size or self.arraysize))
        return self._rows[start : self._next]

    async def fetchall(self) -> Sequence[Any]:
        rows = self._rows[self._next :]
        self._next = len(self._rows)
        return rows

    async def close(self) -> None:
        self._rows = []

    async def __aenter__(self) -> _Cursor:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


class _Opening:
    """What ``cursor()`` returns: awaited (SQLAlchemy 2.0) or entered (2.1), as with
    aiosqlite's own; no hand-off, since the sqlite3 cursor is made with the statement."""

    def __init__(self, cursor: _Cursor) -> None:
        self._cursor = cursor

    def __await__(self) -> Generator[Any, None, _Cursor]:
        return self._ready().__await__()

    async def _ready(self) -> _Cursor:
        return self._cursor

    async def __aenter__(self) -> _Cursor:
        return self._cursor

    async def __aexit__(self, *exc_info: object) -> None:
        await self._cursor.close()


class OneHopConnection(aiosqlite.Connection):
    """aiosqlite's connection, whose cursors run each statement in one hand-off."""

    def cursor(self) -> _Opening:  # type: ignore[override]
        return _Opening(_Cursor(self))

    # sqlite3 ignores a commit or rollback outside a transaction; answering that here
    # saves the hand-off, notably the pool's rollback each time a connection returns.
    # No statement runs on the thread meanwhile: SQLAlchemy awaits each one.

    async def commit(self) -> None:
        if self.in_transaction:
            await super().commit()

    async def rollback(self) -> None:
        if self.in_transaction:
            await super().rollback()


def connect_arguments(url: str) -> tuple[list[Any], dict[str, Any]]:
    """The ``sqlite3.connect`` arguments SQLAlchemy's aiosqlite dialect uses for ``url``."""
    args, kwargs = SQLiteDialect_aiosqlite().create_connect_args(make_url(url))
    return list(args), dict(kwargs)


def async_creator(url: str) -> Callable[[], Awaitable[OneHopConnection]]:
    """SQLAlchemy's ``async_creator`` for a ``sqlite+aiosqlite`` URL, connecting with the
    arguments its aiosqlite dialect would use."""
    args, kwargs = connect_arguments(url)

    async def connect() -> OneHopConnection:
        connection = OneHopConnection(partial(sqlite3.connect, *args, **kwargs), 64)
        # As SQLAlchemy does for aiosqlite: a connection left open must not keep the
        # process alive (the thread is the connection itself before aiosqlite 0.22).
        thread: Any = getattr(connection, "_thread", connection)
        thread.daemon = True
        await connection
        return connection

    return connect
