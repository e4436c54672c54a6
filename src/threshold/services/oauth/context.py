"""What the social sign-in services share: providers, their keys, the HTTP client, and
the box that seals provider tokens. One per server, built at start-up."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx

from threshold.core.clock import Clock
from threshold.core.encryption import SecretBox
from threshold.services.instance.encryption import secret_box
from threshold.services.instance.social_providers import SocialProviderSettings
from threshold.services.oauth.catalogue import NAMED_SPECS, ProviderSpec
from threshold.services.oauth.directory import ProviderDirectory
from threshold.services.oauth.discovery import ProviderKeys, ProviderMetadata
from threshold.services.oauth.http import ProviderHttp
from threshold.services.runtime.context import ServerContext

__all__ = ["CALLBACK_PATH", "OAuthContext", "RenewalLocks"]

CALLBACK_PATH = "/v1/oauth_callback"
"""Where providers send the browser back (Clerk's path): register
``<THRESHOLD_PUBLIC_URL>/v1/oauth_callback`` as the redirect URI with each provider."""

SEALING_PURPOSE = "oauth-tokens"


class RenewalLocks:
    """One lock per external account while its tokens are being renewed in this process.

    Providers that rotate refresh tokens accept each one once, so two renewals of one
    account at the same time would have one of them refused; the second waits here and
    then finds the token the first stored.
    """

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        async with lock:
            yield


@dataclass(frozen=True, slots=True)
class OAuthContext:
    """The social sign-in collaborators."""

    providers: ProviderDirectory
    keys: ProviderKeys
    http: ProviderHttp
    box: SecretBox
    clock: Clock
    redirect_uri: str
    renewals: RenewalLocks = field(default_factory=RenewalLocks)

    @classmethod
    def for_server(
        cls,
        ctx: ServerContext,
        social: SocialProviderSettings,
        *,
        specs: Mapping[str, ProviderSpec] = NAMED_SPECS,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> OAuthContext:
        """Build from the server's context. Raises ``ConfigurationError`` for a provider
        configured wrongly, or for a production server with providers but no
        ``THRESHOLD_ENCRYPTION_KEY``. ``specs`` and ``transport`` are for tests."""
        settings = ctx.settings
        http = ProviderHttp(settings.social_provider_timeout, transport=transport)
        box = (
            secret_box(settings, ctx.instance.hmac_secret, purpose=SEALING_PURPOSE)
            if social.enabled or settings.encryption_key is not None
            else SecretBox(ctx.instance.hmac_secret, purpose=f"{SEALING_PURPOSE}:unused")
        )
        return cls(
            providers=ProviderDirectory(social, ProviderMetadata(http, ctx.clock), specs=specs),
            keys=ProviderKeys(http, ctx.clock),
            http=http,
            box=box,
            clock=ctx.clock,
            redirect_uri=settings.public_url + CALLBACK_PATH,
        )

    async def aclose(self) -> None:
        await self.http.aclose()
