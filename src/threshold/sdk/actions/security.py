"""CSRF defence for actions, and signed values (flash cookie, bound arguments).

Two checks, both required on every action POST:

1. **Where from** (:func:`check_origin`): ``Sec-Fetch-Site`` ``same-origin``/``none``
   passes, other values only for trusted origins (``authorized_parties``). Without
   Fetch Metadata, ``Origin`` (else ``Referer``) must be the app's own origin or a
   trusted one; ``Origin: null`` and a request with neither header fail.
2. **A token** (:func:`make_csrf_token`): ``b64(nonce ‖ HMAC(key, binding ‖ nonce))``,
   where the binding is the session id, or before sign-in an HttpOnly per-browser
   cookie. It arrives as the ``_th_csrf`` field or the ``Threshold-CSRF`` header.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from threshold.core.errors import TokenError
from threshold.core.jwt import b64url_decode, b64url_encode
from threshold.sdk.http import RequestInfo

__all__ = [
    "PRE_SESSION_COOKIE",
    "check_csrf_token",
    "check_origin",
    "make_csrf_token",
    "pre_session_cookie_name",
    "sign_value",
    "unsign_value",
]

PRE_SESSION_COOKIE = "th_csrf"
_NONCE_BYTES = 16
_MAC_BYTES = 32


def pre_session_cookie_name(request: RequestInfo) -> str:
    """``__Host-th_csrf`` over HTTPS (locked to this host), ``th_csrf`` otherwise."""
    return ("__Host-" if request.is_secure else "") + PRE_SESSION_COOKIE


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def check_origin(request: RequestInfo, trusted: Iterable[str]) -> str | None:
    """None when the request may be same-origin; else why it is refused."""
    headers = request.headers
    origin = headers.get("origin")
    if origin == "null":
        return "Origin: null is refused."
    allowed = {request.origin, *trusted}
    site = headers.get("sec-fetch-site")
    if site is not None:
        if site in ("same-origin", "none") or (origin is not None and origin in allowed):
            return None
        return f"Cross-site request refused (Sec-Fetch-Site: {site})."
    if origin is None:
        referer = headers.get("referer")
        origin = _origin_of(referer) if referer else None
    if origin is None:
        return "The request has no Origin or Referer header."
    return None if origin in allowed else f"Origin {origin} is not allowed."


def _mac(key: bytes, binding: str, nonce: bytes) -> bytes:
    return hmac.new(key, binding.encode() + b"\x00" + nonce, hashlib.sha256).digest()


def make_csrf_token(key: bytes, binding: str) -> str:
    """A fresh token bound to ``binding`` (``s:<session id>`` or ``p:<cookie value>``)."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    return b64url_encode(nonce + _mac(key, binding, nonce))


def check_csrf_token(key: bytes, token: str | None, bindings: Iterable[str]) -> bool:
    """True when ``token`` was made for one of ``bindings`` (constant-time compare)."""
    if not token or len(token) > 128:
        return False
    try:
        raw = b64url_decode(token)
    except TokenError:
        return False
    if len(raw) != _NONCE_BYTES + _MAC_BYTES:
        return False
    nonce, mac = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
    ok = False
    for binding in bindings:
        ok |= hmac.compare_digest(mac, _mac(key, binding, nonce))
    return ok


def sign_value(key: bytes, value: Any) -> str:
    """``value`` as JSON, base64url, with an HMAC: tamper-evident, not secret."""
    body = b64url_encode(json.dumps(value, separators=(",", ":")).encode())
    mac = hmac.new(key, body.encode(), hashlib.sha256).digest()[:18]
    return body + "." + b64url_encode(mac)


def unsign_value(key: bytes, signed: str | None) -> Any:
    """The value :func:`sign_value` signed, or None when missing or tampered with."""
    if not signed or "." not in signed or len(signed) > 8192:
        return None
    body, _, mac_text = signed.rpartition(".")
    expected = b64url_encode(hmac.new(key, body.encode(), hashlib.sha256).digest()[:18])
    if not hmac.compare_digest(expected, mac_text):
        return None
    try:
        return json.loads(b64url_decode(body))
    except (TokenError, ValueError):
        return None
