"""Running a service call: rate limits first, then one transaction, then the emails."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from threshold.core.errors import ThresholdError
from threshold.services.infra.ratelimit import Limit
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import ClientState, load_client

__all__ = ["keeping_refusals", "run_transaction"]

ResultT = TypeVar("ResultT")


async def run_transaction(
    ctx: ServerContext,
    fn: Callable[[AsyncConnection], Awaitable[ResultT]],
    *,
    limits: tuple[Limit, ...] = (),
    state: ClientState | None = None,
    readonly: bool = False,
) -> ResultT:
    """Check ``limits``, run ``fn`` in one transaction, then send the flow's emails.

    With a ``state``, the request's Client is (re)loaded inside the transaction first.
    ``readonly`` is passed to :meth:`Database.transaction`.

    When ``fn`` raises a :class:`ThresholdError` with ``after_rollback`` set (a failed
    password or code, whose count must survive the rollback), that work runs in a
    transaction of its own before the error propagates.
    """
    await ctx.limiter.hit_all(limits)
    async with keeping_refusals(ctx), ctx.db.transaction(readonly=readonly) as conn:
        if state is not None:
            state.client = await load_client(conn, state.new_token or state.cookie_token)
        result = await fn(conn)
    if state is not None and state.mails:
        ctx.mailer.send_later(state.mails)
        state.mails = []
    return result


@asynccontextmanager
async def keeping_refusals(ctx: ServerContext) -> AsyncIterator[None]:
    """Let a :class:`ThresholdError` through, after running its ``after_rollback`` work
    (a failed password's count, a lapsed session marked expired) in a transaction of
    its own, since the refused work itself is rolled back or was only read."""
    try:
        yield
    except ThresholdError as exc:
        if exc.after_rollback is not None:
            async with ctx.db.transaction() as conn:
                await exc.after_rollback(conn)
        raise
