"""Session-token verification: RS256 with a cached key set and a verified-token cache.

The checks are the core's (``verify_rs256``, ``check_session_shape``,
``check_time_claims``) plus the authorized-parties rule. A token that passed is cached
until its ``exp`` (+ skew) in a bounded LRU, so a repeat costs one dict lookup and one
comparison.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections import OrderedDict
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import httpx

from threshold.core.clock import Clock, SystemClock
from threshold.core.errors import TokenError
from threshold.core.jwt import check_time_claims, verify_rs256
from threshold.core.tokens import check_session_shape
from threshold.sdk.config import SdkConfig
from threshold.sdk.errors import TokenVerificationError
from threshold.sdk.jwks import JwksCache

__all__ = ["Claims", "Verifier", "averify_token", "verify_token"]

Claims = Mapping[str, Any]
"""Verified claims, read-only."""

_TIME_REASONS = frozenset({"token-expired", "token-not-active-yet", "token-iat-in-the-future"})


class Verifier:
    """Verifies session tokens for one :class:`SdkConfig`."""

    def __init__(
        self, config: SdkConfig, *, clock: Clock | None = None, cache_size: int = 10_000
    ) -> None:
        self.config = config
        self.jwks = JwksCache(config, clock)
        self._now = (clock or SystemClock()).now
        self._skew = config.clock_skew
        self._parties = frozenset(config.authorized_parties)
        self._cache: OrderedDict[str, tuple[float, Claims]] = OrderedDict()
        self._cache_size = cache_size

    def now(self) -> float:
        """The verifier's clock, in seconds."""
        return self._now()

    def cached(self, token: str) -> Claims | None:
        """The claims of a token verified before and not expired yet, else None."""
        hit = self._cache.get(token)
        if hit is not None and hit[0] > self._now():
            self._touch(token)
            return hit[1]
        return None

    def verify_local(self, token: str) -> Claims:
        """Verify with the keys at hand. Raises :class:`TokenVerificationError`.

        An unknown ``kid`` raises ``jwk-kid-mismatch``; the caller may refresh the
        JWKS (``needs_keys``) and try again.
        """
        now = self._now()
        hit = self._cache.get(token)
        if hit is not None and hit[0] > now:
            self._touch(token)
            return hit[1]
        jwks = self.jwks
        if jwks.last_failed and not jwks.keys:
            raise TokenVerificationError("jwk-failed-to-load", "The JWKS could not be loaded.")
        claims: dict[str, Any] | None = None
        try:
            header, claims = verify_rs256(token, jwks.keys)
            check_session_shape(header, claims)
            azp = claims.get("azp")
            if self._parties and not (isinstance(azp, str) and azp in self._parties):
                raise TokenError(
                    "The token's azp is not an authorized party.",
                    code="token-invalid-authorized-parties",
                )
            check_time_claims(claims, now, self._skew)
        except TokenError as exc:
            # A token that is only out of its time window still says whose it was.
            keep = MappingProxyType(claims) if claims and exc.code in _TIME_REASONS else None
            raise TokenVerificationError(exc.code, exc.message, keep) from None
        frozen = MappingProxyType(claims)
        self._remember(token, self.good_until(frozen), frozen)
        return frozen

    def good_until(self, claims: Claims) -> float:
        """When verified ``claims`` stop counting: ``exp`` plus the allowed clock skew."""
        exp: float = claims["exp"]
        return exp + self._skew

    def _touch(self, token: str) -> None:
        """Mark a hit as recently used (least recently used entries are evicted first)."""
        try:  # plain try: contextlib.suppress would double the cost of a hit
            self._cache.move_to_end(token)
        except KeyError:  # evicted by another thread meanwhile
            return

    def _remember(self, token: str, deadline: float, claims: Claims) -> None:
        cache = self._cache
        cache[token] = (deadline, claims)
        if len(cache) > self._cache_size:
            with contextlib.suppress(KeyError):  # emptied by another thread meanwhile
                cache.popitem(last=False)

    def needs_keys(self, error: TokenVerificationError) -> bool:
        """True when refetching the JWKS could turn ``error`` into a success."""
        if error.reason == "jwk-kid-mismatch":
            return self.jwks.may_refresh()
        return error.reason == "jwk-failed-to-load" and self.jwks.may_refresh()

    def verify(self, token: str, http: httpx.Client | None = None) -> Claims:
        """Verify, fetching the JWKS (blocking) when the ``kid`` is unknown."""
        try:
            return self.verify_local(token)
        except TokenVerificationError as exc:
            if not self.needs_keys(exc):
                raise
        self.jwks.refresh_sync(http)
        return self._after_refresh(token)

    async def averify(self, token: str, http: httpx.AsyncClient | None = None) -> Claims:
        """Async twin of :meth:`verify`."""
        try:
            return self.verify_local(token)
        except TokenVerificationError as exc:
            if not self.needs_keys(exc):
                raise
        await self.jwks.refresh_async(http)
        return self._after_refresh(token)

    def _after_refresh(self, token: str) -> Claims:
        if not self.jwks.keys and self.jwks.last_failed:
            raise TokenVerificationError("jwk-failed-to-load", "The JWKS could not be loaded.")
        return self.verify_local(token)


