"""A flood of unknown ``kid`` values through both middlewares costs the server one JWKS
fetch per interval, and no ``kid`` ever reaches a URL; while the JWKS fails, the flood
costs one fetch per five seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from anyio.from_thread import BlockingPortal

from tests.sdk.attacks.apps import (
    FETCH,
    SCENARIOS,
    Reply,
    acall_asgi,
    asgi_app,
    call_asgi,
    call_wsgi,
    make_config,
    wsgi_app,
)
from tests.sdk.attacks.tokens import KID_PAYLOADS, Forge
from threshold import Authenticator
from threshold.asgi import AuthMiddleware as AsgiAuth
from threshold.core.clock import FrozenClock
from threshold.wsgi import AuthMiddleware as WsgiAuth


@pytest.fixture
def requested_urls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every URL requested through httpx (the SDK's only HTTP client) during the test."""
    urls: list[str] = []
    sync_send = httpx.Client.send
    async_send = httpx.AsyncClient.send

    def record_sync(self: httpx.Client, request: httpx.Request, **kw: Any) -> httpx.Response:
        urls.append(str(request.url))
        return sync_send(self, request, **kw)

    async def record_async(
        self: httpx.AsyncClient, request: httpx.Request, **kw: Any
    ) -> httpx.Response:
        urls.append(str(request.url))
        return await async_send(self, request, **kw)

    monkeypatch.setattr(httpx.Client, "send", record_sync)
    monkeypatch.setattr(httpx.AsyncClient, "send", record_async)
    return urls


def _flood_kids(count: int, round_: int) -> list[str]:
    kids = [f"{payload}{round_}" for payload in KID_PAYLOADS]
    kids += [f"ins_flood_{round_}_{i}{'/..' * (i % 4)}" for i in range(count - len(kids))]
    return kids


def _flood_headers(forge: Forge, kids: list[str]) -> list[tuple[str, dict[str, str]]]:
    """Half as Bearer tokens, half as ``__session`` cookies on page loads."""
    requests = []
    for i, kid in enumerate(kids):
        scenario = SCENARIOS[0] if i % 2 else SCENARIOS[3]
        token = forge.stranger(kid)
        requests.append((scenario.method, scenario.request_headers(token, forge.now - 3600)))
    return requests


def _assert_flood_refused(replies: list[Reply]) -> None:
    for reply in replies:
        assert reply.status == 200
        assert reply.json() == {
            "user_id": None,
            "is_authenticated": False,
            "reason": "jwk-kid-mismatch",
        }


def _asgi_flood(app: AsgiAuth, requests: list[tuple[str, dict[str, str]]]) -> Callable[[], Any]:
    """All requests at once on the event loop."""

    async def run() -> list[Reply]:
        raw = [
            [(k.encode("latin-1"), v.encode("latin-1")) for k, v in h.items()] for _, h in requests
        ]
        calls = (acall_asgi(app, method, r) for (method, _), r in zip(requests, raw, strict=True))
        return list(await asyncio.gather(*calls))

    return run


def _wsgi_flood(app: WsgiAuth, requests: list[tuple[str, dict[str, str]]]) -> list[Reply]:
    """All requests from eight threads."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda r: call_wsgi(app, *r), requests))


@pytest.mark.parametrize("secret", [True, False], ids=["v1-jwks", "well-known"])
def test_unknown_kid_flood_costs_one_fetch_per_interval(
    forge: Forge, portal: BlockingPortal, requested_urls: list[str], secret: bool
) -> None:
    api = forge.api
    config = make_config(api, "jwks", secret=secret)
    path = "/v1/jwks" if secret else "/.well-known/jwks.json"
    clock_asgi, clock_wsgi = FrozenClock(), FrozenClock()
    asgi = asgi_app(Authenticator(config, clock=clock_asgi))
    wsgi = wsgi_app(Authenticator(config, clock=clock_wsgi))
    # 200 concurrent requests per middleware, each with its own unknown kid: the first
    # miss loads the key set; every other one shares that fetch or waits out the interval.
    kids = [_flood_kids(200, 0), _flood_kids(200, 1)]
    _assert_flood_refused(portal.call(_asgi_flood(asgi, _flood_headers(forge, kids[0]))))
    assert api.count("GET", path) == 1
    _assert_flood_refused(_wsgi_flood(wsgi, _flood_headers(forge, kids[1])))
    assert api.count("GET", path) == 2
    # The keys are loaded: a genuine token signs in with no further fetch.
    good = {"authorization": f"Bearer {forge.valid()}", **FETCH}
    assert call_asgi(portal, asgi, "GET", good).json()["user_id"] == "user_1"
    assert call_wsgi(wsgi, "GET", good).json()["user_id"] == "user_1"
    assert api.count("GET", path) == 2
    # A minute later: one more fetch each, however many unknown kids arrive.
    clock_asgi.advance(61)
    clock_wsgi.advance(61)
    kids.append(_flood_kids(50, 2))
    later = _flood_headers(forge, kids[2])
    _assert_flood_refused(portal.call(_asgi_flood(asgi, later)))
    _assert_flood_refused(_wsgi_flood(wsgi, later))
    assert api.count("GET", path) == 4
    # The SDK only ever asked for the key set: no kid reached any URL.
    assert api.calls == [("GET", path)] * 4
    assert api.queries == [""] * 4
    assert requested_urls == [f"{api.url}{path}"] * 4
    for url in (*requested_urls, *api.queries):
        assert not any(len(kid) > 2 and kid in unquote(url) for batch in kids for kid in batch)
    assert forge.other.calls == []


def test_flood_while_the_jwks_fails_costs_one_fetch_per_five_seconds(
    forge: Forge, portal: BlockingPortal
) -> None:
    """An outage fails closed (genuine tokens too) and is retried after 5 s, not per request."""
    api = forge.api
    api.jwks_status = 500
    config = make_config(api, "jwks")
    clock = FrozenClock()
    sdk = Authenticator(config, clock=clock)
    asgi, wsgi = asgi_app(sdk), wsgi_app(sdk)  # one SDK, one key cache, both middlewares
    requests = _flood_headers(forge, _flood_kids(40, 0))
    requests.append(("GET", {"authorization": f"Bearer {forge.valid()}", **FETCH}))
    for _ in range(2):
        replies = [*portal.call(_asgi_flood(asgi, requests)), *_wsgi_flood(wsgi, requests)]
        for reply in replies:
            assert reply.status == 200
            assert reply.json() == {
                "user_id": None,
                "is_authenticated": False,
                "reason": "jwk-failed-to-load",
            }
        assert api.calls == [("GET", "/v1/jwks")]
    api.jwks_status = 200
    clock.advance(6)
    good = requests[-1]
    assert call_wsgi(wsgi, *good).json()["user_id"] == "user_1"
    assert call_asgi(portal, asgi, *good).json()["user_id"] == "user_1"
    assert api.calls == [("GET", "/v1/jwks")] * 2
