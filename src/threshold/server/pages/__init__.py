"""Hosted pages: sign-in, sign-up, profile (server-rendered, no JavaScript needed).

Every page is a Jinja2 template (``server/templates``) styled by ``server/static``;
every form is CSRF-protected (:mod:`.csrf`) and every response carries a nonce CSP.
``app.py`` uses :func:`wants_html` and :func:`render_error_page` for errors raised
outside the pages' own handling.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import BaseRoute

from threshold.server.pages import dev, factor_two, images, profile, sign_in, sign_out, sign_up
from threshold.server.pages.code_flows import EMAIL_CODE, RESET_PASSWORD
from threshold.server.pages.rendering import render_error_page, render_unexpected_page

__all__ = ["render_error_page", "render_unexpected_page", "routes", "wants_html"]

routes: list[BaseRoute] = [
    *sign_in.routes,
    *factor_two.routes,
    *EMAIL_CODE.routes(),
    *RESET_PASSWORD.routes(),
    *sign_up.routes,
    *sign_out.routes,
    *profile.routes,
    *images.routes,
    *dev.routes,
]


def wants_html(request: Request) -> bool:
    """True for page requests (not the JSON APIs)."""
    path = request.url.path
    return not (path.startswith("/v1/") or path.startswith("/.well-known/"))
