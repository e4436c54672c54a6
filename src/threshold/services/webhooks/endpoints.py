"""Managing webhook endpoints (Backend API and ``threshold webhooks``): create, list, get,
update, delete, rotate the secret, read the delivery log, replay an event, send a test.

Everything is read from the database on each dispatcher round, so a change made here,
by any process, takes effect on running servers without a restart.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

from threshold.core.errors import NotFoundError, ValidationError
from threshold.core.ids import is_id, new_id
from threshold.core.records.webhooks import (
    DeliveryAttempt,
    DeliveryStatus,
    EndpointStatus,
    WebhookEndpoint,
    WebhookEvent,
)
from threshold.core.webhook_signing import new_secret, secret_key, signed_headers
from threshold.services.infra.audit import audit
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.services.webhooks.dispatcher import policy_for
from threshold.services.webhooks.events import check_event_types
from threshold.services.webhooks.sender import Outcome, Sender
from threshold.store.repositories.webhook_endpoints import WebhookEndpointRepository
from threshold.store.repositories.webhook_outbox import WebhookOutboxRepository
from threshold.wire.webhooks import event_body

__all__ = [
    "ROTATION_GRACE_MS",
    "EndpointChanges",
    "create_endpoint",
    "delete_endpoint",
    "delivery_log",
    "event_log",
    "get_endpoint",
    "list_endpoints",
    "replay_event",
    "rotate_secret",
    "send_test",
    "update_endpoint",
]

ROTATION_GRACE_MS = 24 * 3600 * 1000
"""How long a rotated-out secret still signs deliveries, next to the new one."""
_DESCRIPTION_MAX = 512
TEST_EVENT_TYPE = "webhook.test"


@dataclass(frozen=True, slots=True)
class EndpointChanges:
    """What an update may change; None leaves a field as it is."""

    url: str | None = None
    events: list[str] | None = None
    description: str | None = None
    disabled: bool | None = None


def _description(value: str | None) -> str:
    text = (value or "").strip()
    if len(text) > _DESCRIPTION_MAX or any(ord(c) < 32 for c in text):
        raise ValidationError(
            f"description must be at most {_DESCRIPTION_MAX} characters on one line.",
            param="description",
        )
    return text


async def _load(tx: Tx, endpoint_id: str, *, lock: bool = False) -> WebhookEndpoint:
    found = None
    if is_id(endpoint_id, "ep"):
        found = await WebhookEndpointRepository(tx.conn).find(endpoint_id, lock=lock)
    if found is None:
        raise NotFoundError(
            f"No webhook endpoint was found with id {endpoint_id[:64]!r}.", param="endpoint_id"
        )
    return found


async def create_endpoint(
    ctx: ServerContext, url: str, *, events: list[str] | None = None, description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """A new active endpoint and its secret (``whsec_...``: shown this once)."""
    policy_for(ctx).check_url(url)
    now = ctx.now_ms()
    endpoint = WebhookEndpoint(
        id=new_id("ep"),
        url=url,
        description=_description(description),
        event_types=check_event_types(events),
        status=EndpointStatus.ACTIVE,
        disabled_reason=None,
        disabled_at=None,
        failing_since=None,
        created_at=now,
        updated_at=now,
    )
    secret = new_secret()

    async def work(tx: Tx) -> None:
        repo = WebhookEndpointRepository(tx.conn)
        await repo.add(endpoint)
        await repo.add_secret(new_id("whsk"), endpoint.id, secret, now)

    await run_transaction(ctx, work)
    audit("webhook_endpoint.created", endpoint_id=endpoint.id)
    return endpoint, secret


async def list_endpoints(
    ctx: ServerContext, limit: int = 100, offset: int = 0
) -> tuple[list[WebhookEndpoint], int]:
    async def work(tx: Tx) -> tuple[list[WebhookEndpoint], int]:
        return await WebhookEndpointRepository(tx.conn).page(limit, offset)

    return await run_transaction(ctx, work, readonly=True)


async def get_endpoint(ctx: ServerContext, endpoint_id: str) -> WebhookEndpoint:
    return await run_transaction(ctx, lambda tx: _load(tx, endpoint_id), readonly=True)


async def update_endpoint(
    ctx: ServerContext, endpoint_id: str, changes: EndpointChanges
) -> WebhookEndpoint:
    """Change the URL, the event types, the description, or enable / disable it
    (enabling clears the failure state; disabling gives up its pending deliveries)."""
    if changes.url is not None:
        policy_for(ctx).check_url(changes.url)
    events = None if changes.events is None else check_event_types(changes.events)
    description = None if changes.description is None else _description(changes.description)
    now = ctx.now_ms()

    async def work(tx: Tx) -> WebhookEndpoint:
        endpoint = await _load(tx, endpoint_id, lock=True)
        new = dataclasses.replace(
            endpoint,
            url=changes.url if changes.url is not None else endpoint.url,
            event_types=events if events is not None else endpoint.event_types,
            description=description if description is not None else endpoint.description,
            updated_at=now,
        )
        if changes.disabled is False and endpoint.status is EndpointStatus.DISABLED:
            new = dataclasses.replace(
                new,
                status=EndpointStatus.ACTIVE,
                disabled_reason=None,
                disabled_at=None,
                failing_since=None,
            )
        elif changes.disabled and endpoint.status is EndpointStatus.ACTIVE:
            new = dataclasses.replace(
                new,
                status=EndpointStatus.DISABLED,
                disabled_reason="Disabled by hand.",
                disabled_at=now,
            )
            await WebhookOutboxRepository(tx.conn).give_up_on_endpoint(endpoint.id, now)
        await WebhookEndpointRepository(tx.conn).save(new)
        return new

    return await run_transaction(ctx, work)


async def delete_endpoint(ctx: ServerContext, endpoint_id: str) -> str:
    """Delete an endpoint with its secrets, deliveries and log."""

    async def work(tx: Tx) -> str:
        await _load(tx, endpoint_id, lock=True)
        await WebhookEndpointRepository(tx.conn).delete(endpoint_id)
        return endpoint_id

    deleted = await run_transaction(ctx, work)
    audit("webhook_endpoint.deleted", endpoint_id=deleted)
    return deleted


async def rotate_secret(ctx: ServerContext, endpoint_id: str) -> tuple[WebhookEndpoint, str]:
    """A new secret (shown this once); the old one goes on signing, next to it, for 24
    hours, so receivers can switch without missing a delivery."""
    now = ctx.now_ms()
    secret = new_secret()

    async def work(tx: Tx) -> WebhookEndpoint:
        endpoint = await _load(tx, endpoint_id, lock=True)
        repo = WebhookEndpointRepository(tx.conn)
        await repo.expire_secrets(endpoint.id, now + ROTATION_GRACE_MS)
        await repo.add_secret(new_id("whsk"), endpoint.id, secret, now)
        return endpoint

    endpoint = await run_transaction(ctx, work)
    audit("webhook_endpoint.secret_rotated", endpoint_id=endpoint.id)
    return endpoint, secret


async def delivery_log(
    ctx: ServerContext, endpoint_id: str, limit: int = 50, offset: int = 0
) -> tuple[list[DeliveryAttempt], int]:
    """An endpoint's attempts, newest first."""

    async def work(tx: Tx) -> tuple[list[DeliveryAttempt], int]:
        await _load(tx, endpoint_id)
        outbox = WebhookOutboxRepository(tx.conn)
        return await outbox.attempts(endpoint_id=endpoint_id, limit=limit, offset=offset)

    return await run_transaction(ctx, work, readonly=True)


