"""CSRF protection for every hosted form: a signed, cookie-bound token plus an origin check.

Token: ``<issued-at>.<HMAC-SHA256(instance hmac secret, "csrf|<issued-at>|<binding>")>``,
sent as the hidden ``csrf_token`` field. The binding is the browser's ``__client`` cookie
or, before there is one, a random pre-session cookie (so the sign-in and sign-up forms
are covered too: login CSRF). Both cookies are HttpOnly and SameSite=Lax, so another site
can neither read the binding nor make the browser send it on a cross-site POST.

Origin check (defence in depth): ``Sec-Fetch-Site`` must be ``same-origin`` when sent,
``Origin`` must be this server's public origin when it names one (``null`` is accepted
only together with ``Sec-Fetch-Site: same-origin``, which is what browsers send from a
``no-referrer`` page), and a ``Referer`` from elsewhere is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from starlette.datastructures import Headers

from threshold.core.errors import PermissionDeniedError
from threshold.server.http import origin_of
from threshold.services.instance.settings import Settings

__all__ = [
    "PRE_SESSION_COOKIE",
    "TOKEN_MAX_AGE",
    "CsrfError",
    "check_origin",
    "issue_token",
    "new_pre_session",
    "token_is_valid",
]

PRE_SESSION_COOKIE = "threshold_csrf"
TOKEN_MAX_AGE = 12 * 3600
"""Seconds a form stays submittable."""
_FUTURE_SKEW = 60


class CsrfError(PermissionDeniedError):
    """A form arrived without a valid token, or from another site (403)."""

    code = "csrf_invalid"
    default_message = (
        "This form expired or did not come from this site. Go back, reload the page and try again."
    )


def new_pre_session() -> str:
    """A random value for the pre-session cookie (128+ bits)."""
    return secrets.token_urlsafe(24)


def _mac(secret: bytes, issued_at: int, binding: str) -> str:
    digest = hmac.new(secret, f"csrf|{issued_at}|{binding}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def issue_token(secret: bytes, binding: str, now: int) -> str:
    """A token for forms rendered for this binding at ``now`` (seconds)."""
    return f"{now}.{_mac(secret, now, binding)}"


def token_is_valid(secret: bytes, token: str | None, bindings: list[str], now: int) -> bool:
    """True when ``token`` was issued for one of ``bindings`` and has not expired."""
    if not token or len(token) > 200 or not bindings:
        return False
    stamp, _, mac = token.partition(".")
    if not stamp.isdigit() or not mac:
        return False
    issued_at = int(stamp)
    if issued_at > now + _FUTURE_SKEW or now - issued_at > TOKEN_MAX_AGE:
        return False
    valid = False
    for binding in bindings:
        # Check every binding (no early exit), each in constant time.
        valid |= hmac.compare_digest(mac.encode(), _mac(secret, issued_at, binding).encode())
    return valid


def check_origin(headers: Headers, settings: Settings) -> None:
    """Refuse a state-changing request that a browser says came from another site."""
    expected = origin_of(settings.public_url)
    site = headers.get("sec-fetch-site")
    origin = headers.get("origin")
    if site is not None and site != "same-origin":
        raise CsrfError("This form was sent from another site, so it was blocked.")
    if origin is not None and origin != "null":
        if origin.rstrip("/").lower() != expected:
            raise CsrfError("This form was sent from another site, so it was blocked.")
        return
    if origin == "null" and site is None:
        raise CsrfError("This form was sent from an unknown origin, so it was blocked.")
    referer = headers.get("referer")
    if site is None and referer and origin_of(referer) != expected:
        raise CsrfError("This form was sent from another site, so it was blocked.")
