"""Webhooks: endpoints and their secrets, the outbox of events, deliveries, the delivery log,
and the lease that lets one dispatcher run per deployment.

- ``webhook_events`` is the outbox: a service writes a row in the transaction that made
  the change, so a rolled-back change leaves none. ``seq`` orders events; ``fanned_out``
  is false until the dispatcher has made the deliveries for it.
- ``webhook_deliveries``: one per event and endpoint; ``next_attempt_at`` is when it is
  due. ``event_seq`` and ``ordering_key`` are copied from the event so that the
  dispatcher can hold back a delivery while an earlier one with the same key is pending.
- ``webhook_attempts``: the delivery log, pruned after the configured retention.
- ``webhook_secrets``: an endpoint's signing secrets; after a rotation the old one carries
  ``expires_at`` and is still used for signing until then. They are stored as given
  (the dispatcher needs them to sign), never logged and never sent back by the API.
- ``webhook_leases``: one row per named lease, its holder and expiry.
"""

from __future__ import annotations

import sqlalchemy as sa

from threshold.store.tables._common import ID, MS, metadata, times

__all__ = [
    "webhook_attempts",
    "webhook_deliveries",
    "webhook_endpoints",
    "webhook_events",
    "webhook_leases",
    "webhook_secrets",
]

webhook_endpoints = sa.Table(
    "webhook_endpoints",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("url", sa.String(2048), nullable=False),
    sa.Column("description", sa.String(512), nullable=False, server_default=""),
    sa.Column("event_types", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("disabled_reason", sa.String(255)),
    sa.Column("disabled_at", MS),
    sa.Column("failing_since", MS),
    *times(),
)

webhook_secrets = sa.Table(
    "webhook_secrets",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column(
        "endpoint_id",
        ID,
        sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("secret", sa.String(128), nullable=False),
    sa.Column("expires_at", MS),
    sa.Column("created_at", MS, nullable=False),
)

webhook_events = sa.Table(
    "webhook_events",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("id", ID, nullable=False, unique=True),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("ordering_key", sa.String(64)),
    sa.Column("client_ip", sa.String(64)),
    sa.Column("user_agent", sa.String(512)),
    sa.Column("fanned_out", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", MS, nullable=False),
    sa.Index("ix_webhook_events_pending", "fanned_out", "seq"),
    sa.Index("ix_webhook_events_created_at", "created_at"),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column(
        "event_id", ID, sa.ForeignKey("webhook_events.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column(
        "endpoint_id",
        ID,
        sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("event_seq", sa.BigInteger, nullable=False),
    sa.Column("ordering_key", sa.String(64)),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", MS, nullable=False),
    *times(),
    sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    sa.Index("ix_webhook_deliveries_order", "endpoint_id", "ordering_key", "event_seq"),
    sa.Index("ix_webhook_deliveries_event_id", "event_id"),
)

webhook_attempts = sa.Table(
    "webhook_attempts",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column(
        "delivery_id",
        ID,
        sa.ForeignKey("webhook_deliveries.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("event_id", ID, nullable=False),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("endpoint_id", ID, nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("attempted_at", MS, nullable=False),
    sa.Column("succeeded", sa.Boolean, nullable=False),
    sa.Column("status_code", sa.Integer),
    sa.Column("response_ms", sa.Integer, nullable=False),
    sa.Column("response_head", sa.Text, nullable=False, server_default=""),
    sa.Column("error", sa.String(255)),
    sa.Index("ix_webhook_attempts_endpoint", "endpoint_id", "attempted_at"),
    sa.Index("ix_webhook_attempts_attempted_at", "attempted_at"),
)

webhook_leases = sa.Table(
    "webhook_leases",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("holder", sa.String(64)),
    sa.Column("expires_at", MS, nullable=False),
)
