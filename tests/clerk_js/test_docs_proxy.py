"""The FastAPI proxy of docs/clerk-js.md, run as printed (the page's only Python block)
against a real Threshold: calls, the client cookie and the scripts pass through it."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import httpx

from tests.browser import PASSWORD, FapiBrowser, sign_up_user
from tests.support import LiveServer

DOC = Path(__file__).resolve().parents[2] / "docs" / "clerk-js.md"


def _proxy(threshold_url: str) -> dict[str, Any]:
    """The block's globals: ``app`` and its ``upstream`` client."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    assert len(blocks) == 1
    source = blocks[0].replace('"http://127.0.0.1:8787"', repr(threshold_url))
    namespace: dict[str, Any] = {}
    exec(compile(source, str(DOC), "exec"), namespace)
    return namespace


def test_the_documented_proxy_forwards_the_frontend_api(threshold: LiveServer) -> None:
    api = FapiBrowser(threshold)
    sign_up_user(api, "ada@example.com")
    api.close()
    proxy = _proxy(threshold.url)

    async def go() -> None:
        transport = httpx.ASGITransport(app=proxy["app"], client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://app.test") as c:
            script = await c.get("/__clerk/npm/@clerk/clerk-js@6/dist/clerk.browser.js")
            assert script.status_code == 200
            assert script.headers["content-type"] == "text/javascript; charset=utf-8"
            created = await c.post(
                "/__clerk/v1/client/sign_ins?_clerk_js_version=6.40.0",
                data={"identifier": "ada@example.com", "password": PASSWORD},
            )
            assert created.status_code == 200, created.text
            assert created.json()["response"]["status"] == "complete"
            assert "__client" in created.cookies and "__session" in created.cookies
            client = await c.get("/__clerk/v1/client")
            assert client.json()["response"]["sessions"][0]["status"] == "active"
            missing = await c.get("/__clerk/v1/nothing/here")
            assert missing.status_code == 404
            assert missing.json()["errors"][0]["code"] == "resource_not_found"
        await proxy["upstream"].aclose()

    asyncio.run(go())
