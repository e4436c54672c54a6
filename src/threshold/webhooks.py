"""Verify the webhooks a Threshold (or Clerk) instance sends to your app.

```python
from threshold.webhooks import WebhookVerificationError, verify

@app.post("/webhooks/threshold")
async def receive(request: Request) -> Response:
    try:
        event = verify(await request.body(), request.headers, WEBHOOK_SECRET)
    except WebhookVerificationError:
        return Response(status_code=400)
    if event.type == "user.created":
        ...
    return Response(status_code=204)
```

``verify`` checks the ``svix-signature`` against the raw body (before any JSON parsing:
re-encoded JSON no longer matches), refuses a ``svix-timestamp`` more than five minutes
away from now, and returns the event typed. A delivery can arrive twice (a retry after a
timeout the receiver did not see): keep the ids you have handled (``event.id``, the same
on every attempt) and skip repeats.

This module imports the standard library and ``threshold.core``, nothing of the server.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from threshold.core.webhook_signing import (
    WebhookFormatError,
    WebhookSignatureError,
    WebhookTimestampError,
    WebhookVerificationError,
    verify_signature,
)

__all__ = [
    "WebhookEvent",
    "WebhookFormatError",
    "WebhookSignatureError",
    "WebhookTimestampError",
    "WebhookVerificationError",
    "verify",
]

_MAX_BODY = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """One verified event, in Clerk's envelope."""

    id: str
    """The ``svix-id``: the same on every attempt and replay of this event."""
    type: str
    """``user.created``, ``session.ended``, ..."""
    timestamp: int
    """When the event happened, in milliseconds since the epoch."""
    data: dict[str, Any]
    """The object the event is about, in Clerk's JSON (a user, a session, ...)."""
    instance_id: str
    """The instance that sent it (``ins_...``)."""
    event_attributes: dict[str, Any] = field(default_factory=dict)
    """``{"http_request": {"client_ip", "user_agent"}}`` of the request that caused it."""


def verify(
    body: bytes | str, headers: Mapping[str, str], secret: str, *, now: float | None = None
) -> WebhookEvent:
    """The event in ``body``, once its signature and timestamp check out.

    ``headers`` is any mapping of the request's headers (names in any case); ``secret``
    is the endpoint's ``whsec_...`` signing secret; ``now`` (seconds since the epoch)
    replaces the clock in tests. Raises :class:`WebhookSignatureError`,
    :class:`WebhookTimestampError` or :class:`WebhookFormatError`, all of them
    :class:`WebhookVerificationError`.
    """
    raw = body.encode() if isinstance(body, str) else bytes(body)
    if len(raw) > _MAX_BODY:
        raise WebhookFormatError("The webhook body is too large.")
    msg_id, _ = verify_signature(raw, headers, secret, now=time.time() if now is None else now)
    return _parse(msg_id, raw)


def _parse(msg_id: str, raw: bytes) -> WebhookEvent:
    try:
        envelope = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise WebhookFormatError("The webhook body is not JSON.") from exc
    if not isinstance(envelope, dict):
        raise WebhookFormatError("The webhook body is not a JSON object.")
    kind, stamp = envelope.get("type"), envelope.get("timestamp")
    data, instance = envelope.get("data"), envelope.get("instance_id")
    attributes = envelope.get("event_attributes") or {}
    if (
        not isinstance(kind, str)
        or not isinstance(stamp, int)
        or isinstance(stamp, bool)
        or not isinstance(data, dict)
        or not isinstance(instance, str)
        or not isinstance(attributes, dict)
    ):
        raise WebhookFormatError("The webhook body is not an event envelope.")
    return WebhookEvent(msg_id, kind, stamp, data, instance, attributes)
