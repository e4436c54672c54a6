"""The instance: its identity, secret keys and signing keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["ApiKey", "HandshakeNonce", "Instance", "StoredSigningKey"]


@dataclass(frozen=True, slots=True)
class Instance:
    """The one instance row: environment, publishable key and the HMAC secret (hex)."""

    id: str
    environment: str
    publishable_key: str
    hmac_secret: str
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A secret key, stored as a digest with a short prefix for recognising it."""

    id: str
    digest: str
    prefix: str
    created_at: int
    updated_at: int
    revoked_at: int | None = None


@dataclass(frozen=True, slots=True)
class StoredSigningKey:
    """A signing key as stored: the private key in PEM, retired once a newer one signs."""

    kid: str
    private_pem: str
    created_at: int
    updated_at: int
    retired_at: int | None = None


@dataclass(frozen=True, slots=True)
class HandshakeNonce:
    """Set-Cookie directives kept for one handshake, behind a single-use nonce's digest."""

    digest: str
    directives: Sequence[str]
    expire_at: int
    created_at: int
