"""A small real HTTP server on 127.0.0.1 that plays the Threshold server for SDK tests.

It serves the JWKS, users, session-token minting, the handshake and a few Backend API
routes with Clerk's shapes, and records every call. It is a stand-in until the real
server fixture (``live_server``) is used for integration tests.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.support import HARNESS_LOOP
from threshold.core.jwt import encode_rs256
from threshold.core.keys import SigningKey, generate_signing_key, public_jwk
from threshold.core.tokens import CAT_SESSION, session_claims

__all__ = ["FakeApi", "running_fake_api"]

SECRET = "sk_test_fakesecret"


def _error(status: int, code: str, message: str) -> JSONResponse:
    body = {"errors": [{"code": code, "message": message, "long_message": message, "meta": {}}]}
    return JSONResponse(body, status_code=status, media_type="application/json")


def user_json(user_id: str, **extra: Any) -> dict[str, Any]:
    """A Backend API user with the fields the SDK reads."""
    body: dict[str, Any] = {
        "id": user_id,
        "object": "user",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "username": None,
        "image_url": f"https://img.example/{user_id}.png",
        "profile_image_url": f"https://img.example/{user_id}.png",
        "has_image": True,
        "primary_email_address_id": "idn_1",
        "email_addresses": [
            {
                "id": "idn_1",
                "object": "email_address",
                "email_address": "ada@example.com",
                "verification": {"object": "verification_admin", "status": "verified"},
            }
        ],
        "phone_numbers": [],
        "public_metadata": {},
        "private_metadata": {},
        "unsafe_metadata": {},
        "banned": False,
        "locked": False,
        "created_at": 1_700_000_000_000,
        "updated_at": 1_700_000_000_000,
    }
    body.update(extra)
    return body


@dataclass
class FakeApi:
    """State of the fake server; tests change it and read ``calls``."""

    url: str = ""
    secret_key: str = SECRET
    key: SigningKey = field(default_factory=generate_signing_key)
    extra_keys: list[SigningKey] = field(default_factory=list)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, tuple[str, str]] = field(default_factory=dict)
    handshakes: dict[str, list[str]] = field(default_factory=dict)
    next_directives: list[str] = field(default_factory=list)
    jwks_status: int = 200
    calls: list[tuple[str, str]] = field(default_factory=list)
    bodies: list[Any] = field(default_factory=list)
    origins: list[str | None] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)
    replies: dict[tuple[str, str], tuple[int, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        self.extra_keys.clear()
        self.users.clear()
        self.sessions.clear()
        self.handshakes.clear()
        self.next_directives = []
        self.jwks_status = 200
        self.calls.clear()
        self.bodies.clear()
        self.origins.clear()
        self.queries.clear()
        self.replies.clear()

    def count(self, method: str, prefix: str) -> int:
        """How many calls matched."""
        return sum(1 for m, p in self.calls if m == method and p.startswith(prefix))

    def add_session(self, user_id: str = "user_1", session_id: str = "sess_1") -> None:
        self.users.setdefault(user_id, user_json(user_id))
        self.sessions[session_id] = (user_id, "active")

    def mint(
        self,
        user_id: str = "user_1",
        session_id: str = "sess_1",
        *,
        age: float = 0,
        lifetime: int = 60,
        azp: str | None = None,
        key: SigningKey | None = None,
        **extra: Any,
    ) -> str:
        """A session token issued ``age`` seconds ago."""
        now = int(time.time() - age)
        claims = session_claims(
            user_id=user_id,
            session_id=session_id,
            issuer=self.url,
            now=now,
            lifetime=lifetime,
            azp=azp,
            first_factor_age_minutes=0,
        )
        claims.update(extra)
        signer = key or self.key
        return encode_rs256(claims, signer.private_key, signer.kid, headers={"cat": CAT_SESSION})


def _app(api: FakeApi) -> Starlette:
    def authed(request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {api.secret_key}"

    async def record(request: Request) -> None:
        with api.lock:
            api.calls.append((request.method, request.url.path))
            api.origins.append(request.headers.get("origin"))
            api.queries.append(request.url.query)
            body = await request.body()
            api.bodies.append(body.decode() if body else None)

    def jwks_body() -> JSONResponse:
        keys = [public_jwk(k.kid, k.public_key) for k in [api.key, *api.extra_keys]]
        return JSONResponse({"keys": keys}, status_code=api.jwks_status)

    async def jwks(request: Request) -> Response:
        await record(request)
        if not authed(request):
            return _error(401, "authentication_invalid", "Bad key")
        return jwks_body()

    async def well_known(request: Request) -> Response:
        await record(request)
        return jwks_body()

    async def get_user(request: Request) -> Response:
        await record(request)
        if not authed(request):
            return _error(401, "authentication_invalid", "Bad key")
        if ("GET", request.url.path) in api.replies:
            status, body = api.replies[("GET", request.url.path)]
            return JSONResponse(body, status_code=status)
        found = api.users.get(request.path_params["user_id"])
        if found is None:
            return _error(404, "resource_not_found", "User not found")
        return JSONResponse(found)

    async def create_token(request: Request) -> Response:
        await record(request)
        if not authed(request):
            return _error(401, "authentication_invalid", "Bad key")
        sid = request.path_params["sid"]
        entry = api.sessions.get(sid)
        if entry is None or entry[1] != "active":
            return _error(404, "resource_not_found", "Session not found or not active")
        jwt = api.mint(entry[0], sid, azp=request.headers.get("origin"))
        return JSONResponse({"object": "token", "jwt": jwt})

    async def handshake(request: Request) -> Response:
        await record(request)
        nonce = secrets.token_urlsafe(12)
        api.handshakes[nonce] = list(api.next_directives)
        target = request.query_params["redirect_url"]
        sep = "&" if "?" in target else "?"
        return RedirectResponse(
            target + sep + urlencode({"__clerk_handshake_nonce": nonce}), status_code=307
        )

    async def handshake_payload(request: Request) -> Response:
        await record(request)
        if not authed(request):
            return _error(401, "authentication_invalid", "Bad key")
        directives = api.handshakes.pop(request.query_params.get("nonce", ""), None)
        if directives is None:
            return _error(404, "resource_not_found", "Unknown nonce")
        return JSONResponse({"directives": directives})

    async def generic(request: Request) -> Response:
        await record(request)
        if not authed(request):
            return _error(401, "authentication_invalid", "Bad key")
        status, body = api.replies.get(
            (request.method, request.url.path),
            (200, {"echo": request.url.path, "method": request.method}),
        )
        return JSONResponse(body, status_code=status)

    return Starlette(
        routes=[
            Route("/v1/jwks", jwks),
            Route("/.well-known/jwks.json", well_known),
            Route("/v1/users/{user_id}", get_user),
            Route("/v1/sessions/{sid}/tokens", create_token, methods=["POST"]),
            Route("/v1/sessions/{sid}/tokens/{template}", create_token, methods=["POST"]),
            Route("/v1/client/handshake", handshake),
            Route("/v1/clients/handshake_payload", handshake_payload),
            Route("/v1/{path:path}", generic, methods=["GET", "POST", "PATCH", "DELETE"]),
        ]
    )


@contextmanager
def running_fake_api() -> Iterator[FakeApi]:
    """Serve a :class:`FakeApi` on a free port of 127.0.0.1 in a thread."""
    api = FakeApi()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    api.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn.Config(
        _app(api), log_level="warning", lifespan="off", ws="none", loop=HARNESS_LOOP
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:  # pragma: no cover
            raise RuntimeError("the fake API did not start")
        time.sleep(0.01)
    try:
        yield api
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
