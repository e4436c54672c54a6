"""SDK configuration: one small frozen object, from arguments or the environment.

Every field can also be set by a ``THRESHOLD_*`` variable, or by its ``CLERK_*`` twin so
an app moving from Clerk keeps its environment. Arguments win; when no argument is
given at all, :meth:`SdkConfig.from_env` is used.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any, cast

from threshold.core.errors import ConfigurationError
from threshold.core.keys import load_public_key_pem

__all__ = ["SdkConfig", "api_url_from_publishable_key"]

_ENV_NAMES = {
    "secret_key": "SECRET_KEY",
    "publishable_key": "PUBLISHABLE_KEY",
    "api_url": "API_URL",
    "jwt_key": "JWT_KEY",
    "authorized_parties": "AUTHORIZED_PARTIES",
    "sign_in_url": "SIGN_IN_URL",
    "action_secret": "ACTION_SECRET",
}


def api_url_from_publishable_key(key: str) -> str:
    """``pk_test_<base64(host$)>`` → ``https://host`` (``http`` for localhost)."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != "pk" or parts[1] not in ("test", "live"):
        raise ConfigurationError("The publishable key must look like pk_test_... or pk_live_...")
    try:
        host = base64.b64decode(parts[2] + "=" * (-len(parts[2]) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ConfigurationError("The publishable key is not valid base64.") from exc
    if not host.endswith("$") or "." not in host:
        raise ConfigurationError("The publishable key does not encode a host.")
    host = host[:-1]
    local = host.split(":")[0] in ("localhost", "127.0.0.1") or host.startswith("localhost.")
    return ("http://" if local else "https://") + host


@dataclass(frozen=True, slots=True)
class SdkConfig:
    """How the SDK finds keys and the server. Every field is optional."""

    secret_key: str | None = None
    """THRESHOLD_SECRET_KEY / CLERK_SECRET_KEY: ``sk_...``; Backend API calls (current user,
    JWKS, handshake, renew) send it as a Bearer token."""

    publishable_key: str | None = None
    """THRESHOLD_PUBLISHABLE_KEY / CLERK_PUBLISHABLE_KEY: ``pk_...``; names the server
    when ``api_url`` is not given."""

    api_url: str | None = None
    """THRESHOLD_API_URL / CLERK_API_URL: the server's base URL, without ``/v1``."""

    jwt_key: str | None = None
    """THRESHOLD_JWT_KEY / CLERK_JWT_KEY: the PEM public key; verification never touches
    the network when it is set."""

    authorized_parties: tuple[str, ...] = ()
    """THRESHOLD_AUTHORIZED_PARTIES (comma list): origins allowed in ``azp``. When set, a
    token without ``azp`` is refused. Server actions also trust these origins."""

    sign_in_url: str | None = None
    """THRESHOLD_SIGN_IN_URL: where signed-out visitors are sent (``<api_url>/sign-in``)."""

    action_secret: str | None = None
    """THRESHOLD_ACTION_SECRET: signs action ids, CSRF tokens and flash cookies. Needed
    only by apps that verify with ``jwt_key`` and have no secret key to derive it from."""

    clock_skew: float = 5.0
    """Seconds of leeway on ``exp``/``nbf``/``iat`` (Clerk's default)."""

    jwks_refresh_interval: float = 60.0
    """An unknown ``kid`` refetches the JWKS at most once per this many seconds."""

    renew_window: int = 12 * 3600
    """A validly signed token expired for less than this many seconds may be renewed
    server-side (a POST from a page left open); older ones mean signed out."""

    max_action_body: int = 1 << 20
    """Default request body limit of server actions, in bytes (413 above it)."""

    timeout: float = 5.0
    """Seconds before a Backend API call made during a request gives up."""

    def __post_init__(self) -> None:
        raw: object = self.authorized_parties
        items = raw.split(",") if isinstance(raw, str) else list(cast("Iterable[str]", raw))
        cleaned = tuple(p.strip().rstrip("/") for p in items if p and p.strip())
        object.__setattr__(self, "authorized_parties", cleaned)
        if self.api_url:
            url = self.api_url.rstrip("/")
            url = url.removesuffix("/v1")
            object.__setattr__(self, "api_url", url)
        elif self.publishable_key:
            object.__setattr__(self, "api_url", api_url_from_publishable_key(self.publishable_key))
        if self.jwt_key:
            try:
                load_public_key_pem(self.jwt_key)
            except (ValueError, TypeError) as exc:
                raise ConfigurationError("THRESHOLD_JWT_KEY is not a PEM public key.") from exc

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> SdkConfig:
        """Read ``THRESHOLD_*`` (else ``CLERK_*``) variables; ``overrides`` win."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, suffix in _ENV_NAMES.items():
            value = env.get("THRESHOLD_" + suffix) or env.get("CLERK_" + suffix)
            if value:
                values[name] = value
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @classmethod
    def resolve(cls, config: SdkConfig | None = None, **kwargs: Any) -> SdkConfig:
        """``config`` as given; else the keyword arguments; else the environment."""
        if config is not None:
            if kwargs:
                raise ConfigurationError("Pass either config= or keyword settings, not both.")
            return config
        known = {f.name for f in fields(cls)}
        unknown = set(kwargs) - known
        if unknown:
            raise ConfigurationError(f"Unknown SDK settings: {', '.join(sorted(unknown))}")
        return cls.from_env(**kwargs)

    @property
    def resolved_sign_in_url(self) -> str | None:
        """The sign-in page: ``sign_in_url`` or ``<api_url>/sign-in``."""
        if self.sign_in_url:
            return self.sign_in_url
        return f"{self.api_url}/sign-in" if self.api_url else None

    def signing_key(self, purpose: str) -> bytes:
        """A key for one purpose, derived from the action secret or the secret key."""
        root = self.action_secret or self.secret_key
        if not root:
            raise ConfigurationError(
                "Server actions need THRESHOLD_SECRET_KEY or THRESHOLD_ACTION_SECRET "
                "(they sign CSRF tokens and flash cookies)."
            )
        return hmac.new(root.encode(), b"threshold:" + purpose.encode(), hashlib.sha256).digest()
