"""What every repository shares: a connection and small row helpers."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["Repository", "Row"]

Row = dict[str, Any]


class Repository:
    """Base: holds the connection of the current transaction."""

    table: sa.Table

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def _one(self, stmt: sa.Executable) -> Row | None:
        row = (await self.conn.execute(stmt)).mappings().first()
        return None if row is None else dict(row)

    async def _all(self, stmt: sa.Executable) -> list[Row]:
        return [dict(r) for r in (await self.conn.execute(stmt)).mappings().all()]

    async def get(self, id_: str) -> Row | None:
        """The row with this primary key, or None."""
        pk = next(iter(self.table.primary_key.columns))
        return await self._one(sa.select(self.table).where(pk == id_))

    async def get_for_update(self, id_: str) -> Row | None:
        """:meth:`get`, with the row locked to the end of the transaction on PostgreSQL
        (SQLite writers are serialized already)."""
        pk = next(iter(self.table.primary_key.columns))
        stmt = sa.select(self.table).where(pk == id_)
        if self.conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        return await self._one(stmt)

    async def insert(self, **values: Any) -> Row:
        """Insert one row and return it as given."""
        await self.conn.execute(sa.insert(self.table).values(**values))
        return values

    async def update(self, id_: str, **values: Any) -> None:
        """Update the row with this primary key."""
        pk = next(iter(self.table.primary_key.columns))
        await self.conn.execute(sa.update(self.table).where(pk == id_).values(**values))

    async def delete(self, id_: str) -> bool:
        """Delete the row; True when it existed."""
        pk = next(iter(self.table.primary_key.columns))
        result = await self.conn.execute(sa.delete(self.table).where(pk == id_))
        return bool(result.rowcount)
