"""One small interface over the FastAPI, Flask and Django test clients.

Every request states its cookies explicitly (no cookie jar), so a behaviour-table row
reads the same for each framework. The apps are the examples in ``examples/``.
"""

from __future__ import annotations

import io
import json
import re
import warnings
from dataclasses import dataclass, field
from typing import Any, Protocol

from threshold import SdkConfig

__all__ = ["DRIVERS", "Driver", "Reply", "TestClient", "make_driver"]

with warnings.catch_warnings():  # Starlette asks for httpx2 here; httpx is what we have
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


@dataclass
class Reply:
    """A response, normalized."""

    status: int
    headers: dict[str, str]
    set_cookies: list[str] = field(default_factory=list)
    text: str = ""

    def json(self) -> Any:
        return json.loads(self.text)

    def cookie(self, name: str) -> str | None:
        """The value a ``Set-Cookie`` gives ``name`` (last one wins)."""
        value = None
        for line in self.set_cookies:
            key, _, rest = line.partition("=")
            if key.strip() == name:
                value = rest.split(";", 1)[0].strip().strip('"')
        return value

    def form(self) -> tuple[str, str]:
        """(action URL, CSRF token) of the first action form on the page."""
        action = re.search(r'action="([^"]+)"', self.text)
        token = re.search(r'name="_th_csrf" value="([^"]+)"', self.text)
        assert action and token, self.text
        return action.group(1), token.group(1)


class Driver(Protocol):
    name: str
    origin: str

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        cookies: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes]] | None = None,
    ) -> Reply: ...


def _cookie_header(headers: dict[str, str], cookies: dict[str, str] | None) -> dict[str, str]:
    merged = dict(headers)
    if cookies:
        merged["cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    return merged


class FastApiDriver:
    name = "fastapi"
    origin = "http://testserver"

    def __init__(self, config: SdkConfig) -> None:
        from examples.fastapi_app.app import create_app

        self.client = TestClient(create_app(config), follow_redirects=False)

    def request(self, method: str, path: str, **kw: Any) -> Reply:
        self.client.cookies.clear()
        headers = _cookie_header(kw.get("headers") or {}, kw.get("cookies"))
        response = self.client.request(
            method, path, headers=headers, data=kw.get("data"), files=kw.get("files")
        )
        return Reply(
            response.status_code,
            {k.lower(): v for k, v in response.headers.items()},
            response.headers.get_list("set-cookie"),
            response.text,
        )


class FlaskDriver:
    name = "flask"
    origin = "http://localhost"

    def __init__(self, config: SdkConfig) -> None:
        from examples.flask_app.app import create_app

        self.client = create_app(config).test_client(use_cookies=False)

    def request(self, method: str, path: str, **kw: Any) -> Reply:
        headers = _cookie_header(kw.get("headers") or {}, kw.get("cookies"))
        data: dict[str, Any] | None = dict(kw.get("data") or {})
        for name, (filename, content) in (kw.get("files") or {}).items():
            assert data is not None
            data[name] = (io.BytesIO(content), filename)
        if method == "GET":
            data = None
        response = self.client.open(path, method=method, headers=headers, data=data)
        return Reply(
            response.status_code,
            {k.lower(): v for k, v in response.headers.items()},
            response.headers.getlist("Set-Cookie"),
            response.get_data(as_text=True),
        )


class DjangoDriver:
    name = "django"
    origin = "http://testserver"

    def __init__(self, config: SdkConfig) -> None:
        from examples.django_app.app import configure

        configure(config)
        from django.test import Client  # type: ignore[import-untyped]

        self.client = Client()

    def request(self, method: str, path: str, **kw: Any) -> Reply:
        self.client.cookies.clear()
        headers = _cookie_header(kw.get("headers") or {}, kw.get("cookies"))
        if method == "GET":
            response = self.client.get(path, headers=headers)
        else:
            data: dict[str, Any] = dict(kw.get("data") or {})
            for name, (filename, content) in (kw.get("files") or {}).items():
                upload = io.BytesIO(content)
                upload.name = filename
                data[name] = upload
            response = self.client.post(path, data, headers=headers)
        set_cookies = [m.OutputString() for m in response.cookies.values()]
        return Reply(
            response.status_code,
            {k.lower(): v for k, v in response.headers.items()},
            set_cookies,
            response.content.decode(),
        )


DRIVERS: dict[str, type[FastApiDriver | FlaskDriver | DjangoDriver]] = {
    "fastapi": FastApiDriver,
    "flask": FlaskDriver,
    "django": DjangoDriver,
}


def make_driver(name: str, config: SdkConfig) -> Driver:
    """A driver for one framework's example app."""
    driver: Driver = DRIVERS[name](config)
    return driver
