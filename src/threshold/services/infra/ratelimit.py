"""Fixed-window rate limits, shared between processes through the database or Redis."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from threshold.core.clock import Clock
from threshold.core.errors import RateLimitedError
from threshold.store.db import Database
from threshold.store.tables import rate_limits

__all__ = ["DatabaseRateLimiter", "Limit", "RateLimiter", "RedisRateLimiter"]


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``limit`` hits on ``key`` per ``window`` seconds."""

    key: str
    limit: int
    window: int = 60


def _window(now: float, window: int) -> int:
    """The start, in whole seconds, of the fixed window that ``now`` falls in."""
    return int(now // window * window)


def _over(limits: Sequence[Limit], counts: Sequence[int], now: float) -> None:
    """Raise :class:`RateLimitedError` when any count is over its limit (longest wait wins)."""
    waits = [
        math.ceil(_window(now, lim.window) + lim.window - now)
        for lim, count in zip(limits, counts, strict=True)
        if count > lim.limit
    ]
    if waits:
        raise RateLimitedError(retry_after=max(waits))


class RateLimiter(Protocol):
    """Counts hits per key in fixed windows."""

    async def hit(self, key: str, limit: int, window: int) -> None:
        """Count one hit; raise :class:`RateLimitedError` when over ``limit`` per ``window`` s."""
        ...

    async def hit_all(self, limits: Sequence[Limit]) -> None:
        """Count one hit on every limit at once (one round trip); raise when any is over."""
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
        await self.hit_all((Limit(key, limit, window),))

    async def hit_all(self, limits: Sequence[Limit]) -> None:
        if not limits:
            return
        now = self._clock.now()
        async with self._db.transaction() as conn:
            counts = [
                await self._upsert(conn, lim.key, _window(now, lim.window) * 1000) for lim in limits
            ]
        _over(limits, counts, now)

    @staticmethod
    async def _upsert(conn: AsyncConnection, key: str, start: int) -> int:
        upsert = _upsert_statement(conn.dialect.name)
        return int((await conn.execute(upsert, {"key": key, "window_start": start})).scalar_one())

    async def reset(self, key: str) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(sa.delete(rate_limits).where(rate_limits.c.key == key))


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


class RedisRateLimiter:
    """Counters in Redis (INCR + EXPIRE), shared by every server process."""

    def __init__(self, url: str, clock: Clock) -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url)
        self._clock = clock

    async def hit(self, key: str, limit: int, window: int) -> None:
        await self.hit_all((Limit(key, limit, window),))

    async def hit_all(self, limits: Sequence[Limit]) -> None:
        if not limits:
            return
        now = self._clock.now()
        async with self._redis.pipeline(transaction=True) as pipe:
            for lim in limits:
                rkey = f"threshold:rl:{lim.key}:{_window(now, lim.window)}"
                pipe.incr(rkey)
                pipe.expire(rkey, lim.window + 1)
            replies = await pipe.execute()
        _over(limits, [int(count) for count in replies[::2]], now)

    async def reset(self, key: str) -> None:
        keys = [k async for k in self._redis.scan_iter(f"threshold:rl:{key}:*")]
        if keys:
            await self._redis.delete(*keys)

    async def close(self) -> None:
        await self._redis.aclose()