@functools.lru_cache(maxsize=16)
def _verifier_for(config: SdkConfig) -> Verifier:
    return Verifier(config)


_ENV_KEYS = tuple(
    f"{prefix}_{name}"
    for prefix in ("THRESHOLD", "CLERK")
    for name in (
        "SECRET_KEY",
        "PUBLISHABLE_KEY",
        "API_URL",
        "JWT_KEY",
        "AUTHORIZED_PARTIES",
        "SIGN_IN_URL",
        "ACTION_SECRET",
    )
)


_ENV_KEYS_RAW = tuple(os.fsencode(k) for k in _ENV_KEYS)


def _env_snapshot() -> tuple[object, ...]:
    """The SDK's variables as they are now, cheaply: this runs on every verify_token().

    ``os.environ.get`` encodes the name and decodes the value on each call; CPython
    keeps the raw mapping in ``os.environ._data``, read directly when present.
    """
    raw = getattr(os.environ, "_data", None)
    if isinstance(raw, dict):
        return tuple(raw.get(k) for k in _ENV_KEYS_RAW)
    return tuple(os.environ.get(k) for k in _ENV_KEYS)


def _verifier(
    config: SdkConfig | None,
    jwt_key: str | None,
    api_url: str | None,
    secret_key: str | None,
    authorized_parties: tuple[str, ...] | list[str] | None,
) -> Verifier:
    parties = tuple(authorized_parties) if authorized_parties is not None else None
    env = _env_snapshot() if config is None else ()
    return _verifier_from(config, jwt_key, api_url, secret_key, parties, env)


@functools.lru_cache(maxsize=16)
def _verifier_from(
    config: SdkConfig | None,
    jwt_key: str | None,
    api_url: str | None,
    secret_key: str | None,
    authorized_parties: tuple[str, ...] | None,
    env: tuple[object, ...],
) -> Verifier:
    # ``env`` is part of the cache key so a changed environment is seen.
    # Resolving a config validates its PEM (tens of microseconds): do it once per
    # distinct set of arguments, so a repeat verify_token() stays a cache lookup.
    options = {
        "jwt_key": jwt_key,
        "api_url": api_url,
        "secret_key": secret_key,
        "authorized_parties": authorized_parties,
    }
    resolved = SdkConfig.resolve(config, **{k: v for k, v in options.items() if v is not None})
    return _verifier_for(resolved)


def verify_token(
    token: str,
    config: SdkConfig | None = None,
    *,
    jwt_key: str | None = None,
    api_url: str | None = None,
    secret_key: str | None = None,
    authorized_parties: tuple[str, ...] | list[str] | None = None,
) -> dict[str, Any]:
    """Verify a session token and return its claims.

    Keys come from ``jwt_key`` (PEM, no network) or the JWKS of ``api_url``, fetched
    with a blocking call at most once a minute (use :func:`averify_token` in async code).
    Raises :class:`TokenVerificationError`; its ``reason`` is Clerk's string.
    """
    if not isinstance(token, str):
        raise TokenVerificationError("token-invalid", "The token must be a string.")
    verifier = _verifier(config, jwt_key, api_url, secret_key, authorized_parties)
    return dict(verifier.verify(token))


async def averify_token(
    token: str,
    config: SdkConfig | None = None,
    *,
    jwt_key: str | None = None,
    api_url: str | None = None,
    secret_key: str | None = None,
    authorized_parties: tuple[str, ...] | list[str] | None = None,
) -> dict[str, Any]:
    """Async twin of :func:`verify_token`."""
    if not isinstance(token, str):
        raise TokenVerificationError("token-invalid", "The token must be a string.")
    verifier = _verifier(config, jwt_key, api_url, secret_key, authorized_parties)
    return dict(await verifier.averify(token))
