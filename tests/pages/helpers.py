"""Driving the hosted pages over real HTTP like a browser: cookies, CSRF tokens, Origin."""

from __future__ import annotations

import html
import re
import struct
import zlib
from collections.abc import Callable
from typing import Any

import httpx

from tests.support import LiveServer

__all__ = ["PASSWORD", "Browsers", "PageClient", "csrf_token", "make_png", "set_cookie_headers"]

PASSWORD = "correct horse battery staple"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_REDIRECT = re.compile(r'name="redirect_url" value="([^"]*)"')


def csrf_token(html: str) -> str:
    """The first form's CSRF token in a page."""
    match = _TOKEN.search(html)
    assert match, html[:500]
    return match.group(1)


def set_cookie_headers(response: httpx.Response, name: str) -> list[str]:
    """The raw ``Set-Cookie`` headers that set ``name``."""
    return [
        v
        for k, v in response.headers.multi_items()
        if k == "set-cookie" and v.startswith(f"{name}=")
    ]


def make_png(width: int = 8, height: int = 8, rgb: tuple[int, int, int] = (79, 70, 229)) -> bytes:
    """A real, tiny, solid-colour PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


class PageClient:
    """One browser: a cookie jar, same-origin headers, and form helpers."""

    def __init__(self, server: LiveServer, *, origin: str | None = "same") -> None:
        self.server = server
        headers = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0.0.0 Safari/537.36"}
        if origin is not None:
            headers["Origin"] = server.url if origin == "same" else origin
        self.http = httpx.Client(base_url=server.url, headers=headers, timeout=30)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.get(path, **kw)

    def token(self, path: str) -> str:
        response = self.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        return csrf_token(response.text)

    def submit(self, page: str, action: str | None = None, **data: str) -> httpx.Response:
        """GET ``page`` for a token, then POST ``data`` to ``action`` (default: the page)."""
        response = self.get(page)
        assert response.status_code == 200, (page, response.status_code, response.text[:300])
        form = {"csrf_token": csrf_token(response.text)}
        if kept := _REDIRECT.search(response.text):
            form["redirect_url"] = html.unescape(kept.group(1))
        return self.http.post(action or page.split("?")[0], data={**form, **data})

    def sign_up(self, email: str, password: str = PASSWORD, **names: str) -> httpx.Response:
        """Sign up through the pages, reading the code from the real SMTP server."""
        response = self.submit("/sign-up", email_address=email, password=password, **names)
        assert response.status_code == 303, response.text[:500]
        mailbox = self.server.mailbox
        assert mailbox is not None
        count = len(mailbox.to(email)) or 1
        code = mailbox.code_for(email, count=count)
        done = self.submit("/sign-up/verify", code=code)
        assert done.status_code == 303, done.text[:500]
        return done

    def sign_in(self, email: str, password: str = PASSWORD, **extra: str) -> httpx.Response:
        return self.submit("/sign-in", identifier=email, password=password, **extra)

    @property
    def cookies(self) -> httpx.Cookies:
        return self.http.cookies

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> PageClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


Browsers = Callable[..., PageClient]
"""The ``browsers`` fixture: ``browsers(server, origin=...)`` makes a closed-afterwards client."""
