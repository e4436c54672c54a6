"""The instance row, its API (secret) keys, its signing keys and handshake nonces."""

from __future__ import annotations

import sqlalchemy as sa

from threshold.core.records.instance import ApiKey, HandshakeNonce, Instance, StoredSigningKey
from threshold.store.repositories._base import Repository
from threshold.store.repositories._records import column_values, record_of
from threshold.store.tables import api_keys, handshake_nonces, instance, signing_keys

__all__ = ["HandshakeNonceRepository", "InstanceRepository"]


class InstanceRepository(Repository[Instance]):
    table = instance
    record = Instance

    async def first(self) -> Instance | None:
        """The instance, once it was created."""
        return await self._one(sa.select(instance).limit(1))

    async def active_api_key(self, digest: str) -> ApiKey | None:
        """The secret key with this digest, unless it was revoked."""
        row = (
            (
                await self.conn.execute(
                    sa.select(api_keys).where(
                        api_keys.c.digest == digest, api_keys.c.revoked_at.is_(None)
                    )
                )
            )
            .mappings()
            .first()
        )
        return None if row is None else record_of(ApiKey, row)

    async def add_api_key(self, key: ApiKey) -> None:
        await self.conn.execute(sa.insert(api_keys).values(**column_values(key, api_keys)))

    async def api_keys(self) -> list[ApiKey]:
        """Every secret key, oldest first."""
        result = await self.conn.execute(sa.select(api_keys).order_by(api_keys.c.created_at))
        return [record_of(ApiKey, r) for r in result.mappings()]

    async def signing_keys(self) -> list[StoredSigningKey]:
        """Every signing key, newest first (retired ones included, for verification)."""
        result = await self.conn.execute(
            sa.select(signing_keys).order_by(signing_keys.c.created_at.desc(), signing_keys.c.kid)
        )
        return [record_of(StoredSigningKey, r) for r in result.mappings()]

    async def add_signing_key(self, key: StoredSigningKey) -> None:
        await self.conn.execute(sa.insert(signing_keys).values(**column_values(key, signing_keys)))

    async def retire_signing_key(self, kid: str, now_ms: int) -> None:
        await self.conn.execute(
            sa.update(signing_keys)
            .where(signing_keys.c.kid == kid)
            .values(retired_at=now_ms, updated_at=now_ms)
        )

    async def drop_signing_key(self, kid: str) -> None:
        await self.conn.execute(sa.delete(signing_keys).where(signing_keys.c.kid == kid))


class HandshakeNonceRepository(Repository[HandshakeNonce]):
    table = handshake_nonces
    record = HandshakeNonce

    async def take(self, digest: str, now_ms: int) -> HandshakeNonce | None:
        """Return and delete the nonce (single use), if it has not expired."""
        nonce = await self._one(
            sa.select(handshake_nonces).where(handshake_nonces.c.digest == digest)
        )
        await self.conn.execute(
            sa.delete(handshake_nonces).where(handshake_nonces.c.digest == digest)
        )
        if nonce is None or nonce.expire_at < now_ms:
            return None
        return nonce
