"""The instance's signing keys: sign with the newest, publish every key still needed."""

from __future__ import annotations

import time
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from threshold.core.clock import Clock, to_ms
from threshold.core.errors import ConfigurationError
from threshold.core.jwt import encode_rs256
from threshold.core.keys import SigningKey, generate_signing_key, public_jwk
from threshold.core.records.instance import StoredSigningKey
from threshold.services.infra.audit import audit
from threshold.store.db import Database
from threshold.store.repositories.instance import InstanceRepository

__all__ = ["Keyring"]


class Keyring:
    """Signing keys loaded from the database and refreshed now and then.

    Several server processes share the database, so a rotation made by one of them
    (or by ``threshold keys rotate``) reaches the others within ``refresh_seconds``.
    """

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        retire_grace_seconds: int = 3600,
        refresh_seconds: float = 30.0,
    ) -> None:
        self._db = db
        self._clock = clock
        self._grace_ms = retire_grace_seconds * 1000
        self._refresh = refresh_seconds
        self._active: SigningKey | None = None
        self._published: dict[str, rsa.RSAPublicKey] = {}
        self._loaded_at = 0.0

    async def load(self) -> None:
        """Read the keys from the database."""
        async with self._db.transaction(readonly=True) as conn:
            rows = await InstanceRepository(conn).signing_keys()
        now_ms = to_ms(self._clock.now())
        active: SigningKey | None = None
        published: dict[str, rsa.RSAPublicKey] = {}
        for stored in rows:
            retired = stored.retired_at
            if retired is not None and retired + self._grace_ms < now_ms:
                continue
            key = SigningKey.from_pem(stored.kid, stored.private_pem)
            published[key.kid] = key.public_key
            if retired is None and active is None:
                active = key
        if active is None:
            raise ConfigurationError("No active signing key. Run `threshold keys rotate`.")
        self._active, self._published = active, published
        self._loaded_at = time.monotonic()

    async def maybe_refresh(self) -> None:
        """Reload when the cached keys are older than the refresh interval."""
        if time.monotonic() - self._loaded_at > self._refresh:
            await self.load()

    @property
    def active(self) -> SigningKey:
        if self._active is None:
            raise ConfigurationError("Keyring used before load().")
        return self._active

    @property
    def public_keys(self) -> dict[str, rsa.RSAPublicKey]:
        return dict(self._published)

    def jwks(self) -> dict[str, Any]:
        """``{"keys": [...]}`` with the public half of every published key."""
        return {"keys": [public_jwk(kid, key) for kid, key in self._published.items()]}

    def sign(self, claims: dict[str, Any], *, headers: dict[str, Any] | None = None) -> str:
        key = self.active
        return encode_rs256(claims, key.private_key, key.kid, headers=headers)

    @staticmethod
    async def rotate(
        db: Database, clock: Clock, *, drop_old: bool = False, bits: int = 2048
    ) -> SigningKey:
        """Add a new signing key; old keys stay published for the grace period, or are
        dropped at once with ``drop_old`` (emergency rotation)."""
        key = generate_signing_key(bits)
        now_ms = to_ms(clock.now())
        ended: list[str] = []
        async with db.transaction() as conn:
            repo = InstanceRepository(conn)
            for stored in await repo.signing_keys():
                if drop_old:
                    await repo.drop_signing_key(stored.kid)
                    ended.append(stored.kid)
                elif stored.retired_at is None:
                    await repo.retire_signing_key(stored.kid, now_ms)
                    ended.append(stored.kid)
            await repo.add_signing_key(
                StoredSigningKey(
                    kid=key.kid, private_pem=key.private_pem(), created_at=now_ms, updated_at=now_ms
                )
            )
        audit(
            "signing_key.rotated",
            kid=key.kid,
            ended=ended,
            old_keys="dropped" if drop_old else "retired",
        )
        return key
