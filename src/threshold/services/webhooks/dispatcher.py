"""The dispatcher: turns the outbox into signed deliveries, inside ``threshold serve``.

Each round, while this process holds the lease (one dispatcher per deployment, however
many processes run):

1. renew the lease when half of it has run out;
2. fan out: one delivery per new event and active endpoint that wants its type;
3. claim due deliveries, as many as there are free slots, and attempt them on tasks of
   their own: each claim pushes ``next_attempt_at`` past the attempt's timeout first, so
   a process that dies mid-attempt leaves the delivery due again, with the same id;
4. record each outcome (``outcomes``), then wake the loop for the next round;
5. now and then, drop the delivery log past its retention.

A commit that emitted events wakes the loop (``ServerContext.webhook_wakeup``); it
also looks every ``POLL_SECONDS`` (events emitted by the other processes, retries
falling due). Times in the database come from the server's clock, so tests move it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from threshold.core.ids import new_id, random_token
from threshold.core.records.webhooks import DeliveryStatus
from threshold.core.webhook_signing import secret_key, signed_headers
from threshold.services.runtime.context import ServerContext
from threshold.services.webhooks.addresses import AddressPolicy
from threshold.services.webhooks.outcomes import Claimed, record_outcome
from threshold.services.webhooks.sender import Sender
from threshold.store.repositories.webhook_endpoints import WebhookEndpointRepository
from threshold.store.repositories.webhook_outbox import LeaseRepository, WebhookOutboxRepository
from threshold.wire.webhooks import event_body

__all__ = ["LEASE_NAME", "POLL_SECONDS", "Dispatcher", "policy_for"]

log = logging.getLogger("threshold.webhooks")

LEASE_NAME = "webhook-dispatcher"
POLL_SECONDS = 1.0
_BATCH = 100
_SLOTS = 32
_PRUNE_EVERY_MS = 3600 * 1000
_ERROR_PAUSE = 5.0


def policy_for(ctx: ServerContext) -> AddressPolicy:
    settings = ctx.settings
    return AddressPolicy(
        production=not settings.is_development,
        allowed_networks=settings.webhook_allowed_networks,
    )


class Dispatcher:
    """Delivers the outbox while it holds the lease. ``start``/``stop`` in the server's
    lifespan; tests drive :meth:`run_once` and :meth:`drain` themselves."""

    def __init__(
        self, ctx: ServerContext, *, sender: Sender | None = None, slots: int = _SLOTS
    ) -> None:
        self.ctx = ctx
        self.sender = sender or Sender(policy_for(ctx), timeout=ctx.settings.webhook_timeout)
        self.holder = random_token(12)
        self.slots = slots
        self._lease_until = 0
        self._last_prune = 0
        self._inflight: set[asyncio.Task[None]] = set()
        self._loop_task: asyncio.Task[None] | None = None

    # -- running

    def start(self) -> None:
        self._loop_task = asyncio.create_task(self._loop(), name="threshold-webhooks")

    async def stop(self) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        await self.drain()
        if self._lease_until:
            with contextlib.suppress(Exception):
                async with self.ctx.db.transaction() as conn:
                    await LeaseRepository(conn).give_up(LEASE_NAME, self.holder)
        await self.sender.aclose()

    async def _loop(self) -> None:
        while True:
            pause = POLL_SECONDS
            try:
                await self.run_once()
            except Exception as exc:  # the database is down: say so, try again later
                log.warning("webhook dispatcher round failed: %s", type(exc).__name__)
                self._lease_until = 0
                pause = _ERROR_PAUSE
            await self.ctx.webhook_wakeup.wait(pause)

    async def drain(self) -> None:
        """Wait for the attempts in flight to be recorded."""
        while self._inflight:
            await asyncio.gather(*self._inflight, return_exceptions=True)

    async def deliver_pending(self) -> None:
        """Rounds until nothing is due now and nothing is in flight (tests, the CLI)."""
        while await self.run_once():
            await self.drain()
        await self.drain()

    async def run_once(self) -> int:
        """One round; how many events it fanned out plus attempts it started."""
        if not await self._hold_lease():
            return 0
        done = await self._fan_out() + await self._claim_and_send()
        await self._maybe_prune()
        return done

    # -- the steps

    async def _hold_lease(self) -> bool:
        now = self.ctx.now_ms()
        lease_ms = self.ctx.settings.webhook_lease_seconds * 1000
        if now < self._lease_until - lease_ms // 2:
            return True
        async with self.ctx.db.transaction() as conn:
            held = await LeaseRepository(conn).take(LEASE_NAME, self.holder, now, now + lease_ms)
        self._lease_until = now + lease_ms if held else 0
        return held

    async def _fan_out(self) -> int:
        async with self.ctx.db.transaction(readonly=True) as conn:
            if not await WebhookOutboxRepository(conn).new_events(1):
                return 0
        now = self.ctx.now_ms()
        async with self.ctx.db.transaction() as conn:
            outbox = WebhookOutboxRepository(conn)
            events = await outbox.new_events(_BATCH)
            endpoints = await WebhookEndpointRepository(conn).active()
            rows = [
                {
                    "id": new_id("dlv"),
                    "event_id": event.id,
                    "endpoint_id": endpoint.id,
                    "event_seq": event.seq,
                    "ordering_key": event.ordering_key,
                    "status": DeliveryStatus.PENDING.value,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for event in events
                for endpoint in endpoints
                if endpoint.wants(event.type)
            ]
            await outbox.add_deliveries(rows)
            await outbox.mark_fanned_out([e.seq for e in events])
        return len(events)

    async def _claim_and_send(self) -> int:
        free = self.slots - len(self._inflight)
        if free <= 0:
            return 0
        now = self.ctx.now_ms()
        async with self.ctx.db.transaction(readonly=True) as conn:
            due = await WebhookOutboxRepository(conn).due(now, free)
        if not due:
            return 0
        hold = now + int((self.ctx.settings.webhook_timeout + 10) * 1000)
        async with self.ctx.db.transaction() as conn:
            await WebhookOutboxRepository(conn).postpone([d.id for d, _ in due], hold)
            endpoints = WebhookEndpointRepository(conn)
            targets = {}
            for endpoint_id in {d.endpoint_id for d, _ in due}:
                endpoint = await endpoints.find(endpoint_id)
                if endpoint is not None:
                    targets[endpoint_id] = (endpoint, await endpoints.secrets(endpoint_id, now))
        for delivery, event in due:
            if delivery.endpoint_id in targets:
                endpoint, secrets = targets[delivery.endpoint_id]
                claimed = Claimed(delivery, event, endpoint, tuple(secrets))
                task = asyncio.create_task(self._attempt(claimed))
                self._inflight.add(task)
                task.add_done_callback(self._inflight.discard)
        return len(due)

    async def _attempt(self, claimed: Claimed) -> None:
        event, delivery = claimed.event, claimed.delivery
        body = event_body(event, self.ctx.instance.id)
        keys = [secret_key(s) for s in claimed.secrets]
        headers = signed_headers(keys, event.id, self.ctx.now_s(), body)
        outcome = await self.sender.send(claimed.endpoint.url, headers, body)
        try:
            await record_outcome(self.ctx, claimed, outcome)
        except Exception as exc:  # the claim keeps it due again later: not lost
            log.warning("webhook attempt of %s not recorded: %s", delivery.id, type(exc).__name__)
        self.ctx.webhook_wakeup.set()

    async def _maybe_prune(self) -> None:
        now = self.ctx.now_ms()
        if now - self._last_prune < _PRUNE_EVERY_MS:
            return
        self._last_prune = now
        before = now - self.ctx.settings.webhook_log_retention_days * 86_400_000
        async with self.ctx.db.transaction() as conn:
            await WebhookOutboxRepository(conn).prune(before)
            await WebhookEndpointRepository(conn).drop_expired_secrets(now)
