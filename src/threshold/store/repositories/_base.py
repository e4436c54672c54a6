"""What every repository shares: a connection, statements by primary key, records.

Repositories return records (``threshold.core.records``); the rows they are read from
(:data:`Row`) never leave the store.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from threshold.core.errors import DuplicateError
from threshold.core.records.listing import Listed, Page
from threshold.store.repositories._records import changed_values, column_values, record_of
from threshold.store.repositories.listing import Condition, page_statement

__all__ = ["Repository", "Row", "refusing_duplicates"]

Row = dict[str, Any]
RecordT = TypeVar("RecordT")


_PK = "threshold_pk"
"""The bind parameter naming a row's primary key in the statements below (a name no
column has, since SQLAlchemy reserves column names for the SET and VALUES clauses)."""


@dataclass(frozen=True)
class _ByKey:
    """One table's statements by primary key, built once: SQLAlchemy then finds their
    compiled form from the statement itself, where a statement built anew for every
    call has its cache key computed again on each execution (docs/decisions.md,
    "statements"). UPDATE and INSERT take their columns from the parameters."""

    key: str
    select: sa.Select[Any]
    select_for_update: sa.Select[Any]
    update: sa.Update
    delete: sa.Delete
    insert: sa.Insert


@functools.cache
def _by_key(table: sa.Table) -> _ByKey:
    pk = next(iter(table.primary_key.columns))
    where = pk == sa.bindparam(_PK)
    return _ByKey(
        key=pk.key,
        select=sa.select(table).where(where),
        select_for_update=sa.select(table).where(where).with_for_update(),
        update=sa.update(table).where(where),
        delete=sa.delete(table).where(where),
        insert=sa.insert(table),
    )


@asynccontextmanager
async def refusing_duplicates(
    conn: AsyncConnection, field: str | None = None, *, named: Mapping[str, str] | None = None
) -> AsyncIterator[None]:
    """Run the block's writes in a savepoint; a unique index refusing them raises
    :class:`DuplicateError`. The field it names is the first of ``named`` (text of the
    database's message -> field) the message mentions, else ``field``; with neither, the
    database's own error goes on."""
    try:
        async with conn.begin_nested():
            yield
    except IntegrityError as exc:
        text = str(exc.orig).lower()
        found = next((f for part, f in (named or {}).items() if part in text), field)
        if found is None:
            raise
        raise DuplicateError(found) from exc


class Repository(Generic[RecordT]):
    """Base: the connection of the current transaction, one table, one record class."""

    table: ClassVar[sa.Table]
    record: ClassVar[type[Any]]

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    def _record(self, row: Mapping[Any, Any]) -> RecordT:
        made: RecordT = record_of(self.record, row)
        return made

    async def _one(
        self, stmt: sa.Executable, params: dict[str, Any] | None = None
    ) -> RecordT | None:
        row = (await self.conn.execute(stmt, params)).mappings().first()
        return None if row is None else self._record(row)

    async def _all(
        self, stmt: sa.Executable, params: dict[str, Any] | None = None
    ) -> list[RecordT]:
        return [self._record(r) for r in (await self.conn.execute(stmt, params)).mappings()]

    async def get(self, id_: str) -> RecordT | None:
        """The record with this primary key, or None."""
        return await self._one(_by_key(self.table).select, {_PK: id_})

    async def get_for_update(self, id_: str) -> RecordT | None:
        """:meth:`get`, with the row locked to the end of the transaction on PostgreSQL
        (SQLite writers are serialized already)."""
        statements = _by_key(self.table)
        if self.conn.dialect.name == "postgresql":
            return await self._one(statements.select_for_update, {_PK: id_})
        return await self._one(statements.select, {_PK: id_})

    async def insert(self, record: RecordT) -> RecordT:
        """Store a new record; returns it."""
        await self.conn.execute(_by_key(self.table).insert, column_values(record, self.table))
        return record

    async def update(self, old: RecordT, new: RecordT) -> RecordT:
        """Store ``new`` (``dataclasses.replace`` of ``old``): only the columns that differ
        are written, so concurrent changes to the others are kept. Returns ``new``."""
        values = changed_values(old, new, self.table)
        if values:
            statements = _by_key(self.table)
            await self.conn.execute(
                statements.update, {**values, _PK: getattr(old, statements.key)}
            )
        return new

    async def delete(self, id_: str) -> bool:
        """Delete the row; True when it existed."""
        result = await self.conn.execute(_by_key(self.table).delete, {_PK: id_})
        return bool(result.rowcount)

    async def _insert_values(self, **values: Any) -> None:
        """Insert one row from column values (for a repository whose records do not map
        one to one onto its columns)."""
        await self.conn.execute(_by_key(self.table).insert, values)

    async def _set(self, id_: str, **values: Any) -> None:
        """Write ``values`` to the row with this primary key (for the repositories' own
        targeted changes, such as a counter)."""
        await self.conn.execute(_by_key(self.table).update, {**values, _PK: id_})

    async def _page(
        self, where: Sequence[Condition], page: Page, allowed: Sequence[str] = ("created_at",)
    ) -> list[RecordT]:
        """The records of one page, ordered as ``page.order_by`` asks."""
        return await self._all(page_statement(self.table, where, page, allowed))

    async def _count(self, where: Sequence[Condition]) -> int:
        """How many rows match ``where``."""
        stmt = sa.select(sa.func.count()).select_from(self.table).where(*where)
        return int((await self.conn.execute(stmt)).scalar_one())

    async def _listed(
        self, where: Sequence[Condition], page: Page, allowed: Sequence[str] = ("created_at",)
    ) -> Listed[RecordT]:
        """One page and the total count of the listing."""
        return Listed(await self._page(where, page, allowed), await self._count(where))

    async def listing(self, page: Page) -> Listed[RecordT]:
        """Every record, one page at a time (newest first by default)."""
        return await self._listed((), page)
