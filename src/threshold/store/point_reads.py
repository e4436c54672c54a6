"""Point reads: a SELECT that finds at most one row through an index, run on SQLite
without leaving the event loop's thread.

Every statement through aiosqlite is a hand-off to the connection's worker thread and
back. That round trip, and SQLAlchemy's per-statement work (building, cache key,
execution context, result), each cost far more CPU than the SQL of the token refresh
itself (docs/decisions.md, "point reads"). For the few reads on the hottest
paths, :class:`PointRead` compiles the statement once and runs it on a plain ``sqlite3``
connection owned by the calling thread: no thread hop, no per-call SQLAlchemy work.

This blocks the event loop for the length of the query, which is why it is only for
reads that an index answers in microseconds. The connection never waits for a lock:
it is opened with no busy timeout and ``query_only``, so when SQLite reports the
database busy (a rare state in WAL mode, where readers do not wait for writers) or any
other error, :meth:`Database.point_read <threshold.store.db.Database.point_read>` drops
the connection and reads through the engine instead, with its usual timeouts and error
handling. On PostgreSQL, asyncpg runs the compiled statement on a pooled connection
(``Database._driver_read``); other databases read through the engine.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

__all__ = ["PointRead", "SqliteLoopReader", "sqlite_loop_connector"]

_Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Compiled:
    """A point read written for one dialect: SQL text, how to bind, how to read a row."""

    sql: str
    slots: tuple[tuple[str | None, Any, _Processor], ...]
    """Per ``?`` in ``sql``: (parameter name or None for a fixed value, the fixed value,
    the type's bind processor)."""
    keys: tuple[str, ...]
    results: tuple[tuple[int, Callable[[Any], Any]], ...]
    """(column index, result processor) for the columns whose type converts values."""

    def parameters(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        out = []
        for name, fixed, bind in self.slots:
            value = fixed if name is None else params[name]
            out.append(value if bind is None else bind(value))
        return tuple(out)

    def row(self, values: tuple[Any, ...]) -> dict[str, Any]:
        row = dict(zip(self.keys, values, strict=True))
        for index, process in self.results:
            key = self.keys[index]
            row[key] = process(row[key])
        return row


class PointRead:
    """A SELECT with named :func:`sqlalchemy.bindparam` parameters that finds at most
    one row through an index, read as a dict (as ``.mappings().first()`` would give).

    Define it once at import time; :meth:`Database.point_read` runs it. Expanding
    (``IN``) parameters are not supported: a point read has a fixed shape.
    """

    def __init__(self, statement: sa.Select[Any]) -> None:
        self.statement = statement
        binds = statement.compile().binds.values()
        self.parameter_names = frozenset(bind.key for bind in binds if bind.required)
        self._compiled: dict[str, _Compiled] = {}

    def compiled(self, dialect: Dialect) -> _Compiled:
        """The statement written for ``dialect`` (compiled once per dialect name)."""
        form = self._compiled.get(dialect.name)
        if form is None:
            form = self._compiled[dialect.name] = self._compile(dialect)
        return form

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        if compiled.positiontup is None:
            raise ValueError(f"{dialect.name} does not use positional parameters")
        slots: list[tuple[str | None, Any, _Processor]] = []
        for name in compiled.positiontup:
            bind = compiled.binds[name]
            if bind.expanding:
                raise ValueError("a point read cannot have an expanding (IN) parameter")
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if bind.required:
                slots.append((name, None, processor))
            else:
                slots.append((None, bind.effective_value, processor))
        results = []
        for index, column in enumerate(self.statement.selected_columns):
            process = column.type.dialect_impl(dialect).result_processor(dialect, None)
            if process is not None:
                results.append((index, process))
        return _Compiled(
            sql=compiled.string,
            slots=tuple(slots),
            keys=tuple(self.statement.selected_columns.keys()),
            results=tuple(results),
        )

    def check(self, params: Mapping[str, Any]) -> None:
        """Refuse a call whose parameters are not exactly the statement's."""
        if params.keys() != self.parameter_names:
            raise TypeError(
                f"point read takes {sorted(self.parameter_names)}, got {sorted(params)}"
            )


class SqliteLoopReader:
    """Point reads on a ``sqlite3`` connection of the calling thread's own.

    Each thread (in practice: each event loop's thread) opens its connection on first
    use. The connection is read-only (``PRAGMA query_only``), in autocommit mode, so
    every statement is its own snapshot of committed data, and it never waits for a
    lock (``timeout=0``): a busy database raises at once and the caller reads another
    way. Any error closes the connection; the next read opens a fresh one.
    """

    def __init__(self, dialect: Dialect, connect: Callable[[], sqlite3.Connection]) -> None:
        self._dialect = dialect
        self._connect = connect
        self._local = threading.local()

    def read(self, read: PointRead, params: Mapping[str, Any]) -> dict[str, Any] | None:
        """The row, or None; raises :class:`sqlite3.Error` when SQLite could not answer
        at once (the connection is dropped then)."""
        form = read.compiled(self._dialect)
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        try:
            if conn is None:
                conn = self._local.conn = self._open()
            values = conn.execute(form.sql, form.parameters(params)).fetchone()
        except sqlite3.Error:
            self.close()
            raise
        return None if values is None else form.row(values)

    def _open(self) -> sqlite3.Connection:
        conn = self._connect()
        try:
            conn.execute("PRAGMA query_only = ON")
        except sqlite3.Error:
            conn.close()
            raise
        return conn

    def close(self) -> None:
        """Close this thread's connection, if it has one."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            conn.close()


def sqlite_loop_connector(
    args: list[Any], kwargs: dict[str, Any]
) -> Callable[[], sqlite3.Connection]:
    """How :class:`SqliteLoopReader` connects, from the engine's own connect arguments:
    same file, but owned by one thread, autocommit, and no wait for locks."""
    options = {**kwargs, "check_same_thread": True, "isolation_level": None, "timeout": 0}

    def connect() -> sqlite3.Connection:
        conn: sqlite3.Connection = sqlite3.connect(*args, **options)
        return conn

    return connect
