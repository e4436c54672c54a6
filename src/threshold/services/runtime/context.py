"""Everything a service needs, built once at start-up and passed explicitly."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import anyio.to_thread

from threshold.core.clock import Clock, SystemClock, to_ms
from threshold.core.passwords import PasswordHasher, PasswordPolicy
from threshold.services.auth.strategies.registry import StrategyRegistry
from threshold.services.infra.mail import MultiMailer
from threshold.services.infra.ratelimit import RateLimiter
from threshold.services.instance.bootstrap import InstanceInfo
from threshold.services.instance.keyring import Keyring
from threshold.services.instance.settings import Settings
from threshold.services.webhooks.wakeup import Wakeup
from threshold.store.db import Database

__all__ = ["AsyncHasher", "ServerContext"]


class AsyncHasher:
    """Runs argon2 off the event loop with bounded concurrency.

    A storm of sign-ins must not stall token refreshes, so at most ``limit`` hashes run
    at once, in worker threads (argon2-cffi releases the GIL).
    """

    def __init__(self, hasher: PasswordHasher, limit: int = 4) -> None:
        self.hasher = hasher
        self._sem = asyncio.Semaphore(limit)

    async def hash(self, password: str) -> str:
        async with self._sem:
            return await anyio.to_thread.run_sync(self.hasher.hash, password)

    async def verify(self, digest: str, password: str) -> bool:
        async with self._sem:
            return await anyio.to_thread.run_sync(self.hasher.verify, digest, password)

    async def burn(self, password: str) -> None:
        async with self._sem:
            await anyio.to_thread.run_sync(self.hasher.burn, password)


@dataclass
class ServerContext:
    """The server's collaborators. One per app; no globals."""

    settings: Settings
    db: Database
    keyring: Keyring
    instance: InstanceInfo
    mailer: MultiMailer
    limiter: RateLimiter
    hasher: AsyncHasher
    strategies: StrategyRegistry[ServerContext]
    """The sign-in factors and sign-up verifications this server offers."""
    clock: Clock = field(default_factory=SystemClock)
    policy: PasswordPolicy = field(default_factory=PasswordPolicy)
    webhook_wakeup: Wakeup = field(default_factory=Wakeup)
    """Set after a commit that wrote webhook events; the dispatcher waits on it."""

    def now_ms(self) -> int:
        return to_ms(self.clock.now())

    def now_s(self) -> int:
        return int(self.clock.now())

    @property
    def issuer(self) -> str:
        return self.settings.public_url
