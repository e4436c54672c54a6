"""The public keys session tokens are checked against: a PEM given up front, or a JWKS
fetched from the server and refetched when a token names an unknown ``kid``.

Refetches are rate limited (once per ``jwks_refresh_interval``; five seconds after a
failed fetch) and single-flight: concurrent misses, in threads or in tasks, share one
request, so a flood of tokens with made-up ``kid`` values costs the server one call a
minute.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from threshold.core.clock import Clock, SystemClock
from threshold.core.keys import jwk_to_public_key, load_public_key_pem
from threshold.sdk.config import SdkConfig

__all__ = ["JwksCache", "StaticKey", "parse_jwks"]

log = logging.getLogger("threshold.sdk")
_RETRY_AFTER_FAILURE = 5.0


class StaticKey(Mapping[str, rsa.RSAPublicKey]):
    """A key set that answers every ``kid`` with one key (``THRESHOLD_JWT_KEY``)."""

    def __init__(self, key: rsa.RSAPublicKey) -> None:
        self._key = key

    def __getitem__(self, kid: str) -> rsa.RSAPublicKey:
        return self._key

    def get(self, kid: str, default: object = None) -> rsa.RSAPublicKey:
        """The key, whatever the ``kid`` (a plain method: this is on the hot path)."""
        return self._key

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 1


def parse_jwks(body: object) -> dict[str, rsa.RSAPublicKey]:
    """The RS256 signing keys of a JWKS document; ValueError if it is not one."""
    if not isinstance(body, dict) or not isinstance(body.get("keys"), list):
        raise ValueError("not a JWKS document")
    keys: dict[str, rsa.RSAPublicKey] = {}
    for jwk in body["keys"]:
        if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str):
            continue
        if jwk.get("alg", "RS256") != "RS256" or jwk.get("use", "sig") != "sig":
            continue
        try:
            keys[jwk["kid"]] = jwk_to_public_key(jwk)
        except (ValueError, TypeError):
            log.warning("threshold: skipping an unusable JWK %r", jwk.get("kid"))
    return keys


class JwksCache:
    """Keys by ``kid``; :meth:`refresh_sync`/:meth:`refresh_async` refetch them."""

    def __init__(self, config: SdkConfig, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._interval = config.jwks_refresh_interval
        self.keys: Mapping[str, rsa.RSAPublicKey] = {}
        self.static = bool(config.jwt_key)
        self.url: str | None = None
        self._headers: dict[str, str] = {}
        if config.jwt_key:
            self.keys = StaticKey(load_public_key_pem(config.jwt_key))
        elif config.api_url:
            if config.secret_key:
                self.url = f"{config.api_url}/v1/jwks"
                self._headers = {"Authorization": f"Bearer {config.secret_key}"}
            else:
                self.url = f"{config.api_url}/.well-known/jwks.json"
        self._timeout = config.timeout
        self._last_attempt: float | None = None
        self.last_failed = False
        self.fetches = 0
        self._lock = threading.Lock()
        self._fetching = False
        self._inflight: tuple[asyncio.AbstractEventLoop, asyncio.Task[None]] | None = None

    def may_refresh(self) -> bool:
        """True when a fetch is allowed now (or one is in flight to wait for)."""
        if self.url is None:
            return False
        if self._fetching or (self._inflight is not None and not self._inflight[1].done()):
            return True
        return self._due()

    def _due(self) -> bool:
        """True when the last attempt is old enough for another one."""
        if self._last_attempt is None:
            return True
        wait = min(self._interval, _RETRY_AFTER_FAILURE) if self.last_failed else self._interval
        return self._clock.now() - self._last_attempt >= wait

    def _store(self, status: int, body: object) -> None:
        try:
            if status != 200:
                raise ValueError(f"HTTP {status}")
            self.keys = parse_jwks(body)
            self.last_failed = False
        except ValueError as exc:
            self.last_failed = True
            log.warning("threshold: could not load the JWKS from %s: %s", self.url, exc)

    def refresh_sync(self, http: httpx.Client | None = None) -> None:
        """Fetch the JWKS unless it was fetched too recently (threads share one fetch)."""
        with self._lock:
            if self.url is None or not self._due():
                return
            self._last_attempt = self._clock.now()
            self._fetching = True
            self.fetches += 1
            try:
                if http is None:
                    with httpx.Client(timeout=self._timeout) as own:
                        reply = own.get(self.url, headers=self._headers)
                else:
                    reply = http.get(self.url, headers=self._headers, timeout=self._timeout)
                self._store(reply.status_code, _json(reply))
            except httpx.HTTPError as exc:
                self.last_failed = True
                log.warning("threshold: could not reach %s: %s", self.url, exc)
            finally:
                self._fetching = False

    async def refresh_async(self, http: httpx.AsyncClient | None = None) -> None:
        """Async twin of :meth:`refresh_sync`; concurrent tasks await one fetch."""
        loop = asyncio.get_running_loop()
        inflight = self._inflight
        if inflight is not None and inflight[0] is loop and not inflight[1].done():
            await asyncio.shield(inflight[1])
            return
        if not self._due():
            return
        self._last_attempt = self._clock.now()
        task = loop.create_task(self._fetch_async(http))
        self._inflight = (loop, task)
        await asyncio.shield(task)

    async def _fetch_async(self, http: httpx.AsyncClient | None) -> None:
        assert self.url is not None
        self.fetches += 1
        try:
            if http is None:
                async with httpx.AsyncClient(timeout=self._timeout) as own:
                    reply = await own.get(self.url, headers=self._headers)
            else:
                reply = await http.get(self.url, headers=self._headers, timeout=self._timeout)
            self._store(reply.status_code, _json(reply))
        except httpx.HTTPError as exc:
            self.last_failed = True
            log.warning("threshold: could not reach %s: %s", self.url, exc)


def _json(reply: httpx.Response) -> Any:
    try:
        return reply.json()
    except ValueError:
        return None
