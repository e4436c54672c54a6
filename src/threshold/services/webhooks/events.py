"""``emit``: write a webhook event into the outbox, inside the caller's transaction.

A service that changes something apps should hear about calls, in the same ``work(tx)``
that makes the change and after making it::

    await emit(tx, "user.created", user_json(user), request=state)

The event row commits or rolls back with the change: a refused or failed call emits
nothing. After the commit the dispatcher is woken; it makes one delivery per endpoint
that wants the type, signs and sends them (``dispatcher``).

``data`` is Clerk's JSON of the object, already rendered (``threshold.wire``): a
snapshot as of this transaction, never read again later.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Protocol

from threshold.core.errors import ValidationError
from threshold.core.ids import new_id
from threshold.core.records.webhooks import WebhookEvent
from threshold.services.runtime.transaction import Tx
from threshold.store.repositories.webhook_outbox import WebhookOutboxRepository

__all__ = ["EVENT_TYPES", "RequestOrigin", "check_event_types", "emit", "ordering_key_of"]

EVENT_TYPES: frozenset[str] = frozenset(
    {
        "email.created",
        "organization.created",
        "organization.deleted",
        "organization.updated",
        "organizationDomain.created",
        "organizationDomain.deleted",
        "organizationDomain.updated",
        "organizationInvitation.accepted",
        "organizationInvitation.created",
        "organizationInvitation.revoked",
        "organizationMembership.created",
        "organizationMembership.deleted",
        "organizationMembership.updated",
        "permission.created",
        "permission.deleted",
        "permission.updated",
        "role.created",
        "role.deleted",
        "role.updated",
        "session.created",
        "session.ended",
        "session.pending",
        "session.removed",
        "session.revoked",
        "sms.created",
        "user.created",
        "user.deleted",
        "user.updated",
        "waitlistEntry.created",
        "waitlistEntry.updated",
    }
)
"""The types of Clerk's webhook events (its webhooks spec) that an endpoint may ask for;
billing events are left out."""

_TYPE = re.compile(r"[a-zA-Z]+\.[a-zA-Z]+")


class RequestOrigin(Protocol):
    """Where the request that caused an event came from (the request's ``ClientState``
    has both)."""

    @property
    def ip(self) -> str | None: ...

    @property
    def user_agent(self) -> str | None: ...


def ordering_key_of(event_type: str, data: Mapping[str, Any]) -> str | None:
    """The user an event is about, which orders deliveries (docs/webhooks.md, "Order"):
    ``data.user_id`` when the object has one (sessions, emails), else ``data.id`` for
    ``user.*`` events; None (not ordered) otherwise."""
    user_id = data.get("user_id")
    if isinstance(user_id, str) and user_id:
        return user_id[:64]
    if event_type.startswith("user.") and isinstance(data.get("id"), str):
        return str(data["id"])[:64]
    return None


async def emit(
    tx: Tx,
    event_type: str,
    data: Mapping[str, Any],
    *,
    ordering_key: str | None = None,
    request: RequestOrigin | None = None,
) -> str:
    """Write one event in ``tx``; return its id (``msg_...``, the deliveries' ``svix-id``).

    ``ordering_key`` defaults to :func:`ordering_key_of`; ``request`` fills the
    envelope's ``event_attributes.http_request`` (client IP and user agent).
    """
    if len(event_type) > 64 or not _TYPE.fullmatch(event_type):
        raise ValueError(f"not an event type: {event_type!r}")
    event = WebhookEvent(
        id=new_id("msg"),
        seq=0,
        type=event_type,
        data_json=json.dumps(data, separators=(",", ":"), ensure_ascii=False),
        timestamp=int(tx.clock.now() * 1000),
        ordering_key=(ordering_key or ordering_key_of(event_type, data)),
        client_ip=request.ip[:64] if request and request.ip else None,
        user_agent=request.user_agent[:512] if request and request.user_agent else None,
    )
    await WebhookOutboxRepository(tx.conn).add_event(event)
    tx.after_commit.webhook_events += 1
    return event.id


def check_event_types(values: object, param: str = "events") -> tuple[str, ...]:
    """An endpoint's event filter: a list of known types (empty: every type)."""
    if values is None:
        return ()
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
        raise ValidationError(f"{param} must be a list of event types.", param=param)
    unknown = sorted(set(values) - EVENT_TYPES)
    if unknown:
        raise ValidationError(
            f"Unknown event types: {', '.join(unknown)[:200]}.",
            param=param,
            code="form_param_value_invalid",
        )
    return tuple(sorted(set(values)))
