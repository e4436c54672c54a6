"""Webhooks on the wire: the event envelope a receiver gets, and the Backend API's objects
for endpoints and the delivery log.

The envelope is Clerk's::

    {"data": {...}, "event_attributes": {"http_request": {"client_ip", "user_agent"}},
     "instance_id": "ins_...", "object": "event", "timestamp": <ms>, "type": "user.created"}

``data`` is inserted as the JSON text the service rendered, byte for byte, so every
attempt of an event carries the same body.
"""

from __future__ import annotations

import json
from typing import Any

from threshold.core.records.webhooks import DeliveryAttempt, WebhookEndpoint, WebhookEvent

__all__ = ["attempt_json", "endpoint_json", "event_body", "event_json"]


def _text(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def event_body(event: WebhookEvent, instance_id: str) -> bytes:
    """The request body of every delivery of ``event`` (keys in Clerk's order)."""
    attributes = {
        "http_request": {"client_ip": event.client_ip or "", "user_agent": event.user_agent or ""}
    }
    return (
        f'{{"data":{event.data_json},"event_attributes":{_text(attributes)},'
        f'"instance_id":{_text(instance_id)},"object":"event",'
        f'"timestamp":{event.timestamp},"type":{_text(event.type)}}}'
    ).encode()


def endpoint_json(endpoint: WebhookEndpoint, *, secret: str | None = None) -> dict[str, Any]:
    """An endpoint; ``secret`` only in the answer that created or rotated it."""
    body: dict[str, Any] = {
        "object": "webhook_endpoint",
        "id": endpoint.id,
        "url": endpoint.url,
        "description": endpoint.description,
        "events": list(endpoint.event_types),
        "status": endpoint.status.value,
        "disabled_reason": endpoint.disabled_reason,
        "disabled_at": endpoint.disabled_at,
        "failing_since": endpoint.failing_since,
        "created_at": endpoint.created_at,
        "updated_at": endpoint.updated_at,
    }
    if secret is not None:
        body["secret"] = secret
    return body


def attempt_json(attempt: DeliveryAttempt) -> dict[str, Any]:
    """One line of the delivery log."""
    return {
        "object": "webhook_attempt",
        "id": attempt.id,
        "delivery_id": attempt.delivery_id,
        "endpoint_id": attempt.endpoint_id,
        "event_id": attempt.event_id,
        "event_type": attempt.event_type,
        "attempt": attempt.number,
        "status": "succeeded" if attempt.succeeded else "failed",
        "status_code": attempt.status_code,
        "response_time_ms": attempt.response_ms,
        "response_body": attempt.response_head,
        "error": attempt.error,
        "attempted_at": attempt.attempted_at,
    }


def event_json(event: WebhookEvent) -> dict[str, Any]:
    """An event of the outbox as the Backend API lists it (``data`` parsed back)."""
    return {
        "object": "webhook_event",
        "id": event.id,
        "type": event.type,
        "timestamp": event.timestamp,
        "data": json.loads(event.data_json),
    }
