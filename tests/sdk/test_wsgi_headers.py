"""Headers and paths read from a WSGI environ (and Django's META) match the plain reading."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote

import pytest

from threshold import wsgi
from threshold.wsgi import environ_headers, request_from_environ


def _plain_headers(environ: dict[str, Any]) -> dict[str, str]:
    return {
        key[5:].replace("_", "-").lower(): value
        for key, value in environ.items()
        if key.startswith("HTTP_") and isinstance(value, str)
    }


ENVIRON: dict[str, Any] = {
    "REQUEST_METHOD": "GET",
    "PATH_INFO": "/",
    "SERVER_NAME": "app.test",
    "SERVER_PORT": "8000",
    "wsgi.url_scheme": "http",
    "wsgi.input": io.BytesIO(),
    "HTTP_HOST": "app.test:8000",
    "HTTP_AUTHORIZATION": "Bearer a.b.c",
    "HTTP_X_FORWARDED_FOR": "10.0.0.1",
    "HTTP_": "nameless",
    "HTTP_X_NOT_TEXT": 42,
    "CONTENT_TYPE": "text/plain",
    "CONTENT_LENGTH": "",
}


def test_environ_headers_read_http_entries_only() -> None:
    for _ in range(2):  # the second reading comes from the cache of names
        assert environ_headers(ENVIRON) == _plain_headers(ENVIRON)
    assert environ_headers(ENVIRON)["x-forwarded-for"] == "10.0.0.1"


def test_meta_reading_matches_django_request_headers() -> None:
    django_request = pytest.importorskip("django.http.request")
    expected = {
        name.lower(): value
        for name, value in django_request.HttpHeaders(ENVIRON).items()
        if isinstance(value, str)
    }
    assert environ_headers(ENVIRON, meta=True) == expected
    assert expected["content-length"] == ""
    assert "" not in expected


def test_names_past_the_bound_are_still_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wsgi, "_HEADER_NAMES", {})
    many = {f"HTTP_X_{i}": str(i) for i in range(wsgi._MAX_HEADER_NAMES + 50)}
    assert environ_headers(many) == _plain_headers(many)
    assert len(wsgi._HEADER_NAMES) == wsgi._MAX_HEADER_NAMES
    assert environ_headers(many) == _plain_headers(many)


@pytest.mark.parametrize(
    "path",
    ["", "/", "/a/b.c~d_e-f", "/x;y=1,2", "/100%25", "/caf\xc3\xa9", "/a b", "/q?x", "/#", "/\n"],
)
def test_paths_are_quoted_as_before(path: str) -> None:
    info = request_from_environ({**ENVIRON, "SCRIPT_NAME": path, "PATH_INFO": path})
    quoted = quote(path.encode("latin-1"), safe=wsgi._SAFE_PATH)
    assert info.root_path == quoted
    assert info.path == (quoted + quoted or "/")
