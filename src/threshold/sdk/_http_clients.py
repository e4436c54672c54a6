"""The SDK's HTTP clients, made on first use and then shared.

One sync httpx client for the process, one async httpx client per event loop (an httpx
async client must not be used across loops), and the Backend API clients over them.
The request rules' runner fetches keys and calls the Backend API with them; a request's
state loads the user and mints tokens with the Backend API clients.
"""

from __future__ import annotations

import asyncio
import threading
import weakref

import httpx

from threshold.sdk.client import AsyncClient, Client
from threshold.sdk.config import SdkConfig

__all__ = ["HttpClients"]


class HttpClients:
    """HTTP clients for one :class:`SdkConfig`: httpx's sync and per-loop async clients,
    and the Backend API's :class:`Client` and :class:`AsyncClient` built on them."""

    def __init__(self, config: SdkConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._sync_http: httpx.Client | None = None
        self._sync_api: Client | None = None
        self._async: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[httpx.AsyncClient, AsyncClient | None]
        ] = weakref.WeakKeyDictionary()

    def sync_http(self) -> httpx.Client:
        """A shared sync httpx client."""
        with self._lock:
            if self._sync_http is None:
                self._sync_http = httpx.Client(timeout=self.config.timeout)
            return self._sync_http

    def async_http(self) -> httpx.AsyncClient:
        """An httpx async client for the running event loop."""
        loop = asyncio.get_running_loop()
        entry = self._async.get(loop)
        if entry is None:
            entry = (httpx.AsyncClient(timeout=self.config.timeout), None)
            self._async[loop] = entry
        return entry[0]

    def api(self) -> Client:
        """The sync Backend API client (needs a secret key and the API URL)."""
        with self._lock:
            if self._sync_api is None:
                http = self._sync_http or httpx.Client(timeout=self.config.timeout)
                self._sync_http = http
                self._sync_api = Client(config=self.config, http_client=http)
            return self._sync_api

    def aapi(self) -> AsyncClient:
        """The async Backend API client for the running event loop."""
        http = self.async_http()
        loop = asyncio.get_running_loop()
        entry = self._async[loop]
        if entry[1] is None:
            entry = (http, AsyncClient(config=self.config, http_client=http))
            self._async[loop] = entry
        assert entry[1] is not None
        return entry[1]
