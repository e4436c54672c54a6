"""Fixed-window rate limits, shared between processes through the database or Redis."""

from __future__ import annotations

import math
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from threshold.core.clock import Clock
from threshold.core.errors import RateLimitedError
from threshold.store.db import Database
from threshold.store.tables import rate_limits

__all__ = ["DatabaseRateLimiter", "RateLimiter", "RedisRateLimiter"]


class RateLimiter(Protocol):
    """Counts hits per key in fixed windows."""

    async def hit(self, key: str, limit: int, window: int) -> None:
        """Count one hit; raise :class:`RateLimitedError` when over ``limit`` per ``window`` s."""
        ...

    async def reset(self, key: str) -> None: ...


class DatabaseRateLimiter:
    """Counters in the ``rate_limits`` table: one atomic upsert per hit, own transaction.

    ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` (PostgreSQL and SQLite alike)
    holds the row only for that one statement, so a burst on one key queues briefly
    instead of holding connections.
    """

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db, self._clock = db, clock

    async def hit(self, key: str, limit: int, window: int) -> None:
        now = self._clock.now()
        start = int(now // window * window) * 1000
        async with self._db.transaction() as conn:
            count = await self._upsert(conn, key, start)
        if count > limit:
            raise RateLimitedError(retry_after=math.ceil(start / 1000 + window - now))

    @staticmethod
    async def _upsert(conn: AsyncConnection, key: str, start: int) -> int:
        if conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
        stmt = insert(rate_limits).values(key=key, window_start=start, count=1)
        same_window = stmt.excluded.window_start == rate_limits.c.window_start
        upsert = stmt.on_conflict_do_update(
            index_elements=["key"],
            set_={
                "count": sa.case((same_window, rate_limits.c.count + 1), else_=1),
                "window_start": stmt.excluded.window_start,
            },
        ).returning(rate_limits.c.count)
        return int((await conn.execute(upsert)).scalar_one())

    async def reset(self, key: str) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(sa.delete(rate_limits).where(rate_limits.c.key == key))


class RedisRateLimiter:
    """Counters in Redis (INCR + EXPIRE), shared by every server process."""

    def __init__(self, url: str, clock: Clock) -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url)
        self._clock = clock

    async def hit(self, key: str, limit: int, window: int) -> None:
        now = self._clock.now()
        start = int(now // window * window)
        rkey = f"threshold:rl:{key}:{start}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(rkey)
            pipe.expire(rkey, window + 1)
            count, _ = await pipe.execute()
        if int(count) > limit:
            raise RateLimitedError(retry_after=math.ceil(start + window - now))

    async def reset(self, key: str) -> None:
        keys = [k async for k in self._redis.scan_iter(f"threshold:rl:{key}:*")]
        if keys:
            await self._redis.delete(*keys)

    async def close(self) -> None:
        await self._redis.aclose()
