"""Fixed-window counters in the ``rate_limits`` table."""

from __future__ import annotations

import functools

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from threshold.store.tables import rate_limits

__all__ = ["RateLimitRepository"]


@functools.cache
def _upsert_statement(dialect: str) -> sa.Executable:
    """One hit on a key in the window starting at ``window_start`` (both parameters),
    returning the key's count; built once per dialect."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    stmt = insert(rate_limits).values(count=1)
    same_window = stmt.excluded.window_start == rate_limits.c.window_start
    return stmt.on_conflict_do_update(
        index_elements=["key"],
        set_={
            "count": sa.case((same_window, rate_limits.c.count + 1), else_=1),
            "window_start": stmt.excluded.window_start,
        },
    ).returning(rate_limits.c.count)


class RateLimitRepository:
    """Hit counts per key. ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` (PostgreSQL
    and SQLite alike) holds a key's row only for that one statement."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def hit(self, key: str, window_start_ms: int) -> int:
        """Count one hit on ``key`` in the window starting then; returns the window's count."""
        upsert = _upsert_statement(self.conn.dialect.name)
        params = {"key": key, "window_start": window_start_ms}
        return int((await self.conn.execute(upsert, params)).scalar_one())

    async def reset(self, key: str) -> None:
        """Forget the key's count."""
        await self.conn.execute(sa.delete(rate_limits).where(rate_limits.c.key == key))
