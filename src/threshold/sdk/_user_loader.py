"""The signed-in user of one request, from the Backend API: one call at most, whichever of
the sync and async helpers asks first, and concurrent askers share it.

Sync loading on a thread that runs an event loop (an ``async def`` handler) returns the
user if the request already loaded it, and otherwise raises :class:`BlockingCallError`
rather than stall every request on that loop. Sync handlers run in worker threads, where
it is fine.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from threshold.sdk.errors import ApiError, BlockingCallError

if TYPE_CHECKING:
    from threshold.sdk._http_clients import HttpClients
    from threshold.sdk.client.models import User

__all__ = ["UserLoader", "in_event_loop"]

_UNSET = object()


def in_event_loop() -> bool:
    """True on a thread that is running an event loop (blocking there stalls it)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class UserLoader:
    """Loads the user ``user_id`` with ``clients``' Backend API clients, once."""

    __slots__ = ("_clients", "_lock", "_task", "_user", "_user_id")

    def __init__(self, user_id: str, clients: HttpClients) -> None:
        self._user_id = user_id
        self._clients = clients
        self._user: object = _UNSET
        self._lock = threading.Lock()
        self._task: asyncio.Future[User | None] | None = None

    def load_sync(self) -> User | None:
        """The user (None if deleted), with a blocking call the first time."""
        if self._user is not _UNSET:
            return self._user  # type: ignore[return-value]
        if in_event_loop():
            raise BlockingCallError(
                "current_user() was called on a running event loop; "
                "use `await acurrent_user()` in async code."
            )
        with self._lock:
            if self._user is _UNSET:
                self._user = _fetch_or_none(lambda: self._clients.api().users.get(self._user_id))
        return self._user  # type: ignore[return-value]

    async def load_async(self) -> User | None:
        """Async twin of :meth:`load_sync`; concurrent callers share one call."""
        if self._user is not _UNSET:
            return self._user  # type: ignore[return-value]
        task = self._task
        if task is None or task.get_loop() is not asyncio.get_running_loop():
            task = asyncio.ensure_future(self._load())
            self._task = task
        return await asyncio.shield(task)

    async def _load(self) -> User | None:
        try:
            user = await self._clients.aapi().users.get(self._user_id)
        except ApiError as exc:
            if exc.status != 404:
                raise
            user = None
        self._user = user
        return user


def _fetch_or_none(fetch: Callable[[], User]) -> User | None:
    try:
        user = fetch()
    except ApiError as exc:
        if exc.status == 404:
            return None
        raise
    return user
