"""The Frontend API served under the app's own origin at a path: the proxy docs/clerk-js.md
shows for FastAPI, as a Starlette route for the test app (FastAPI's ``api_route`` is the
same route). clerk-js is then given ``proxyUrl: "/__clerk"``."""

from __future__ import annotations

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

__all__ = ["clerk_proxy"]

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
    "content-encoding",
}


def clerk_proxy(upstream: str, prefix: str = "/__clerk") -> Route:
    """Forward ``<prefix>/<path>`` to ``<upstream>/<path>``, cookies and redirects as they are."""
    client = httpx.AsyncClient(base_url=upstream, follow_redirects=False, timeout=30)

    async def forward(request: Request) -> Response:
        headers = {k: v for k, v in request.headers.items() if k not in _HOP_BY_HOP}
        headers["x-forwarded-for"] = request.client.host if request.client else ""
        headers["x-forwarded-proto"] = request.url.scheme
        answer = await client.request(
            request.method,
            "/" + request.path_params["path"],
            params=request.url.query,
            headers=headers,
            content=await request.body(),
        )
        response = Response(answer.content, status_code=answer.status_code)
        for key, value in answer.headers.multi_items():
            if key.lower() not in _HOP_BY_HOP:
                response.headers.append(key, value)
        return response

    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    return Route(prefix + "/{path:path}", forward, methods=methods)
