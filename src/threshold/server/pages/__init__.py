"""Hosted pages: sign-in, sign-up, profile (server-rendered, no JavaScript needed)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute

from threshold.core.errors import ThresholdError

__all__ = ["render_error_page", "routes", "wants_html"]

routes: list[BaseRoute] = []


def wants_html(request: Request) -> bool:
    """True for page requests (not the JSON APIs)."""
    path = request.url.path
    return not (path.startswith("/v1/") or path.startswith("/.well-known/"))


def render_error_page(request: Request, exc: ThresholdError) -> Response:
    import html

    return HTMLResponse(f"<p>{html.escape(exc.message)}</p>", status_code=400)
