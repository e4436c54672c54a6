"""Webhook endpoints and their signing secrets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from threshold.core.records.webhooks import EndpointStatus, WebhookEndpoint
from threshold.store.repositories._base import Repository
from threshold.store.tables import webhook_endpoints, webhook_secrets

__all__ = ["WebhookEndpointRepository", "endpoint_record"]

_T = webhook_endpoints


def endpoint_record(row: Mapping[Any, Any]) -> WebhookEndpoint:
    return WebhookEndpoint(
        id=row["id"],
        url=row["url"],
        description=row["description"] or "",
        event_types=tuple(row["event_types"] or ()),
        status=EndpointStatus(row["status"]),
        disabled_reason=row["disabled_reason"],
        disabled_at=row["disabled_at"],
        failing_since=row["failing_since"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class WebhookEndpointRepository(Repository[WebhookEndpoint]):
    table = webhook_endpoints
    record = WebhookEndpoint

    def _record(self, row: Mapping[Any, Any]) -> WebhookEndpoint:
        return endpoint_record(row)

    async def add(self, endpoint: WebhookEndpoint) -> None:
        await self._insert_values(
            id=endpoint.id,
            url=endpoint.url,
            description=endpoint.description,
            event_types=list(endpoint.event_types),
            status=endpoint.status.value,
            disabled_reason=endpoint.disabled_reason,
            disabled_at=endpoint.disabled_at,
            failing_since=endpoint.failing_since,
            created_at=endpoint.created_at,
            updated_at=endpoint.updated_at,
        )

    async def find(self, endpoint_id: str, *, lock: bool = False) -> WebhookEndpoint | None:
        return await (self.get_for_update(endpoint_id) if lock else self.get(endpoint_id))

    async def save(self, endpoint: WebhookEndpoint) -> None:
        """Write back what may change: url, description, types, status and failure state."""
        await self._set(
            endpoint.id,
            url=endpoint.url,
            description=endpoint.description,
            event_types=list(endpoint.event_types),
            status=endpoint.status.value,
            disabled_reason=endpoint.disabled_reason,
            disabled_at=endpoint.disabled_at,
            failing_since=endpoint.failing_since,
            updated_at=endpoint.updated_at,
        )

    async def page(self, limit: int, offset: int) -> tuple[list[WebhookEndpoint], int]:
        """Endpoints, oldest first, and how many there are."""
        found = await self._all(
            sa.select(_T).order_by(_T.c.created_at, _T.c.id).limit(limit).offset(offset)
        )
        total = (await self.conn.execute(sa.select(sa.func.count()).select_from(_T))).scalar()
        return found, int(total or 0)

    async def active(self) -> list[WebhookEndpoint]:
        return await self._all(
            sa.select(_T).where(_T.c.status == EndpointStatus.ACTIVE.value).order_by(_T.c.id)
        )

    async def with_url(self, url: str) -> list[WebhookEndpoint]:
        return await self._all(sa.select(_T).where(_T.c.url == url).order_by(_T.c.created_at))

    # -- secrets

    async def add_secret(self, secret_id: str, endpoint_id: str, secret: str, now: int) -> None:
        await self.conn.execute(
            sa.insert(webhook_secrets).values(
                id=secret_id, endpoint_id=endpoint_id, secret=secret, created_at=now
            )
        )

    async def expire_secrets(self, endpoint_id: str, at: int) -> None:
        """Give every current secret of the endpoint an end (a rotation's grace period)."""
        s = webhook_secrets.c
        await self.conn.execute(
            sa.update(webhook_secrets)
            .where(s.endpoint_id == endpoint_id, (s.expires_at.is_(None)) | (s.expires_at > at))
            .values(expires_at=at)
        )

    async def secrets(self, endpoint_id: str, now: int) -> list[str]:
        """The secrets that sign deliveries now, newest first."""
        s = webhook_secrets.c
        result = await self.conn.execute(
            sa.select(s.secret)
            .where(s.endpoint_id == endpoint_id, (s.expires_at.is_(None)) | (s.expires_at > now))
            .order_by(s.created_at.desc(), s.id.desc())
        )
        return [str(v) for v in result.scalars()]

    async def drop_expired_secrets(self, now: int) -> None:
        s = webhook_secrets.c
        await self.conn.execute(
            sa.delete(webhook_secrets).where(s.expires_at.is_not(None), s.expires_at <= now)
        )
