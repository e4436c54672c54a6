"""What an attempt's outcome changes: the delivery log, the delivery, the endpoint.

- success: the delivery is ``succeeded``; the endpoint's run of failures ends;
- failure: the next attempt is scheduled (``schedule``), or, after the last, the delivery
  is ``failed``; the endpoint's failures date from its first failed attempt since its last
  success, and after five days of them the endpoint is disabled: its pending deliveries
  are given up, a warning is logged and the endpoint shows ``status: disabled`` with
  the reason.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

from threshold.core.ids import new_id
from threshold.core.records.webhooks import (
    DeliveryAttempt,
    DeliveryStatus,
    EndpointStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from threshold.services.infra.audit import audit
from threshold.services.runtime.context import ServerContext
from threshold.services.webhooks.schedule import DISABLE_AFTER_MS, delay_after
from threshold.services.webhooks.sender import Outcome
from threshold.store.repositories.webhook_endpoints import WebhookEndpointRepository
from threshold.store.repositories.webhook_outbox import WebhookOutboxRepository

__all__ = ["DISABLED_REASON", "Claimed", "record_outcome"]

log = logging.getLogger("threshold.webhooks")

DISABLED_REASON = "Every delivery attempt failed for five days."


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery taken for an attempt, with what the attempt needs."""

    delivery: WebhookDelivery
    event: WebhookEvent
    endpoint: WebhookEndpoint
    secrets: tuple[str, ...] = dataclasses.field(repr=False)


async def record_outcome(ctx: ServerContext, claimed: Claimed, outcome: Outcome) -> None:
    delivery, event = claimed.delivery, claimed.event
    now = ctx.now_ms()
    number = delivery.attempts + 1
    attempt = DeliveryAttempt(
        id=new_id("atmpt"),
        delivery_id=delivery.id,
        event_id=event.id,
        event_type=event.type,
        endpoint_id=delivery.endpoint_id,
        number=number,
        attempted_at=now,
        succeeded=outcome.succeeded,
        status_code=outcome.status_code,
        response_ms=outcome.response_ms,
        response_head=outcome.response_head,
        error=outcome.error,
    )
    async with ctx.db.transaction() as conn:
        outbox = WebhookOutboxRepository(conn)
        await outbox.log_attempt(attempt)
        if outcome.succeeded:
            status, next_at = DeliveryStatus.SUCCEEDED, now
        else:
            delay = delay_after(number)
            status = DeliveryStatus.FAILED if delay is None else DeliveryStatus.PENDING
            next_at = now if delay is None else now + delay * 1000
        await outbox.settle(delivery.id, status, number, next_at, now)
        endpoints = WebhookEndpointRepository(conn)
        endpoint = await endpoints.find(delivery.endpoint_id, lock=True)
        if endpoint is None or endpoint.status is not EndpointStatus.ACTIVE:
            return
        changed = _endpoint_after(endpoint, outcome.succeeded, now)
        if changed is not endpoint:
            await endpoints.save(changed)
        if changed.status is EndpointStatus.DISABLED:
            await outbox.give_up_on_endpoint(endpoint.id, now)
    if changed.status is EndpointStatus.DISABLED:
        log.warning(
            "webhook endpoint %s disabled: every attempt failed since %s ms (%s)",
            endpoint.id,
            endpoint.failing_since,
            endpoint.url[:200],
        )
        audit("webhook_endpoint.disabled", endpoint_id=endpoint.id, reason=DISABLED_REASON)


def _endpoint_after(endpoint: WebhookEndpoint, succeeded: bool, now: int) -> WebhookEndpoint:
    if succeeded:
        if endpoint.failing_since is None:
            return endpoint
        return dataclasses.replace(endpoint, failing_since=None, updated_at=now)
    since = endpoint.failing_since if endpoint.failing_since is not None else now
    if now - since >= DISABLE_AFTER_MS:
        return dataclasses.replace(
            endpoint,
            status=EndpointStatus.DISABLED,
            disabled_reason=DISABLED_REASON,
            disabled_at=now,
            failing_since=since,
            updated_at=now,
        )
    if endpoint.failing_since is None:
        return dataclasses.replace(endpoint, failing_since=now, updated_at=now)
    return endpoint
