"""HTTP details shared by pages and APIs: client IP, origins, redirects, cookies."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from threshold.services.instance.settings import Settings

__all__ = [
    "client_ip",
    "is_allowed_origin",
    "origin_of",
    "safe_redirect",
    "set_auth_cookies",
]

_LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]"}
_CONTROL = re.compile(r"[\x00-\x20\x7f\\]")


def client_ip(request: Request, settings: Settings) -> str:
    """The peer address; ``X-Forwarded-For`` only when the peer is a trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded and peer in settings.trusted_proxies:
        candidate = forwarded.split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            return peer
    return peer


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) URL, else None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc.lower()}"


def is_allowed_origin(origin: str | None, settings: Settings) -> bool:
    """The server itself, a configured app origin, or (development) any local origin,
    over http or https (``threshold dev --https`` serves apps on https local origins)."""
    if not origin or origin == "null":
        return False
    normalized = origin.rstrip("/").lower()
    if normalized == settings.public_url.lower() or normalized in (
        o.lower() for o in settings.allowed_origins
    ):
        return True
    if settings.is_development:
        parts = urlsplit(normalized)
        return parts.scheme in ("http", "https") and (parts.hostname or "") in {
            "localhost",
            "127.0.0.1",
            "::1",
        }
    return False


def safe_redirect(url: str | None, settings: Settings) -> str | None:
    """``url`` when it is a plain relative path or on an allowed origin, else None.

    Refuses scheme-relative (``//x``), backslash and control-character tricks,
    ``javascript:`` and other schemes, and credentials in the authority.
    """
    if not url or len(url) > 2048 or _CONTROL.search(url):
        return None
    if url.startswith("/"):
        if url.startswith("//"):
            return None
        return url
    origin = origin_of(url)
    if origin is None or not is_allowed_origin(origin, settings):
        return None
    return url


def set_auth_cookies(
    response: Response,
    settings: Settings,
    *,
    client_token: str | None,
    session_token: str | None,
    client_uat: int | None,
) -> None:
    """Write ``__client`` (HttpOnly, host-only), ``__session`` and ``__client_uat``."""
    secure = settings.secure_cookies
    if client_token is not None:
        response.set_cookie(
            "__client",
            client_token,
            max_age=settings.session_max_age,
            path="/",
            httponly=True,
            secure=secure,
            samesite="lax",
        )
    domain = settings.cookie_domain
    if session_token is not None:
        if session_token:
            response.set_cookie(
                "__session", session_token, path="/", secure=secure, samesite="lax", domain=domain
            )
        else:
            response.delete_cookie("__session", path="/", domain=domain)
    if client_uat is not None:
        response.set_cookie(
            "__client_uat",
            str(client_uat),
            path="/",
            secure=secure,
            samesite="lax",
            domain=domain,
            max_age=settings.session_max_age,
        )
