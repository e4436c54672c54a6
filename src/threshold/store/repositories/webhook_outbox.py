"""The webhook outbox: events, their deliveries, the delivery log, and the dispatcher's lease."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from threshold.core.records.webhooks import (
    DeliveryAttempt,
    DeliveryStatus,
    EndpointStatus,
    WebhookDelivery,
    WebhookEvent,
)
from threshold.store.repositories._base import Repository, Row
from threshold.store.tables import (
    webhook_attempts,
    webhook_deliveries,
    webhook_endpoints,
    webhook_events,
    webhook_leases,
)

__all__ = ["LeaseRepository", "WebhookOutboxRepository"]

_E, _D, _A = webhook_events.c, webhook_deliveries.c, webhook_attempts.c
_PENDING = DeliveryStatus.PENDING.value

_ADD_EVENT = sa.insert(webhook_events)
"""Built once: an emit is one INSERT whose compiled form SQLAlchemy finds by the statement."""

_earlier = webhook_deliveries.alias("earlier")
_EARLIER_PENDING = sa.select(sa.literal(1)).where(
    _earlier.c.endpoint_id == _D.endpoint_id,
    _earlier.c.ordering_key == _D.ordering_key,
    _earlier.c.status == _PENDING,
    _earlier.c.event_seq < _D.event_seq,
)
"""An earlier delivery of the same ordering key to the same endpoint, still pending (a
NULL key matches nothing: events without a key are not held back)."""
_EVENT_COLUMNS = [c.label(f"e_{c.name}") for c in webhook_events.c]


def _event(row: Mapping[str, Any]) -> WebhookEvent:
    return WebhookEvent(
        id=row["id"],
        seq=int(row["seq"]),
        type=row["type"],
        data_json=row["data"],
        timestamp=row["created_at"],
        ordering_key=row["ordering_key"],
        client_ip=row["client_ip"],
        user_agent=row["user_agent"],
    )


def _delivery(row: Mapping[str, Any]) -> WebhookDelivery:
    return WebhookDelivery(
        id=row["id"],
        event_id=row["event_id"],
        endpoint_id=row["endpoint_id"],
        status=DeliveryStatus(row["status"]),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        created_at=row["created_at"],
    )


def _attempt(row: Mapping[str, Any]) -> DeliveryAttempt:
    return DeliveryAttempt(**{k: row[k] for k in DeliveryAttempt.__slots__})


class WebhookOutboxRepository(Repository[Row]):
    """Events, deliveries and attempts: several tables, so rows are mapped by hand."""

    table = webhook_deliveries
    record = dict

    def _record(self, row: Mapping[Any, Any]) -> Row:
        return dict(row)

    async def add_event(self, event: WebhookEvent) -> None:
        await self.conn.execute(
            _ADD_EVENT,
            {
                "id": event.id,
                "type": event.type,
                "data": event.data_json,
                "ordering_key": event.ordering_key,
                "client_ip": event.client_ip,
                "user_agent": event.user_agent,
                "fanned_out": False,
                "created_at": event.timestamp,
            },
        )

    async def event(self, event_id: str) -> WebhookEvent | None:
        row = await self._one(sa.select(webhook_events).where(_E.id == event_id))
        return None if row is None else _event(row)

    async def new_events(self, limit: int) -> list[WebhookEvent]:
        """Events not yet turned into deliveries, in outbox order."""
        stmt = sa.select(webhook_events).where(_E.fanned_out.is_(False))
        rows = await self._all(stmt.order_by(_E.seq).limit(limit))
        return [_event(r) for r in rows]

    async def add_deliveries(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            await self.conn.execute(sa.insert(webhook_deliveries), list(rows))

    async def mark_fanned_out(self, seqs: Sequence[int]) -> None:
        await self.conn.execute(
            sa.update(webhook_events).where(_E.seq.in_(list(seqs))).values(fanned_out=True)
        )

    async def due(self, now: int, limit: int) -> list[tuple[WebhookDelivery, WebhookEvent]]:
        """Pending deliveries to active endpoints whose time has come, leaving out any that
        waits for an earlier pending delivery of the same ordering key to the same endpoint."""
        stmt = (
            sa.select(webhook_deliveries, *_EVENT_COLUMNS)
            .join(webhook_events, _E.id == _D.event_id)
            .join(webhook_endpoints, webhook_endpoints.c.id == _D.endpoint_id)
            .where(
                _D.status == _PENDING,
                _D.next_attempt_at <= now,
                webhook_endpoints.c.status == EndpointStatus.ACTIVE.value,
                ~sa.exists(_EARLIER_PENDING),
            )
            .order_by(_D.event_seq, _D.id)
            .limit(limit)
        )
        result = await self.conn.execute(stmt)
        pairs = []
        for row in result.mappings():
            event = {c.name: row[f"e_{c.name}"] for c in webhook_events.c}
            pairs.append((_delivery(dict(row)), _event(event)))
        return pairs

    async def next_due_at(self) -> int | None:
        """When the earliest pending delivery to an active endpoint falls due."""
        stmt = (
            sa.select(sa.func.min(_D.next_attempt_at))
            .join(webhook_endpoints, webhook_endpoints.c.id == _D.endpoint_id)
            .where(_D.status == _PENDING, webhook_endpoints.c.status == "active")
        )
        value = (await self.conn.execute(stmt)).scalar()
        return None if value is None else int(value)

    async def postpone(self, delivery_ids: Sequence[str], until: int) -> None:
        """Hold deliveries being attempted (a dispatcher that dies mid-way leaves them due
        again at ``until``)."""
        await self.conn.execute(
            sa.update(webhook_deliveries)
            .where(_D.id.in_(list(delivery_ids)))
            .values(next_attempt_at=until)
        )

    async def settle(
        self, delivery_id: str, status: DeliveryStatus, attempts: int, next_at: int, now: int
    ) -> None:
        await self._set(
            delivery_id,
            status=status.value,
            attempts=attempts,
            next_attempt_at=next_at,
            updated_at=now,
        )

    async def give_up_on_endpoint(self, endpoint_id: str, now: int) -> None:
        """Mark every pending delivery to the endpoint failed (it was disabled)."""
        await self.conn.execute(
            sa.update(webhook_deliveries)
            .where(_D.endpoint_id == endpoint_id, _D.status == _PENDING)
            .values(status=DeliveryStatus.FAILED.value, updated_at=now)
        )

    async def log_attempt(self, attempt: DeliveryAttempt) -> None:
        values = {k: getattr(attempt, k) for k in DeliveryAttempt.__slots__}
        await self.conn.execute(sa.insert(webhook_attempts).values(**values))

    async def attempts(
        self,
        *,
        endpoint_id: str | None = None,
        event_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[DeliveryAttempt], int]:
        """The delivery log, newest first, for one endpoint or one event."""
        where = []
        if endpoint_id is not None:
            where.append(_A.endpoint_id == endpoint_id)
        if event_id is not None:
            where.append(_A.event_id == event_id)
        stmt = sa.select(webhook_attempts).where(*where)
        rows = await self._all(
            stmt.order_by(_A.attempted_at.desc(), _A.number.desc(), _A.id)
            .limit(limit)
            .offset(offset)
        )
        count = sa.select(sa.func.count()).select_from(webhook_attempts).where(*where)
        total = (await self.conn.execute(count)).scalar()
        return [_attempt(r) for r in rows], int(total or 0)

    async def deliveries_of(self, event_id: str) -> list[WebhookDelivery]:
        rows = await self._all(
            sa.select(webhook_deliveries).where(_D.event_id == event_id).order_by(_D.created_at)
        )
        return [_delivery(r) for r in rows]

    async def prune(self, before: int) -> int:
        """Drop the log, finished deliveries and events older than ``before``; an event
        with a pending delivery stays. Returns how many events went."""
        await self.conn.execute(sa.delete(webhook_attempts).where(_A.attempted_at < before))
        await self.conn.execute(
            sa.delete(webhook_deliveries).where(_D.status != _PENDING, _D.updated_at < before)
        )
        pending = sa.select(_D.event_id).where(_D.status == _PENDING)
        result = await self.conn.execute(
            sa.delete(webhook_events).where(
                _E.created_at < before, _E.fanned_out.is_(True), _E.id.not_in(pending)
            )
        )
        return int(result.rowcount or 0)


class LeaseRepository(Repository[Row]):
    """Named leases: at most one holder at a time, each holding until it lets the lease
    expire or gives it up."""

    table = webhook_leases
    record = dict

    def _record(self, row: Mapping[Any, Any]) -> Row:
        return dict(row)

    async def take(self, name: str, holder: str, now: int, until: int) -> bool:
        """Take or renew ``name`` for ``holder`` until ``until``, unless another holder
        has it and it has not expired. True when ``holder`` holds it now."""
        c = webhook_leases.c
        result = await self.conn.execute(
            sa.update(webhook_leases)
            .where(c.name == name, (c.holder == holder) | (c.expires_at <= now))
            .values(holder=holder, expires_at=until)
        )
        if result.rowcount:
            return True
        if await self.get(name) is not None:
            return False
        try:
            async with self.conn.begin_nested():
                await self.conn.execute(
                    sa.insert(webhook_leases).values(name=name, holder=holder, expires_at=until)
                )
        except IntegrityError:
            return False  # another process created it first, and holds it
        return True

    async def give_up(self, name: str, holder: str) -> None:
        c = webhook_leases.c
        await self.conn.execute(
            sa.update(webhook_leases)
            .where(c.name == name, c.holder == holder)
            .values(holder=None, expires_at=0)
        )
