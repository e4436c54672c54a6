"""Creating the instance on first start: keys, secret key, publishable key."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from threshold.core.clock import Clock, to_ms
from threshold.core.codes import token_digest
from threshold.core.errors import ConfigurationError
from threshold.core.ids import new_id
from threshold.core.keys import generate_signing_key
from threshold.core.records.instance import ApiKey, Instance, StoredSigningKey
from threshold.store.db import Database
from threshold.store.repositories.instance import InstanceRepository

__all__ = [
    "InstanceInfo",
    "check_secret_strength",
    "ensure_instance",
    "publishable_key_for",
    "secret_key_env",
]


@dataclass(frozen=True, slots=True)
class InstanceInfo:
    """What start-up learns about the instance."""

    instance: Instance
    created: bool
    secret_key: str | None
    """The secret key in clear text: known only when just created (or given by setting)."""

    @property
    def id(self) -> str:
        return self.instance.id

    @property
    def publishable_key(self) -> str:
        return self.instance.publishable_key

    @property
    def hmac_secret(self) -> bytes:
        return bytes.fromhex(self.instance.hmac_secret)


def publishable_key_for(public_url: str, environment: str) -> str:
    """``pk_test_``/``pk_live_`` + base64 of ``<host>$`` (padding stripped), as Clerk's."""
    host = urlsplit(public_url).netloc
    prefix = "pk_test_" if environment == "development" else "pk_live_"
    return prefix + base64.b64encode(f"{host}$".encode()).decode().rstrip("=")


_PLACEHOLDERS = ("changeme", "change_me", "secret", "example", "placeholder", "xxxx", "test")


def check_secret_strength(secret_key: str) -> None:
    """Refuse a production secret key that is short or looks like a placeholder."""
    body = secret_key.split("_", 2)[-1]
    lowered = body.lower()
    if len(body) < 32 or len(set(body)) < 12 or any(p in lowered for p in _PLACEHOLDERS):
        raise ConfigurationError(
            "THRESHOLD_SECRET_KEY looks like a placeholder or is too short: use at least 32 "
            "random characters after 'sk_live_' (or unset it to have one generated)."
        )


def secret_key_env(environment: str) -> str:
    return "sk_test_" if environment == "development" else "sk_live_"


def _new_secret_key(environment: str) -> str:
    return secret_key_env(environment) + secrets.token_urlsafe(32).replace("-", "").replace("_", "")


async def ensure_instance(
    db: Database,
    clock: Clock,
    *,
    public_url: str,
    environment: str,
    secret_key: str | None = None,
) -> InstanceInfo:
    """Return the instance, creating it (with an RSA-2048 key and API key) if absent.

    ``secret_key`` (``THRESHOLD_SECRET_KEY``) becomes the instance's secret key when the
    instance is created; later it is only checked to be one of its keys.
    """
    prefix = secret_key_env(environment)
    if secret_key is not None and not secret_key.startswith(prefix):
        raise ConfigurationError(f"THRESHOLD_SECRET_KEY must start with {prefix!r}.")
    if secret_key is not None and environment == "production":
        check_secret_strength(secret_key)
    async with db.transaction() as conn:
        repo = InstanceRepository(conn)
        found = await repo.first()
        if found is not None:
            if (
                secret_key is not None
                and await repo.active_api_key(token_digest(secret_key)) is None
            ):
                raise ConfigurationError(
                    "THRESHOLD_SECRET_KEY is not one of this instance's secret keys."
                )
            return InstanceInfo(instance=found, created=False, secret_key=secret_key)
        now_ms = to_ms(clock.now())
        created = await repo.insert(
            Instance(
                id=new_id("ins"),
                environment=environment,
                publishable_key=publishable_key_for(public_url, environment),
                hmac_secret=secrets.token_hex(32),
                created_at=now_ms,
                updated_at=now_ms,
            )
        )
        key = secret_key or _new_secret_key(environment)
        await repo.add_api_key(
            ApiKey(
                id=new_id("ak"),
                digest=token_digest(key),
                prefix=key[:12],
                created_at=now_ms,
                updated_at=now_ms,
            )
        )
        signing = generate_signing_key()
        await repo.add_signing_key(
            StoredSigningKey(
                kid=signing.kid,
                private_pem=signing.private_pem(),
                created_at=now_ms,
                updated_at=now_ms,
            )
        )
    return InstanceInfo(instance=created, created=True, secret_key=key)
