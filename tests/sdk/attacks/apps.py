"""Two tiny apps behind the ASGI and WSGI middlewares, and how the tests call them.

The apps answer with ``auth()`` and the reason the SDK recorded, so the middleware's
verdict is compared with ``verify_token``'s. A ``Scenario`` says how a token travels:
as a Bearer token or as the ``__session`` cookie, on which kind of request.
"""

from __future__ import annotations

import io
import json
import sys
from dataclasses import dataclass
from typing import Any

from anyio.from_thread import BlockingPortal
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.sdk.attacks.tokens import APP
from tests.sdk.fake_api import FakeApi
from threshold import Authenticator, SdkConfig, auth
from threshold.asgi import AuthMiddleware as AsgiAuth
from threshold.wsgi import AuthMiddleware as WsgiAuth

__all__ = [
    "FETCH",
    "FORM",
    "PAGE",
    "SCENARIOS",
    "Reply",
    "Scenario",
    "acall_asgi",
    "asgi_app",
    "call_asgi",
    "call_wsgi",
    "make_config",
    "wsgi_app",
]

PAGE = {"accept": "text/html", "sec-fetch-dest": "document"}
FETCH = {"accept": "application/json", "sec-fetch-dest": "empty"}
FORM = {"accept": "text/html", "content-type": "application/x-www-form-urlencoded"}


def make_config(api: FakeApi, mode: str, *, secret: bool = True) -> SdkConfig:
    """``pem``: THRESHOLD_JWT_KEY; ``jwks``: keys from the server. Both know the API."""
    return SdkConfig(
        jwt_key=api.key.public_pem() if mode == "pem" else None,
        secret_key=api.secret_key if secret else None,
        api_url=api.url,
        authorized_parties=(APP,),
    )


# -- the two tiny apps and how to call them ----------------------------------------------


async def _whoami(request: Request) -> JSONResponse:
    session = auth()
    return JSONResponse(
        {
            "user_id": session.user_id,
            "is_authenticated": session.is_authenticated,
            "reason": request.scope["threshold"].snapshot.reason,
        }
    )


def asgi_app(sdk: Authenticator) -> AsgiAuth:
    inner = Starlette(routes=[Route("/", _whoami, methods=["GET", "POST"])])
    return AsgiAuth(inner, sdk=sdk)


def _wsgi_whoami(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    session = auth()
    body = {
        "user_id": session.user_id,
        "is_authenticated": session.is_authenticated,
        "reason": environ["threshold"].snapshot.reason,
    }
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(body).encode()]


def wsgi_app(sdk: Authenticator) -> WsgiAuth:
    return WsgiAuth(_wsgi_whoami, sdk=sdk)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    set_cookies: list[str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def key(self) -> tuple[Any, ...]:
        """What two middlewares must agree on for the same request."""
        if self.status == 200:
            body = self.json()
            return (200, body["user_id"], body["reason"])
        return (self.status, self.headers.get("location"))


async def acall_asgi(app: AsgiAuth, method: str, headers: list[tuple[bytes, bytes]]) -> Reply:
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"app.test"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("app.test", 80),
    }
    received = False
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal received
        if received:
            return {"type": "http.disconnect"}
        received = True
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    raw = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in start["headers"]]
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return Reply(
        start["status"],
        {k: v for k, v in raw if k != "set-cookie"},
        [v for k, v in raw if k == "set-cookie"],
        body,
    )


def call_asgi(portal: BlockingPortal, app: AsgiAuth, method: str, headers: dict[str, str]) -> Reply:
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    return portal.call(acall_asgi, app, method, raw)


def call_wsgi(app: WsgiAuth, method: str, headers: dict[str, str]) -> Reply:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "SERVER_NAME": "app.test",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "app.test",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        environ[key if key == "CONTENT_TYPE" else "HTTP_" + key] = value
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        seen["status"], seen["headers"] = status, headers
        return lambda data: None

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    pairs = [(k.lower(), v) for k, v in seen["headers"]]
    return Reply(
        int(seen["status"].split(" ", 1)[0]),
        {k: v for k, v in pairs if k != "set-cookie"},
        [v for k, v in pairs if k == "set-cookie"],
        body,
    )


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


@dataclass(frozen=True)
class Scenario:
    """How the token travels, and on what kind of request."""

    name: str
    method: str
    headers: dict[str, str]
    bearer: bool
    uat: bool
    document: bool

    def request_headers(self, token: str, uat: int) -> dict[str, str]:
        headers = dict(self.headers)
        cookies = {} if self.bearer else {"__session": token}
        if self.uat:
            cookies["__client_uat"] = str(uat)
        if self.bearer:
            headers["authorization"] = f"Bearer {token}"
        if cookies:
            headers["cookie"] = cookie_header(cookies)
        return headers

    @property
    def handshakes(self) -> bool:
        """docs/sdk.md: only a page load handshakes, for a ``__session`` cookie (never a
        Bearer token) that is out of its time window (and ``__client_uat`` is not 0)."""
        return not self.bearer and self.document


SCENARIOS = [
    # Bearer on a page load with a signed-in __client_uat: Bearer never handshakes.
    Scenario("bearer-on-a-page", "GET", PAGE, bearer=True, uat=True, document=True),
    Scenario("cookie-on-a-fetch", "GET", FETCH, bearer=False, uat=False, document=False),
    # A form post renews an expired cookie; these tokens are never renewable.
    Scenario("cookie-on-a-form-post", "POST", FORM, bearer=False, uat=True, document=False),
    Scenario("cookie-on-a-page", "GET", PAGE, bearer=False, uat=True, document=True),
]
