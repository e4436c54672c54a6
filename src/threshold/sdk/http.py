"""A framework-free view of an HTTP request and the few response pieces the SDK emits.

Adapters turn their framework's request into a :class:`RequestInfo` (lower-case header
names, parsed cookies) and apply an :class:`EarlyResponse` or ``Set-Cookie`` lines back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

__all__ = [
    "EarlyResponse",
    "RequestInfo",
    "build_cookie",
    "delete_cookie",
    "header_safe",
    "parse_cookies",
    "url_without_params",
]

_HEADER_SAFE = re.compile(r"[\x20-\x7e\t]*")
_COOKIE_SPLIT = re.compile(r"[;,]")


def parse_cookies(header: str | None) -> dict[str, str]:
    """``a=1; b=2`` → ``{"a": "1", "b": "2"}``; the first of duplicate names wins.

    Commas separate too: RFC 6265 values never hold one, and servers that merge repeated
    ``Cookie`` headers (HTTP/2, Django's ASGI handler) join them with commas.
    """
    cookies: dict[str, str] = {}
    if not header:
        return cookies
    for chunk in _COOKIE_SPLIT.split(header):
        name, sep, value = chunk.partition("=")
        name = name.strip()
        if sep and name and name not in cookies:
            value = value.strip()
            if len(value) > 1 and value[0] == value[-1] == '"':
                value = value[1:-1]
            cookies[name] = value
    return cookies


def header_safe(value: str) -> bool:
    """True when ``value`` can go in a header line (printable ASCII, no CR/LF)."""
    return _HEADER_SAFE.fullmatch(value) is not None


def build_cookie(
    name: str,
    value: str,
    *,
    max_age: int | None = None,
    path: str = "/",
    http_only: bool = False,
    secure: bool = False,
    same_site: str = "Lax",
) -> str:
    """A ``Set-Cookie`` value."""
    parts = [f"{name}={value}", f"Path={path}"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if http_only:
        parts.append("HttpOnly")
    if secure:
        parts.append("Secure")
    parts.append(f"SameSite={same_site}")
    return "; ".join(parts)


def delete_cookie(name: str, *, path: str = "/", secure: bool = False) -> str:
    """A ``Set-Cookie`` value that removes ``name``."""
    return build_cookie(name, "", max_age=0, path=path, secure=secure)


def url_without_params(url: str, names: Iterable[str]) -> str:
    """``url`` with the query parameters in ``names`` removed."""
    base, sep, query = url.partition("?")
    if not sep:
        return url
    drop = set(names)
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in drop]
    return base + ("?" + urlencode(kept) if kept else "")


@dataclass(slots=True)
class RequestInfo:
    """The parts of a request the SDK reads. Header names are lower case."""

    method: str
    scheme: str
    host: str
    path: str
    query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    cookies: Mapping[str, str] = field(default_factory=dict)
    root_path: str = ""

    @property
    def origin(self) -> str:
        """``scheme://host[:port]`` of the app as the browser sees it."""
        return f"{self.scheme}://{self.host}"

    @property
    def url(self) -> str:
        """The absolute URL of this request."""
        return self.origin + self.path_and_query

    @property
    def path_and_query(self) -> str:
        """Path plus query string, as a same-origin relative URL."""
        return self.path + ("?" + self.query if self.query else "")

    @property
    def is_secure(self) -> bool:
        return self.scheme in ("https", "wss")

    @property
    def is_document(self) -> bool:
        """A top-level page load (may be answered with a redirect the user follows)."""
        if self.method != "GET":
            return False
        dest = self.headers.get("sec-fetch-dest")
        if dest is not None:
            return dest in ("document", "iframe")
        return "text/html" in self.headers.get("accept", "")

    def query_param(self, name: str) -> str | None:
        """The first value of a query parameter."""
        if name not in self.query:
            return None
        for key, value in parse_qsl(self.query, keep_blank_values=True):
            if key == name:
                return value
        return None


@dataclass(slots=True)
class EarlyResponse:
    """A response the SDK sends instead of calling the app (handshake redirects)."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""

    @classmethod
    def redirect(
        cls, location: str, status: int = 307, cookies: Iterable[str] = ()
    ) -> EarlyResponse:
        headers = [("location", location), ("cache-control", "no-store")]
        headers += [("set-cookie", c) for c in cookies]
        return cls(status, headers)

    @classmethod
    def text(cls, status: int, text: str, content_type: str = "text/plain") -> EarlyResponse:
        body = text.encode()
        headers = [
            ("content-type", f"{content_type}; charset=utf-8"),
            ("content-length", str(len(body))),
            ("cache-control", "no-store"),
        ]
        return cls(status, headers, body)

    def header_map(self) -> Mapping[str, str]:
        """Headers as a dict (the last of repeated names wins; cookies are listed apart)."""
        return {k: v for k, v in self.headers if k != "set-cookie"}

    def cookies(self) -> list[str]:
        return [v for k, v in self.headers if k == "set-cookie"]
