"""auth()/current_user() through the pure ASGI and WSGI middleware: contexts, threads,
streaming bodies, websockets, and the errors that name the fix."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from tests.sdk.drivers import TestClient
from tests.sdk.fake_api import FakeApi
from threshold import (
    AuthContextMissingError,
    Authenticator,
    BlockingCallError,
    NotSignedInError,
    SdkConfig,
    acurrent_user,
    auth,
    current_user,
    redirect,
)
from threshold.asgi import AuthMiddleware as AsgiAuth
from threshold.asgi import request_from_scope
from threshold.sdk.context import RequestServices, RequestState, bind_state, reset_state
from threshold.sdk.http import RequestInfo
from threshold.sdk.outcome import AuthOutcome
from threshold.wsgi import AuthMiddleware as WsgiAuth
from threshold.wsgi import request_from_environ


def test_auth_without_middleware_names_the_fix() -> None:
    with pytest.raises(AuthContextMissingError) as caught:
        auth()
    message = str(caught.value)
    assert "threshold.asgi.AuthMiddleware" in message
    assert "threshold.flask.Threshold" in message
    assert "threshold.django.middleware.AuthMiddleware" in message
    assert isinstance(caught.value, RuntimeError)
    with pytest.raises(AuthContextMissingError):
        current_user()


def _state(config: SdkConfig, api: FakeApi, user_id: str = "user_1") -> RequestState:
    sdk = Authenticator(config)
    claims = sdk.verifier.verify(api.mint(user_id))
    request = RequestInfo("GET", "http", "app.test", "/", "", {}, {})
    services = RequestServices.for_app(sdk.config, sdk.clients, sdk.verifier.now)
    return RequestState(services, request, AuthOutcome(claims, "t", ""))


@pytest.mark.anyio
async def test_sync_current_user_on_the_event_loop(fake_api: FakeApi, config: SdkConfig) -> None:
    token = bind_state(_state(config, fake_api))
    try:
        with pytest.raises(BlockingCallError, match="acurrent_user"):
            current_user()
        users = await asyncio.gather(*(acurrent_user() for _ in range(5)))
        assert {u.id for u in users if u} == {"user_1"}
        assert fake_api.count("GET", "/v1/users/") == 1
        loaded = current_user()  # loaded already: no call, no error
        assert loaded is not None and loaded.id == "user_1"
        with pytest.raises(BlockingCallError):
            auth().get_token("template")
    finally:
        reset_state(token)


def test_sync_current_user_in_a_thread(fake_api: FakeApi, config: SdkConfig) -> None:
    token = bind_state(_state(config, fake_api, "user_gone"))
    try:
        assert current_user() is None  # 404: the user was deleted
        assert current_user() is None
        assert fake_api.count("GET", "/v1/users/") == 1
    finally:
        reset_state(token)


# -- ASGI -------------------------------------------------------------------------------


def _asgi_app(config: SdkConfig) -> Starlette:
    def sync_view(request: Request) -> JSONResponse:
        user = current_user()
        return JSONResponse({"user": auth().user_id, "name": user.first_name if user else None})

    async def async_view(request: Request) -> JSONResponse:
        assert request.scope["threshold"].snapshot.claims is not None
        return JSONResponse({"user": auth().user_id})

    async def socket(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json({"user": auth().user_id})
        await websocket.close()

    async def protected(request: Request) -> PlainTextResponse:
        auth().protect()
        return PlainTextResponse("secret")

    app = Starlette(
        routes=[
            Route("/sync", sync_view),
            Route("/async", async_view),
            Route("/protected", protected),
            WebSocketRoute("/ws", socket),
        ]
    )
    app.add_middleware(AsgiAuth, config=config)
    return app


def test_asgi_sync_and_async_handlers(fake_api: FakeApi, config: SdkConfig) -> None:
    with TestClient(_asgi_app(config)) as client:
        headers = {"authorization": f"Bearer {fake_api.mint()}"}
        assert client.get("/sync", headers=headers).json() == {"user": "user_1", "name": "Ada"}
        assert client.get("/async", headers=headers).json() == {"user": "user_1"}
        assert client.get("/sync").json() == {"user": None, "name": None}
        # protect() without setup(): the middleware still answers for the handler
        assert client.get("/protected").status_code == 401


def test_asgi_websocket_is_authenticated_without_redirects(
    fake_api: FakeApi, config: SdkConfig
) -> None:
    with TestClient(_asgi_app(config)) as client:
        cookie = {"cookie": f"__session={fake_api.mint()}; __client_uat=1"}
        with client.websocket_connect("/ws", headers=cookie) as ws:
            assert ws.receive_json() == {"user": "user_1"}
        expired = {"cookie": f"__session={fake_api.mint(age=300)}; __client_uat=1"}
        with client.websocket_connect("/ws", headers=expired) as ws:
            assert ws.receive_json() == {"user": None}
    assert fake_api.calls == []


def test_request_from_scope() -> None:
    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "scheme": "https",
        "server": ("example.org", 8443),
        "root_path": "/app",
        "path": "/page",
        "query_string": b"a=1",
        "headers": [
            (b"cookie", b"a=1"),
            (b"cookie", b"b=2"),
            (b"x-multi", b"1"),
            (b"x-multi", b"2"),
        ],
    }
    info = request_from_scope(scope)
    assert info.url == "https://example.org:8443/app/page?a=1"
    assert info.cookies == {"a": "1", "b": "2"}
    assert info.headers["x-multi"] == "1, 2"
    assert info.root_path == "/app"


# -- WSGI -------------------------------------------------------------------------------


def _streaming_app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"user="
    yield str(auth().user_id).encode()  # read while the body streams


def _call(app: Any, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        seen["status"], seen["headers"] = status, headers
        return lambda data: None

    body = app(environ, start_response)
    try:
        data = b"".join(body)
    finally:
        close = getattr(body, "close", None)
        if close:
            close()
    return seen["status"], seen["headers"], data


def _environ(token: str | None = None, path: str = "/", **extra: Any) -> dict[str, Any]:
    environ = {
        "REQUEST_METHOD": "GET",
        "wsgi.url_scheme": "http",
        "SERVER_NAME": "app.test",
        "SERVER_PORT": "8000",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
    }
    if token:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    environ.update(extra)
    return environ


def test_wsgi_streaming_body_sees_auth_and_threads_are_isolated(
    fake_api: FakeApi, config: SdkConfig
) -> None:
    app = WsgiAuth(_streaming_app, config=config)
    tokens = {f"user_{i}": fake_api.mint(f"user_{i}", f"sess_{i}") for i in range(8)}
    results: dict[str, bytes] = {}

    def work(user_id: str) -> None:
        for _ in range(5):
            results[user_id] = _call(app, _environ(tokens[user_id]))[2]

    threads = [threading.Thread(target=work, args=(u,)) for u in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {u: f"user={u}".encode() for u in tokens}
    with pytest.raises(AuthContextMissingError):
        auth()  # nothing leaks into this thread


def test_wsgi_interrupts_become_responses(fake_api: FakeApi, config: SdkConfig) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ["PATH_INFO"] == "/go":
            raise redirect("/elsewhere", 307)
        if environ["PATH_INFO"] == "/boom":
            raise ValueError("not mine")
        auth().protect()
        raise NotSignedInError("unreachable")

    wrapped = WsgiAuth(app, config=config)
    status, headers, _ = _call(wrapped, _environ(path="/go"))
    assert status == "307 Temporary Redirect" and ("Location", "/elsewhere") in headers
    status, _, body = _call(wrapped, _environ(path="/x", HTTP_ACCEPT="application/json"))
    assert status == "401 Unauthorized" and b"signed_out" in body
    with pytest.raises(ValueError, match="not mine"):
        _call(wrapped, _environ(path="/boom"))


def test_wsgi_handshake_and_script(fake_api: FakeApi, config: SdkConfig) -> None:
    app = WsgiAuth(_streaming_app, config=config)
    status, headers, _ = _call(
        app, _environ(path="/p", HTTP_ACCEPT="text/html", HTTP_COOKIE="__client_uat=5")
    )
    assert status.startswith("307")
    location = dict(headers)["Location"]
    assert location.startswith(
        f"{fake_api.url}/v1/client/handshake?redirect_url=http%3A%2F%2Fapp.test%3A8000%2Fp"
    )
    status, headers, body = _call(app, _environ(path="/_threshold/actions.js"))
    assert status == "200 OK" and b"fetch" in body


def test_request_from_environ() -> None:
    info = request_from_environ(
        _environ(
            path="/caf\xc3\xa9",
            SCRIPT_NAME="/root",
            HTTP_HOST="example.org",
            CONTENT_TYPE="text/plain",
            QUERY_STRING="q=1",
        )
    )
    assert info.url == "http://example.org/root/caf%C3%A9?q=1"
    assert info.headers["content-type"] == "text/plain"
    assert (
        request_from_environ(_environ(**{"wsgi.url_scheme": "https", "SERVER_PORT": "443"})).host
        == "app.test"
    )


@pytest.mark.anyio
async def test_acurrent_user_for_a_deleted_user(fake_api: FakeApi, config: SdkConfig) -> None:
    token = bind_state(_state(config, fake_api, "user_gone"))
    try:
        assert await acurrent_user() is None
        assert await acurrent_user() is None
        assert fake_api.count("GET", "/v1/users/") == 1
    finally:
        reset_state(token)


def test_interrupt_pages_and_bad_redirects() -> None:
    from threshold.sdk.interrupts import interrupt_response

    page = RequestInfo("GET", "http", "a.test", "/", "", {"accept": "text/html"}, {})
    reply = interrupt_response(NotSignedInError("Sign in first"), page)
    assert reply is not None and reply.status == 401 and reply.body == b"Sign in first"
    bad = interrupt_response(redirect("/x\r\nSet-Cookie: a=b"), page)
    assert bad is not None and bad.status == 500
    assert interrupt_response(ValueError("x"), page) is None


@pytest.mark.anyio
async def test_django_async_stack(fake_api: FakeApi, config: SdkConfig) -> None:
    from examples.django_app.app import configure

    configure(config)
    from django.test import AsyncClient  # type: ignore[import-untyped]

    client = AsyncClient()
    token = fake_api.mint()
    reply = await client.get("/api/me", headers={"authorization": f"Bearer {token}"})
    assert reply.json()["user_id"] == "user_1"
    page = await client.get("/cart", headers={"accept": "text/html", "cookie": "__client_uat=9"})
    assert page.status_code == 307
    refused = await client.get("/api/admin", headers={"accept": "application/json"})
    assert refused.status_code == 401
