"""The access log: one line per request, no query string (tickets and tokens travel
there), nothing unprintable, error responses included."""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from tests.support import LiveServer
from threshold.server.logs import ACCESS_LOGGER, AccessLog

CANARY = "CANARY9f1c2e"


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == ACCESS_LOGGER]


def test_each_request_is_one_line_without_its_query_string(
    sqlite_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    with httpx.Client(base_url=sqlite_server.url) as http:
        assert http.get(f"/sign-in?__clerk_ticket={CANARY}&redirect_url=x").status_code == 200
        assert http.get("/v1/environment", params={"__clerk_db_jwt": CANARY}).status_code == 200
        refused = http.post(f"/v1/client/sessions/sess_x/tokens?_clerk_js_version={CANARY}")
        assert refused.status_code == 401
    lines = _lines(caplog)
    assert len(lines) == 3, lines
    ids = [line.rsplit(" ", 1)[1] for line in lines]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids) and len(set(ids)) == 3
    assert lines[0].endswith(f'- "GET /sign-in HTTP/1.1" 200 {ids[0]}')
    assert lines[0].startswith("127.0.0.1:")
    assert lines[1].endswith(f'"GET /v1/environment HTTP/1.1" 200 {ids[1]}')
    assert lines[2].endswith(f'"POST /v1/client/sessions/sess_x/tokens HTTP/1.1" 401 {ids[2]}')
    assert refused.json()["clerk_trace_id"] == ids[2]  # the error body names the request
    assert not any(CANARY in line for line in lines)


async def _call(app: Any, scope: Scope) -> None:
    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_message: Message) -> None:
        return None

    await app(scope, receive, send)


def _scope(raw_path: bytes, path: str = "/") -> Scope:
    return {
        "type": "http",
        "method": "GET",
        "http_version": "1.1",
        "path": path,
        "raw_path": raw_path,
        "query_string": b"",
        "headers": [],
        "client": ("192.0.2.1", 4000),
    }


async def _fails(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 500, "headers": []})
    await send({"type": "http.response.body", "body": b""})
    raise RuntimeError("after the response")


async def _gone(scope: Scope, receive: Receive, send: Send) -> None:
    raise OSError("client went away")


@pytest.mark.anyio
async def test_unprintable_paths_are_escaped_and_failures_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    with pytest.raises(RuntimeError):
        await _call(AccessLog(_fails), _scope(b"/a\r\nINFO: forged\xff"))
    with pytest.raises(OSError):
        await _call(AccessLog(_gone), {**_scope(b"/b?t=" + CANARY.encode()), "client": None})
    lines = [line.rsplit(" ", 1)[0] for line in _lines(caplog)]
    assert lines == [
        '192.0.2.1:4000 - "GET /a\\r\\nINFO: forged\\xff HTTP/1.1" 500',
        '- - "GET /b HTTP/1.1" 0',
    ]


@pytest.mark.anyio
async def test_nothing_is_logged_when_the_access_log_is_off(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger=ACCESS_LOGGER)

    async def ok(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})

    await _call(AccessLog(ok), _scope(b"/"))
    assert _lines(caplog) == []
