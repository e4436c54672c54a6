"""What every repository shares: a connection and small row helpers."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["Repository", "Row"]

Row = dict[str, Any]


_PK = "threshold_pk"
"""The bind parameter naming a row's primary key in the statements below (a name no
column has, since SQLAlchemy reserves column names for the SET and VALUES clauses)."""


@dataclass(frozen=True)
class _ByKey:
    """One table's statements by primary key, built once: SQLAlchemy then finds their
    compiled form from the statement itself, where a statement built anew for every
    call has its cache key computed again on each execution (docs/decisions.md,
    "statements"). UPDATE and INSERT take their columns from the parameters."""

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
        select=sa.select(table).where(where),
        select_for_update=sa.select(table).where(where).with_for_update(),
        update=sa.update(table).where(where),
        delete=sa.delete(table).where(where),
        insert=sa.insert(table),
    )


class Repository:
    """Base: holds the connection of the current transaction."""

    table: sa.Table

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def _one(self, stmt: sa.Executable, params: dict[str, Any] | None = None) -> Row | None:
        row = (await self.conn.execute(stmt, params)).mappings().first()
        return None if row is None else dict(row)

    async def _all(self, stmt: sa.Executable, params: dict[str, Any] | None = None) -> list[Row]:
        return [dict(r) for r in (await self.conn.execute(stmt, params)).mappings().all()]

    async def get(self, id_: str) -> Row | None:
        """The row with this primary key, or None."""
        return await self._one(_by_key(self.table).select, {_PK: id_})

    async def get_for_update(self, id_: str) -> Row | None:
        """:meth:`get`, with the row locked to the end of the transaction on PostgreSQL
        (SQLite writers are serialized already)."""
        statements = _by_key(self.table)
        if self.conn.dialect.name == "postgresql":
            return await self._one(statements.select_for_update, {_PK: id_})
        return await self._one(statements.select, {_PK: id_})

    async def insert(self, **values: Any) -> Row:
        """Insert one row and return it as given."""
        await self.conn.execute(_by_key(self.table).insert, values)
        return values

    async def update(self, id_: str, **values: Any) -> None:
        """Update the row with this primary key (nothing to do without ``values``)."""
        if values:
            await self.conn.execute(_by_key(self.table).update, {**values, _PK: id_})

    async def delete(self, id_: str) -> bool:
        """Delete the row; True when it existed."""
        result = await self.conn.execute(_by_key(self.table).delete, {_PK: id_})
        return bool(result.rowcount)
