"""The instance row, its API (secret) keys and its signing keys."""

from __future__ import annotations

import sqlalchemy as sa

from threshold.store.repositories._base import Repository, Row
from threshold.store.tables import api_keys, handshake_nonces, instance, signing_keys

__all__ = ["HandshakeNonceRepository", "InstanceRepository"]


class InstanceRepository(Repository):
    table = instance

    async def first(self) -> Row | None:
        return await self._one(sa.select(instance).limit(1))

    async def active_api_key(self, digest: str) -> Row | None:
        return await self._one(
            sa.select(api_keys).where(api_keys.c.digest == digest, api_keys.c.revoked_at.is_(None))
        )

    async def add_api_key(self, **values: object) -> None:
        await self.conn.execute(sa.insert(api_keys).values(**values))

    async def api_keys(self) -> list[Row]:
        return await self._all(sa.select(api_keys).order_by(api_keys.c.created_at))

    async def signing_keys(self) -> list[Row]:
        """Every signing key, newest first (retired ones included, for verification)."""
        return await self._all(
            sa.select(signing_keys).order_by(signing_keys.c.created_at.desc(), signing_keys.c.kid)
        )

    async def add_signing_key(self, **values: object) -> None:
        await self.conn.execute(sa.insert(signing_keys).values(**values))

    async def retire_signing_key(self, kid: str, now_ms: int) -> None:
        await self.conn.execute(
            sa.update(signing_keys)
            .where(signing_keys.c.kid == kid)
            .values(retired_at=now_ms, updated_at=now_ms)
        )

    async def drop_signing_key(self, kid: str) -> None:
        await self.conn.execute(sa.delete(signing_keys).where(signing_keys.c.kid == kid))


class HandshakeNonceRepository(Repository):
    table = handshake_nonces

    async def take(self, digest: str, now_ms: int) -> Row | None:
        """Return and delete the nonce's payload (single use), if it has not expired."""
        row = await self._one(
            sa.select(handshake_nonces).where(handshake_nonces.c.digest == digest)
        )
        await self.conn.execute(
            sa.delete(handshake_nonces).where(handshake_nonces.c.digest == digest)
        )
        if row is None or row["expire_at"] < now_ms:
            return None
        return row