async def _event(tx: Tx, event_id: str) -> WebhookEvent:
    found = None
    if is_id(event_id, "msg"):
        found = await WebhookOutboxRepository(tx.conn).event(event_id)
    if found is None:
        raise NotFoundError(
            f"No webhook event was found with id {event_id[:64]!r}.", param="event_id"
        )
    return found


async def event_log(
    ctx: ServerContext, event_id: str
) -> tuple[WebhookEvent, list[DeliveryAttempt]]:
    """An event and every attempt to deliver it, newest first."""

    async def work(tx: Tx) -> tuple[WebhookEvent, list[DeliveryAttempt]]:
        event = await _event(tx, event_id)
        attempts, _ = await WebhookOutboxRepository(tx.conn).attempts(event_id=event_id, limit=500)
        return event, attempts

    return await run_transaction(ctx, work, readonly=True)


async def replay_event(
    ctx: ServerContext, event_id: str, endpoint_id: str | None = None
) -> list[str]:
    """Deliver an event again, with the same ``svix-id``: to ``endpoint_id``, or to every
    active endpoint that wants its type. Returns the endpoints it goes to."""
    now = ctx.now_ms()

    async def work(tx: Tx) -> list[str]:
        event = await _event(tx, event_id)
        if endpoint_id is not None:
            targets = [await _load(tx, endpoint_id)]
        else:
            active = await WebhookEndpointRepository(tx.conn).active()
            targets = [e for e in active if e.wants(event.type)]
        rows = [
            {
                "id": new_id("dlv"),
                "event_id": event.id,
                "endpoint_id": target.id,
                "event_seq": event.seq,
                "ordering_key": event.ordering_key,
                "status": DeliveryStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "updated_at": now,
            }
            for target in targets
        ]
        await WebhookOutboxRepository(tx.conn).add_deliveries(rows)
        tx.after_commit.webhook_events += 1
        return [t.id for t in targets]

    return await run_transaction(ctx, work)


async def send_test(ctx: ServerContext, url: str) -> tuple[Outcome, str, bool]:
    """Send one signed ``webhook.test`` event to ``url`` now, outside the outbox.

    It is signed with the secret of the endpoint registered with that URL when there is
    one, else with a new secret. Returns the outcome, the secret and whether it is new.
    """
    policy = policy_for(ctx)
    policy.check_url(url)
    now = ctx.now_ms()

    async def work(tx: Tx) -> list[str]:
        repo = WebhookEndpointRepository(tx.conn)
        for endpoint in await repo.with_url(url):
            return await repo.secrets(endpoint.id, now)
        return []

    secrets = await run_transaction(ctx, work, readonly=True)
    fresh = not secrets
    secrets = secrets or [new_secret()]
    data = {"object": "webhook_test", "message": "A test event from Threshold."}
    event = WebhookEvent(new_id("msg"), 0, TEST_EVENT_TYPE, json.dumps(data), now, None, None, None)
    body = event_body(event, ctx.instance.id)
    headers = signed_headers([secret_key(s) for s in secrets], event.id, ctx.now_s(), body)
    sender = Sender(policy, timeout=ctx.settings.webhook_timeout)
    try:
        outcome = await sender.send(url, headers, body)
    finally:
        await sender.aclose()
    return outcome, secrets[0], fresh
