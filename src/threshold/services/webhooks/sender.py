"""One HTTP attempt of a webhook delivery: pinned address, timeout, no redirects.

The request goes to the address :class:`AddressPolicy` checked (never resolved again by
the HTTP client), with the original ``Host`` header and TLS server name. Environment
proxies are ignored (a proxy would resolve the name itself). A 2xx answer is a success;
anything else, a 3xx included (redirects are not followed), a timeout or a broken
connection is a failure, recorded with what could be learnt: the status code, the time
taken and the first bytes of the response body.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from threshold.services.webhooks.addresses import AddressPolicy, AddressRefusedError, PinnedUrl

__all__ = ["HEAD_BYTES", "Outcome", "Sender"]

HEAD_BYTES = 1024
"""How much of a response body the delivery log keeps."""
_CLIENTS = 32
_USER_AGENT = "Threshold-Webhooks/1"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt came to."""

    succeeded: bool
    status_code: int | None
    response_ms: int
    response_head: str = ""
    error: str | None = None


class Sender:
    """Sends deliveries, keeping a few connection pools, one per (host name, address):
    a connection made for one host name is never reused for another."""

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.policy = policy
        self.timeout = timeout
        self._transport = transport
        self._clients: OrderedDict[tuple[str, str, str], httpx.AsyncClient] = OrderedDict()

    async def send(self, url: str, headers: Mapping[str, str], body: bytes) -> Outcome:
        started = time.perf_counter()
        try:
            pinned = await asyncio.wait_for(self.policy.pin(url), self.timeout)
            return await asyncio.wait_for(self._post(pinned, headers, body, started), self.timeout)
        except AddressRefusedError as exc:
            return Outcome(False, None, _ms(started), error=exc.message[:255])
        except (TimeoutError, httpx.TimeoutException):
            return Outcome(False, None, _ms(started), error="timed out")
        except httpx.HTTPError as exc:
            reason = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
            return Outcome(False, None, _ms(started), error=reason[:255])

    async def _post(
        self, pinned: PinnedUrl, headers: Mapping[str, str], body: bytes, started: float
    ) -> Outcome:
        client = await self._client(pinned)
        extensions = {"sni_hostname": pinned.server_name} if pinned.url.startswith("https") else {}
        request = client.build_request(
            "POST",
            pinned.url,
            content=body,
            headers={
                **headers,
                "host": pinned.host_header,
                "content-type": "application/json",
                "user-agent": _USER_AGENT,
            },
            extensions=extensions,
        )
        response = await client.send(request, stream=True)
        try:
            head = bytearray()
            async for chunk in response.aiter_raw():
                head += chunk
                if len(head) >= HEAD_BYTES:
                    break
        finally:
            await response.aclose()
        status = response.status_code
        error = None
        if 300 <= status < 400:
            error = "redirect not followed"
        elif not 200 <= status < 300:
            error = f"HTTP {status}"
        text = bytes(head[:HEAD_BYTES]).decode("utf-8", "replace").replace("\x00", "\ufffd")
        return Outcome(error is None, status, _ms(started), text, error)

    async def _client(self, pinned: PinnedUrl) -> httpx.AsyncClient:
        key = (pinned.url.split(":", 1)[0], pinned.address, pinned.host_header)
        client = self._clients.pop(key, None)
        if client is None:
            client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout),
                follow_redirects=False,
                trust_env=False,
                transport=self._transport,
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
            )
        self._clients[key] = client
        while len(self._clients) > _CLIENTS:
            _, old = self._clients.popitem(last=False)
            await old.aclose()
        return client

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), OrderedDict()
        for client in clients:
            await client.aclose()


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
