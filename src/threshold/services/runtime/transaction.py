"""Running a service call: rate limits first, then one transaction, then the emails."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from threshold.core.clock import Clock, SystemClock
from threshold.core.errors import ThresholdError
from threshold.services.infra.mail import Mail
from threshold.services.infra.ratelimit import Limit
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import ClientState, load_client

__all__ = ["AfterCommit", "Tx", "keeping_refusals", "run_transaction"]

ResultT = TypeVar("ResultT")


@dataclass
class AfterCommit:
    """What a service call must do once its transaction has committed, and only then.

    Emails are collected here and handed to the mailer after the commit; a transaction
    that rolls back drops them. This is the one place for such effects (webhook events
    are written in the transaction itself, so that they commit or roll back with it;
    the count of them written here wakes the dispatcher after the commit).
    """

    mails: list[Mail] = field(default_factory=list)
    webhook_events: int = 0

    def mail(self, message: Mail) -> None:
        """Send ``message`` once the transaction commits."""
        self.mails.append(message)


@dataclass(frozen=True, slots=True)
class Tx:
    """One open transaction as a service sees it: the connection its repositories use,
    and what must happen after it commits."""

    conn: AsyncConnection
    after_commit: AfterCommit = field(default_factory=AfterCommit)
    clock: Clock = field(default_factory=SystemClock)
    """The server's clock (what a record written in the transaction is stamped with)."""


async def run_transaction(
    ctx: ServerContext,
    fn: Callable[[Tx], Awaitable[ResultT]],
    *,
    limits: tuple[Limit, ...] = (),
    state: ClientState | None = None,
    readonly: bool = False,
) -> ResultT:
    """Check ``limits``, run ``fn`` in one transaction, then do what it left for after
    the commit (:class:`AfterCommit`).

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
        tx = Tx(conn, clock=ctx.clock)
        result = await fn(tx)
    if tx.after_commit.mails:
        ctx.mailer.send_later(tx.after_commit.mails)
    if tx.after_commit.webhook_events:
        ctx.webhook_wakeup.set()
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
                await exc.after_rollback(Tx(conn, clock=ctx.clock))
        raise
