"""Turning templates into responses: Jinja2 environment, security headers, error pages.

Every page response carries a nonce CSP, ``Cache-Control: no-store`` and a
``Referrer-Policy``; pages that show or take a code or ticket use ``no-referrer``.
Nothing here needs a database: error pages render even when a service could not run.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from threshold.core.errors import (
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ThresholdError,
    UnavailableError,
)
from threshold.server.errors import status_for
from threshold.services.instance.settings import Settings

__all__ = [
    "TEMPLATES",
    "content_security_policy",
    "describe_error",
    "page_headers",
    "render_error_page",
    "render_html",
    "render_unexpected_page",
]

log = logging.getLogger("threshold.pages")

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent.parent / "templates"),
    autoescape=select_autoescape(["html", "svg"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
"""The hosted pages' templates (stateless: settings arrive with each render)."""

_LOCAL_SOURCES = ("http://localhost:*", "http://127.0.0.1:*")


def content_security_policy(settings: Settings, nonce: str) -> str:
    """The pages' CSP: same-origin everything, scripts only by nonce, forms may post (and
    be redirected) only to this server and the allowed app origins."""
    targets = ["'self'", settings.public_url, *settings.allowed_origins]
    if settings.is_development:
        targets += list(_LOCAL_SOURCES)
    form_action = " ".join(dict.fromkeys(targets))
    return (
        f"default-src 'self'; script-src 'nonce-{nonce}'; img-src 'self' data: "
        f"{settings.public_url}; style-src 'self'; object-src 'none'; base-uri 'none'; "
        f"frame-ancestors 'none'; form-action {form_action}"
    )


def page_headers(
    response: Response, settings: Settings, nonce: str, *, no_referrer: bool = False
) -> Response:
    """Add the headers every hosted page carries."""
    response.headers["Content-Security-Policy"] = content_security_policy(settings, nonce)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer" if no_referrer else "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def render_html(
    request: Request,
    name: str,
    values: dict[str, Any],
    *,
    status: int = 200,
    nonce: str | None = None,
    no_referrer: bool = False,
) -> HTMLResponse:
    """Render ``name`` with the values every template may use, plus ``values``."""
    settings: Settings = request.app.state.settings
    nonce = nonce or secrets.token_urlsafe(16)
    base: dict[str, Any] = {
        "app_name": settings.app_name,
        "nonce": nonce,
        "is_development": settings.is_development,
        "errors": {},
        "form_error": None,
        "notice": None,
        "csrf_token": "",
    }
    html = TEMPLATES.get_template(name).render({**base, **values})
    response = HTMLResponse(html, status_code=status)
    page_headers(response, settings, nonce, no_referrer=no_referrer)
    return response


def _humanize_seconds(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def describe_error(exc: ThresholdError) -> str:
    """The sentence a page shows for an error (waiting times spelled out)."""
    if isinstance(exc, RateLimitedError) and exc.message == RateLimitedError.default_message:
        return f"Too many attempts. Try again in {_humanize_seconds(exc.retry_after)}."
    return exc.message


_TITLES = {
    403: "This request was blocked",
    404: "Page not found",
    413: "That was too large",
    429: "Slow down a little",
    503: "Temporarily unavailable",
}


def render_error_page(request: Request, exc: ThresholdError) -> Response:
    """A finished-looking error page with the error's message (never a trace)."""
    status = status_for(exc)
    if isinstance(exc, NotFoundError) and exc.message == NotFoundError.default_message:
        message = "There is nothing at this address. Check the link, or start again below."
    else:
        message = describe_error(exc)
    response = render_html(
        request,
        "error.html",
        {
            "title": _TITLES.get(status, "Something went wrong"),
            "message": message,
            "status": status,
            "reference": None,
            "blocked": isinstance(exc, PermissionDeniedError),
        },
        status=status,
    )
    if isinstance(exc, RateLimitedError | UnavailableError):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def render_unexpected_page(request: Request, exc: BaseException) -> Response:
    """Last resort for a page: log the trace with a reference, show only the reference."""
    reference = secrets.token_hex(8)
    log.error(
        "unhandled error on page (reference %s) %s %s",
        reference,
        request.method,
        request.url.path,
        exc_info=exc,
    )
    return render_html(
        request,
        "error.html",
        {
            "title": "Something went wrong",
            "message": "We could not finish that. Please try again in a moment.",
            "status": 500,
            "reference": reference,
            "blocked": False,
        },
        status=500,
    )
