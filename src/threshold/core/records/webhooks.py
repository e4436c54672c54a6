"""Webhook endpoints, the events of the outbox, their deliveries and the delivery log."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "DeliveryAttempt",
    "DeliveryStatus",
    "EndpointStatus",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]


class EndpointStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"
    """No delivery is attempted; set by hand, or after five days of failures."""


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    """Waiting for its next attempt (``next_attempt_at``)."""
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    """Every scheduled attempt failed, or the endpoint was disabled: no more attempts."""


@dataclass(frozen=True, slots=True)
class WebhookEndpoint:
    """A URL that receives signed events."""

    id: str
    url: str
    description: str
    event_types: tuple[str, ...]
    """The event types it receives; empty means every type."""
    status: EndpointStatus
    disabled_reason: str | None
    disabled_at: int | None
    failing_since: int | None
    """When the first of its current run of failed attempts happened (None after a success)."""
    created_at: int
    updated_at: int

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """One event of the outbox, written in the transaction that caused it."""

    id: str
    """``msg_...``: the ``svix-id`` of every delivery of it."""
    seq: int
    """Its place in the outbox (ordering within one ordering key)."""
    type: str
    data_json: str
    """The event's ``data``, Clerk's JSON of the object as the service rendered it."""
    timestamp: int
    ordering_key: str | None
    client_ip: str | None
    user_agent: str | None


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """One event for one endpoint, and where its attempts stand."""

    id: str
    event_id: str
    endpoint_id: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: int
    created_at: int


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    """One HTTP attempt of a delivery: the delivery log."""

    id: str
    delivery_id: str
    event_id: str
    event_type: str
    endpoint_id: str
    number: int
    attempted_at: int
    succeeded: bool
    status_code: int | None
    response_ms: int
    response_head: str = field(default="")
    """The first bytes of the response body, as text."""
    error: str | None = None
