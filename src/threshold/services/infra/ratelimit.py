"""Fixed-window rate limits, shared between processes through the database or Redis."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from threshold.core.clock import Clock
from threshold.core.errors import RateLimitedError
from threshold.store.db import Database
from threshold.store.repositories.rate_limits import RateLimitRepository

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
    """Counters in the database: one atomic upsert per hit, in a transaction of its own
    (:class:`~threshold.store.repositories.rate_limits.RateLimitRepository`), so a burst
    on one key queues briefly instead of holding connections.
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
            counters = RateLimitRepository(conn)
            counts = [
                await counters.hit(lim.key, _window(now, lim.window) * 1000) for lim in limits
            ]
        _over(limits, counts, now)

    async def reset(self, key: str) -> None:
        async with self._db.transaction() as conn:
            await RateLimitRepository(conn).reset(key)


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
