"""A nudge for the webhook dispatcher: set after a commit that wrote events."""

from __future__ import annotations

import asyncio
import contextlib

__all__ = ["Wakeup"]


class Wakeup:
    """Set from anywhere; the dispatcher waits on it with a timeout.

    The underlying :class:`asyncio.Event` belongs to the loop the dispatcher waits in,
    made there on first use (the context is built before that loop may run). A set from
    another loop or thread (a test driving the services from its own loop) is handed to
    the waiting loop thread-safely.
    """

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def set(self) -> None:
        event, loop = self._event, self._loop
        if event is None or loop is None:
            return  # nobody waits yet: the dispatcher looks at the outbox when it starts
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            event.set()
        elif not loop.is_closed():
            loop.call_soon_threadsafe(event.set)

    async def wait(self, timeout: float) -> bool:
        """Wait until set or ``timeout`` seconds pass; True when set. Clears it."""
        loop = asyncio.get_running_loop()
        if self._event is None or self._loop is not loop:
            self._event, self._loop = asyncio.Event(), loop
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), max(timeout, 0))
        woken = event.is_set()
        event.clear()
        return woken
