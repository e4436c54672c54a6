"""Small steps the webhook tests share."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import standardwebhooks.webhooks
from svix.webhooks import Webhook

from tests.webhooks.receiver import Received
from threshold.core.clock import FrozenClock
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.services.webhooks.events import emit

__all__ = ["USER", "emit_one", "svix_at", "svix_verify"]

USER: dict[str, Any] = {
    "object": "user",
    "id": "user_2aaaaaaaaaaaaaaaaaaaaaaaaaa",
    "first_name": "Ada",
}


async def emit_one(
    ctx: ServerContext, event_type: str = "user.created", data: dict[str, Any] | None = None
) -> str:
    async def work(tx: Tx) -> str:
        return await emit(tx, event_type, data or USER)

    return await run_transaction(ctx, work)


@contextmanager
def svix_at(clock: FrozenClock) -> Iterator[None]:
    """The svix package's idea of now is the test clock (it checks timestamps)."""

    class At(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return datetime.fromtimestamp(clock.now(), tz=tz or UTC)

    with mock.patch.object(standardwebhooks.webhooks, "datetime", At):
        yield


def svix_verify(secret: str, request: Received) -> None:
    """The official svix package verifies the delivery (raises if not)."""
    Webhook(secret).verify(request.body, request.headers)


def emit_one_sync(server: Any, event_type: str = "user.created") -> str:
    """Emit through a live server's own context, on the server's event loop (as a
    service called by a request would), and return the event id."""
    import asyncio

    loop = server.ctx.webhook_wakeup._loop
    assert loop is not None, "the server's dispatcher is not running"
    future = asyncio.run_coroutine_threadsafe(emit_one(server.ctx, event_type), loop)
    return str(future.result(timeout=30))
