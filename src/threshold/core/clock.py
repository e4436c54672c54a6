"""Time, injectable so tests can freeze or move it."""

from __future__ import annotations

import time
from typing import Protocol

__all__ = ["Clock", "FrozenClock", "SystemClock", "to_ms"]


class Clock(Protocol):
    """Anything that tells the current time in seconds since the epoch."""

    def now(self) -> float: ...


class SystemClock:
    """The real wall clock."""

    now = staticmethod(time.time)
    """Seconds since the epoch (``time.time`` itself: no Python call on every request)."""


class FrozenClock:
    """A clock that only moves when told to (tests)."""

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds


def to_ms(seconds: float) -> int:
    """Seconds since the epoch as the integer milliseconds Clerk's objects carry."""
    return int(seconds * 1000)
