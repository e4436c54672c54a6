"""Talking to providers over HTTP: one deadline per exchange, a size cap, typed errors.

Every request, from connecting to the last byte of the answer, must finish within
``THRESHOLD_SOCIAL_PROVIDER_TIMEOUT`` seconds (httpx's own timeouts bound connecting,
each read and each write one at a time, so a server that drips bytes would outlast
them). Certificates are checked (httpx's default), redirects are not followed, and an
answer over 1 MiB is refused. A provider that cannot be reached, answers too slowly or
fails with a 5xx or 429 is :class:`ProviderUnavailableError`; one that answers something
else than JSON is :class:`ProviderResponseError`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import anyio
import httpx

from threshold.services.oauth.errors import (
    ProviderRefusedError,
    ProviderResponseError,
    ProviderUnavailableError,
)

__all__ = ["MAX_ANSWER_BYTES", "ProviderAnswer", "ProviderHttp"]

MAX_ANSWER_BYTES = 1 << 20

_HEADERS = {"Accept": "application/json", "User-Agent": "Threshold"}


class ProviderAnswer:
    """A provider's HTTP answer: its status and its JSON body (None when not JSON)."""

    __slots__ = ("body", "status")

    def __init__(self, status: int, body: object) -> None:
        self.status = status
        self.body = body


class ProviderHttp:
    """The outbound HTTP client of social sign-in (one per server)."""

    def __init__(
        self, timeout: float, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.timeout = timeout
        self._client = httpx.AsyncClient(
            timeout=timeout, follow_redirects=False, headers=_HEADERS, transport=transport
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def get_json(
        self,
        provider: str,
        url: str,
        *,
        bearer: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> object:
        """GET ``url`` and return its JSON. A 4xx answer means the provider refused the
        token presented (:class:`ProviderRefusedError`)."""
        extra = dict(headers or {})
        if bearer is not None:
            extra["Authorization"] = f"Bearer {bearer}"
        answer = await self._send(provider, self._client.build_request("GET", url, headers=extra))
        if answer.status >= 400:
            raise ProviderRefusedError(
                f"{provider} refused the request for the user's profile.",
                meta={"provider_status": answer.status},
            )
        if answer.body is None:
            raise ProviderResponseError(f"{provider} did not answer with JSON.")
        return answer.body

    async def post_form(
        self, provider: str, url: str, body: str, *, headers: Mapping[str, str] | None = None
    ) -> ProviderAnswer:
        """POST a form-encoded ``body`` (a token request); the caller reads OAuth errors
        from the answer."""
        extra = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        request = self._client.build_request("POST", url, content=body.encode(), headers=extra)
        return await self._send(provider, request)

    async def _send(self, provider: str, request: httpx.Request) -> ProviderAnswer:
        try:
            with anyio.fail_after(self.timeout):
                response = await self._client.send(request, stream=True)
                try:
                    raw = await _read_capped(provider, response)
                finally:
                    await response.aclose()
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise ProviderUnavailableError(
                f"{provider} did not answer within {self.timeout:g} seconds. Please try again."
            ) from exc
        except httpx.HTTPError as exc:
            raise ProviderUnavailableError(
                f"{provider} could not be reached. Please try again shortly."
            ) from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise ProviderUnavailableError(
                f"{provider} is not answering normally. Please try again shortly.",
                meta={"provider_status": response.status_code},
            )
        return ProviderAnswer(response.status_code, _json(raw))


async def _read_capped(provider: str, response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise ProviderResponseError(f"{provider} sent an answer larger than Threshold reads.")
        chunks.append(chunk)
    return b"".join(chunks)


def _json(raw: bytes) -> object:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError too
        return None
