"""Token attacks (issue 6), end to end: every forged, stale, foreign or malformed token
is refused by ``verify_token`` and by both middlewares, as a Bearer token and as the
``__session`` cookie; a flood of unknown ``kid`` values costs the server one JWKS fetch
per interval and never reaches a URL; random cookies and Authorization values never
crash the middleware.

The tokens are built for real (RSA signatures, HMAC keyed with the public PEM, a second
fake instance with its own key and issuer). The apps answer with ``auth()`` and the
reason the SDK recorded, so the middleware's verdict is compared with ``verify_token``'s.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import io
import json
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.sdk.fake_api import FakeApi, running_fake_api
from threshold import (
    Authenticator,
    SdkConfig,
    TokenVerificationError,
    auth,
    averify_token,
    verify_token,
)
from threshold.asgi import AuthMiddleware as AsgiAuth
from threshold.core.clock import FrozenClock
from threshold.core.jwt import MAX_TOKEN_BYTES, b64url_encode, encode_rs256
from threshold.core.keys import SigningKey, generate_signing_key, public_jwk
from threshold.core.tokens import CAT_SESSION, CAT_TEMPLATE, session_claims
from threshold.wsgi import AuthMiddleware as WsgiAuth

APP = "http://app.test"
"""The app's origin, the only authorized party (``azp``) in every config here."""
PAGE = {"accept": "text/html", "sec-fetch-dest": "document"}
FETCH = {"accept": "application/json", "sec-fetch-dest": "empty"}
FORM = {"accept": "text/html", "content-type": "application/x-www-form-urlencoded"}
TWO_DAYS = 2 * 86_400
"""Older than the 12-hour renew window: an expired token this old is never renewed."""
HANDSHAKE_REASONS = {
    "token-expired": "session-token-expired-refresh-expired",
    "token-not-active-yet": "session-token-expired-refresh-nbf",
    "token-iat-in-the-future": "session-token-expired-refresh-iat-in-the-future",
}
"""docs/sdk.md: a page load whose ``__session`` is only out of its time window handshakes."""
KID_PAYLOADS = [
    "../../etc/passwd",
    "x' OR '1'='1",
    "%2e%2e/",
    "a/b?c#d",
    "k" * 5000,
    "../v1/users/user_1",
    "?nonce=1&x=",
    "http://evil.example/jwks.json",
    "kid\r\nX-Injected: 1",
    "%00",
    "",
    "\u202edik",
]
STRANGER = generate_signing_key()
"""The attacker's own RSA key."""
_PKCS1 = padding.PKCS1v15()


# -- building tokens ---------------------------------------------------------------------


def _b64json(value: object) -> str:
    return b64url_encode(json.dumps(value, separators=(",", ":")).encode())


def _jws(header: dict[str, Any], claims: dict[str, Any], key: SigningKey | None) -> str:
    """A compact JWS with exactly this header; RS256-signed by ``key``, or unsigned."""
    signing_input = f"{_b64json(header)}.{_b64json(claims)}"
    if key is None:
        return signing_input + "."
    signature = key.private_key.sign(signing_input.encode(), _PKCS1, hashes.SHA256())
    return signing_input + "." + b64url_encode(signature)


def _unb64json(part: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return value


@dataclass
class Forge:
    """Builds tokens against the instance under test (``api``) and a foreign one."""

    api: FakeApi
    other: FakeApi
    now: int = field(default_factory=lambda: int(time.time()))

    def claims(self, **extra: Any) -> dict[str, Any]:
        claims = session_claims(
            user_id="user_1",
            session_id="sess_1",
            issuer=self.api.url,
            now=self.now,
            lifetime=60,
            azp=APP,
            first_factor_age_minutes=0,
        )
        claims.update(extra)
        return claims

    def header(self, **extra: Any) -> dict[str, Any]:
        return {"alg": "RS256", "kid": self.api.key.kid, "typ": "JWT", "cat": CAT_SESSION, **extra}

    def valid(self, **extra: Any) -> str:
        """A genuine session token of this instance (the control)."""
        return self.api.mint(azp=APP, **extra)

    def stranger(self, kid: Any) -> str:
        """A session token signed by the attacker's key, naming ``kid``."""
        return _jws(self.header(kid=kid), self.claims(), STRANGER)

    def no_kid(self) -> str:
        header = self.header()
        del header["kid"]
        return _jws(header, self.claims(), STRANGER)

    def hs256_with_public_pem(self) -> str:
        """The classic confusion: the public PEM used as the HMAC secret."""
        signing_input = f"{_b64json(self.header(alg='HS256'))}.{_b64json(self.claims())}"
        secret = self.api.key.public_pem().encode()
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        return signing_input + "." + b64url_encode(mac)

    def without_alg(self) -> str:
        header = self.header()
        del header["alg"]
        return _jws(header, self.claims(), self.api.key)

    def tampered_payload(self) -> str:
        head, body, sig = self.valid().split(".")
        claims = _unb64json(body)
        claims["sub"] = "user_admin"
        return f"{head}.{_b64json(claims)}.{sig}"

    def tampered_header(self) -> str:
        head, body, sig = self.valid().split(".")
        header = _unb64json(head)
        header["x5u"] = "https://evil.example/cert.pem"
        return f"{_b64json(header)}.{body}.{sig}"

    def tampered_signature(self) -> str:
        head, body, sig = self.valid().split(".")
        flipped = "A" if sig[10] != "A" else "B"
        return f"{head}.{body}.{sig[:10]}{flipped}{sig[11:]}"

    def transplanted_signature(self) -> str:
        """The signature of one genuine token on the claims of another."""
        head, body, _ = self.valid(sid="sess_other", sub="user_other").split(".")
        sig = self.valid().split(".")[2]
        return f"{head}.{body}.{sig}"

    def truncated_signature(self) -> str:
        head, body, sig = self.valid().split(".")
        return f"{head}.{body}.{sig[:-8]}"

    def foreign_instance(self) -> str:
        """Minted by another instance: its own key, kid and issuer."""
        return self.other.mint(azp=APP)

    def jku_to_foreign_jwks(self) -> str:
        """Signed by the other instance, pointing at its JWKS: a naive verifier follows."""
        key = self.other.key
        header = self.header(
            kid=key.kid,
            jku=f"{self.other.url}/.well-known/jwks.json",
            jwk=public_jwk(key.kid, key.public_key),
        )
        return _jws(header, self.claims(), key)

    def template(self, **extra: Any) -> str:
        """A JWT-template token, signed by the right key (cat template, no sid)."""
        claims = {
            "sub": "user_1",
            "iat": self.now,
            "nbf": self.now - 10,
            "exp": self.now + 60,
            "iss": self.api.url,
            "azp": APP,
            "email": "ada@example.com",
            **extra,
        }
        key = self.api.key
        return encode_rs256(claims, key.private_key, key.kid, headers={"cat": CAT_TEMPLATE})

    def plain_jwt_without_sid(self) -> str:
        claims = self.claims()
        del claims["sid"]
        key = self.api.key
        return encode_rs256(claims, key.private_key, key.kid)

    def handshake_payload(self) -> str:
        """Shaped like the server's ``__clerk_handshake`` JWT, with a real token inside."""
        directives = [f"__session={self.valid()}; Path=/", "__client_uat=1; Path=/"]
        claims = {"handshake": directives, "iat": self.now, "exp": self.now + 60}
        key = self.api.key
        return encode_rs256(claims, key.private_key, key.kid)

    def oversized(self) -> str:
        """Genuinely signed, but over the 8 KB cap."""
        return self.valid(pad="p" * 9000)

    def deeply_nested(self) -> str:
        """Claims nested 3,000 deep, just under the size cap. The JSON scanner's depth
        bound is the interpreter's recursion limit, which hypothesis raises by 2,000
        frames while it runs an example: 2,000 levels parse there, 3,000 never do."""
        body = '{"sub":' + "[" * 3000 + "]" * 3000 + "}"
        token = f"{_b64json(self.header())}.{b64url_encode(body.encode())}.AAAA"
        assert len(token) <= MAX_TOKEN_BYTES
        return token


@dataclass(frozen=True)
class Attack:
    name: str
    build: Callable[[Forge], str]
    pem: str
    """The reason with ``THRESHOLD_JWT_KEY`` (no network)."""
    jwks: str | None = None
    """The reason with keys from the JWKS, when it differs."""

    def reason(self, mode: str) -> str:
        return self.jwks if mode == "jwks" and self.jwks is not None else self.pem


def _raw(text: str) -> Callable[[Forge], str]:
    return lambda forge: text


NAN_CLAIMS = b64url_encode(b'{"exp":NaN}')
INVALID, ALGORITHM, SIGNATURE, KID = (
    "token-invalid",
    "token-invalid-algorithm",
    "token-invalid-signature",
    "jwk-kid-mismatch",
)

ATTACKS = [
    Attack("alg-none-unsigned", lambda f: _jws(f.header(alg="none"), f.claims(), None), INVALID),
    Attack(
        "alg-none-signed", lambda f: _jws(f.header(alg="none"), f.claims(), f.api.key), ALGORITHM
    ),
    Attack(
        "alg-None-signed", lambda f: _jws(f.header(alg="None"), f.claims(), f.api.key), ALGORITHM
    ),
    Attack(
        "alg-lowercase-rs256",
        lambda f: _jws(f.header(alg="rs256"), f.claims(), f.api.key),
        ALGORITHM,
    ),
    Attack("alg-missing", Forge.without_alg, ALGORITHM),
    Attack("hs256-keyed-with-public-pem", Forge.hs256_with_public_pem, ALGORITHM),
    Attack("other-key-with-our-kid", lambda f: f.stranger(f.api.key.kid), SIGNATURE),
    Attack("unknown-kid", lambda f: f.stranger("ins_unknown0000000000000"), SIGNATURE, KID),
    *(
        Attack(f"kid-{i}-{kid[:12]!r}", functools.partial(Forge.stranger, kid=kid), SIGNATURE, KID)
        for i, kid in enumerate(KID_PAYLOADS)
    ),
    Attack("kid-is-a-number", lambda f: f.stranger(123), KID),
    Attack("kid-is-a-list", lambda f: f.stranger([f.api.key.kid]), KID),
    Attack("kid-missing", Forge.no_kid, KID),
    Attack("expired", lambda f: f.valid(age=TWO_DAYS), "token-expired"),
    Attack("nbf-in-the-future", lambda f: f.valid(nbf=f.now + 120), "token-not-active-yet"),
    Attack(
        "iat-in-the-future",
        lambda f: f.valid(iat=f.now + 120, nbf=f.now),
        "token-iat-in-the-future",
    ),
    Attack(
        "wrong-azp",
        lambda f: f.api.mint(azp="https://evil.example"),
        "token-invalid-authorized-parties",
    ),
    Attack("missing-azp", lambda f: f.api.mint(), "token-invalid-authorized-parties"),
    Attack("tampered-payload-sub", Forge.tampered_payload, SIGNATURE),
    Attack("tampered-header", Forge.tampered_header, SIGNATURE),
    Attack("tampered-signature", Forge.tampered_signature, SIGNATURE),
    Attack("transplanted-signature", Forge.transplanted_signature, SIGNATURE),
    Attack("truncated-signature", Forge.truncated_signature, SIGNATURE),
    Attack("another-instance", Forge.foreign_instance, SIGNATURE, KID),
    Attack("jku-and-jwk-headers", Forge.jku_to_foreign_jwks, SIGNATURE, KID),
    Attack("jwt-template-token", Forge.template, INVALID),
    Attack("jwt-template-token-with-sid", lambda f: f.template(sid="sess_1"), INVALID),
    Attack("same-key-jwt-without-sid", Forge.plain_jwt_without_sid, INVALID),
    Attack("typ-at+jwt", lambda f: _jws(f.header(typ="at+jwt"), f.claims(), f.api.key), INVALID),
    Attack("handshake-payload-jwt", Forge.handshake_payload, INVALID),
    Attack("oversized-signed", Forge.oversized, INVALID),
    Attack("oversized-garbage", _raw("x" * 9000), INVALID),
    Attack("deeply-nested-json", Forge.deeply_nested, INVALID),
    Attack("one-part", _raw("abc"), INVALID),
    Attack("two-parts", _raw("eyJhbGciOiJSUzI1NiJ9.e30"), INVALID),
    Attack("four-parts", _raw("a.b.c.d"), INVALID),
    Attack("empty-middle", _raw("a..c"), INVALID),
    Attack("only-dots", _raw(".."), INVALID),
    Attack("standard-base64", _raw("eyJhbGciOiJSUzI1NiJ9.e30.a+b/c="), INVALID),
    Attack("json-arrays", _raw("W10.W10.AAAA"), INVALID),
    Attack("header-not-json", _raw(b64url_encode(b"not json") + ".e30.AAAA"), INVALID),
    Attack("header-not-utf8", _raw(b64url_encode(b"{\xff}") + ".e30.AAAA"), INVALID),
    Attack("header-null", _raw(b64url_encode(b"null") + ".e30.AAAA"), INVALID),
    Attack("claims-with-nan", lambda f: f"{_b64json(f.header())}.{NAN_CLAIMS}.AAAA", INVALID),
]
ATTACK_IDS = [attack.name for attack in ATTACKS]


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def other_api_server() -> Iterator[FakeApi]:
    """A second instance: its own key, kid and issuer (URL)."""
    with running_fake_api() as api:
        yield api


@pytest.fixture
def other_api(other_api_server: FakeApi) -> FakeApi:
    other_api_server.reset()
    return other_api_server


@pytest.fixture(scope="module")
def portal() -> Iterator[BlockingPortal]:
    """One event loop for the ASGI calls of this module."""
    with start_blocking_portal() as running:
        yield running


@pytest.fixture
def forge(fake_api: FakeApi, other_api: FakeApi) -> Forge:
    return Forge(fake_api, other_api)


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
            "reason": request.scope["threshold"].reason,
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
        "reason": environ["threshold"].reason,
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


async def _asgi_call(app: AsgiAuth, method: str, headers: list[tuple[bytes, bytes]]) -> Reply:
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
    return portal.call(_asgi_call, app, method, raw)


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


# -- 1. the attack table -------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["pem", "jwks"])
@pytest.mark.parametrize("attack", ATTACKS, ids=ATTACK_IDS)
def test_verify_token_refuses(
    attack: Attack, mode: str, forge: Forge, portal: BlockingPortal
) -> None:
    config = make_config(forge.api, mode)
    token = attack.build(forge)
    expected = attack.reason(mode)
    with pytest.raises(TokenVerificationError) as caught:
        verify_token(token, config)
    assert caught.value.reason == expected
    if expected in HANDSHAKE_REASONS:
        # Only a genuine token out of its time window says whose it was.
        assert caught.value.claims is not None
        assert caught.value.claims["sid"] == "sess_1"
    else:
        assert caught.value.claims is None
    with pytest.raises(TokenVerificationError) as again:
        portal.call(functools.partial(averify_token, token, config))
    assert again.value.reason == expected
    assert forge.other.calls == []  # jku/jwk headers are never followed
    assert {path for _, path in forge.api.calls} <= {"/v1/jwks"}


def test_control_token_is_accepted(forge: Forge, portal: BlockingPortal) -> None:
    """The harness can tell a success: a genuine token signs in everywhere."""
    token = forge.valid()
    for mode in ("pem", "jwks"):
        config = make_config(forge.api, mode)
        assert verify_token(token, config)["sub"] == "user_1"
        sdk_asgi, sdk_wsgi = Authenticator(config), Authenticator(config)
        for scenario in SCENARIOS:
            headers = scenario.request_headers(token, forge.now - 100)
            for reply in (
                call_asgi(portal, asgi_app(sdk_asgi), scenario.method, headers),
                call_wsgi(wsgi_app(sdk_wsgi), scenario.method, headers),
            ):
                assert reply.status == 200, (mode, scenario.name)
                body = reply.json()
                assert body == {"user_id": "user_1", "is_authenticated": True, "reason": ""}


def test_foreign_token_is_genuine_at_its_own_instance(forge: Forge) -> None:
    """The other instance's token is real: its own key accepts it, ours does not."""
    token = forge.foreign_instance()
    claims = verify_token(token, jwt_key=forge.other.key.public_pem())
    assert claims["iss"] == forge.other.url != forge.api.url
    with pytest.raises(TokenVerificationError, match="signature"):
        verify_token(token, jwt_key=forge.api.key.public_pem())


def _check_refused(
    reply: Reply, attack: Attack, mode: str, scenario: Scenario, forge: Forge
) -> None:
    expected = attack.reason(mode)
    where = (attack.name, mode, scenario.name)
    if scenario.handshakes and expected in HANDSHAKE_REASONS:
        assert reply.status == 307, where
        assert reply.headers["cache-control"] == "no-store"
        location = urlsplit(reply.headers["location"])
        assert f"{location.scheme}://{location.netloc}" == forge.api.url
        assert location.path == "/v1/client/handshake"
        query = parse_qs(location.query)
        assert query["redirect_url"] == [f"{APP}/"]
        assert query["format"] == ["nonce"]
        assert query["__clerk_hs_reason"] == [HANDSHAKE_REASONS[expected]]
        assert [c.split(";")[0] for c in reply.set_cookies] == ["__clerk_redirect_count=1"]
        return
    assert reply.status == 200, where
    assert reply.json() == {"user_id": None, "is_authenticated": False, "reason": expected}, where
    assert reply.set_cookies == [], where  # nothing renewed, nothing handed out


@pytest.mark.parametrize("mode", ["pem", "jwks"])
@pytest.mark.parametrize("attack", ATTACKS, ids=ATTACK_IDS)
def test_middlewares_sign_attacks_out(
    attack: Attack, mode: str, forge: Forge, portal: BlockingPortal
) -> None:
    config = make_config(forge.api, mode)
    asgi, wsgi = asgi_app(Authenticator(config)), wsgi_app(Authenticator(config))
    token = attack.build(forge)
    for scenario in SCENARIOS:
        headers = scenario.request_headers(token, forge.now - 3600)
        _check_refused(
            call_asgi(portal, asgi, scenario.method, headers), attack, mode, scenario, forge
        )
        _check_refused(call_wsgi(wsgi, scenario.method, headers), attack, mode, scenario, forge)
    # No renewal, no user lookup, no handshake call; JWKS mode fetches keys at most once
    # per middleware (two Authenticators here), whatever the kid.
    assert {path for _, path in forge.api.calls} <= {"/v1/jwks"}
    assert forge.api.count("GET", "/v1/jwks") <= (2 if mode == "jwks" else 0)
    assert forge.other.calls == []


# -- 2. unknown kid flood through the middleware -------------------------------------------


@pytest.fixture
def requested_urls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every URL requested through httpx (the SDK's only HTTP client) during the test."""
    urls: list[str] = []
    sync_send = httpx.Client.send
    async_send = httpx.AsyncClient.send

    def record_sync(self: httpx.Client, request: httpx.Request, **kw: Any) -> httpx.Response:
        urls.append(str(request.url))
        return sync_send(self, request, **kw)

    async def record_async(
        self: httpx.AsyncClient, request: httpx.Request, **kw: Any
    ) -> httpx.Response:
        urls.append(str(request.url))
        return await async_send(self, request, **kw)

    monkeypatch.setattr(httpx.Client, "send", record_sync)
    monkeypatch.setattr(httpx.AsyncClient, "send", record_async)
    return urls


def _flood_kids(count: int, round_: int) -> list[str]:
    kids = [f"{payload}{round_}" for payload in KID_PAYLOADS]
    kids += [f"ins_flood_{round_}_{i}{'/..' * (i % 4)}" for i in range(count - len(kids))]
    return kids


def _flood_headers(forge: Forge, kids: list[str]) -> list[tuple[str, dict[str, str]]]:
    """Half as Bearer tokens, half as ``__session`` cookies on page loads."""
    requests = []
    for i, kid in enumerate(kids):
        scenario = SCENARIOS[0] if i % 2 else SCENARIOS[3]
        token = forge.stranger(kid)
        requests.append((scenario.method, scenario.request_headers(token, forge.now - 3600)))
    return requests


def _assert_flood_refused(replies: list[Reply]) -> None:
    for reply in replies:
        assert reply.status == 200
        assert reply.json() == {
            "user_id": None,
            "is_authenticated": False,
            "reason": "jwk-kid-mismatch",
        }


def _asgi_flood(app: AsgiAuth, requests: list[tuple[str, dict[str, str]]]) -> Callable[[], Any]:
    """All requests at once on the event loop."""

    async def run() -> list[Reply]:
        raw = [
            [(k.encode("latin-1"), v.encode("latin-1")) for k, v in h.items()] for _, h in requests
        ]
        calls = (_asgi_call(app, method, r) for (method, _), r in zip(requests, raw, strict=True))
        return list(await asyncio.gather(*calls))

    return run


def _wsgi_flood(app: WsgiAuth, requests: list[tuple[str, dict[str, str]]]) -> list[Reply]:
    """All requests from eight threads."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda r: call_wsgi(app, *r), requests))


@pytest.mark.parametrize("secret", [True, False], ids=["v1-jwks", "well-known"])
def test_unknown_kid_flood_costs_one_fetch_per_interval(
    forge: Forge, portal: BlockingPortal, requested_urls: list[str], secret: bool
) -> None:
    api = forge.api
    config = make_config(api, "jwks", secret=secret)
    path = "/v1/jwks" if secret else "/.well-known/jwks.json"
    clock_asgi, clock_wsgi = FrozenClock(), FrozenClock()
    asgi = asgi_app(Authenticator(config, clock=clock_asgi))
    wsgi = wsgi_app(Authenticator(config, clock=clock_wsgi))
    # 200 concurrent requests per middleware, each with its own unknown kid: the first
    # miss loads the key set; every other one shares that fetch or waits out the interval.
    kids = [_flood_kids(200, 0), _flood_kids(200, 1)]
    _assert_flood_refused(portal.call(_asgi_flood(asgi, _flood_headers(forge, kids[0]))))
    assert api.count("GET", path) == 1
    _assert_flood_refused(_wsgi_flood(wsgi, _flood_headers(forge, kids[1])))
    assert api.count("GET", path) == 2
    # The keys are loaded: a genuine token signs in with no further fetch.
    good = {"authorization": f"Bearer {forge.valid()}", **FETCH}
    assert call_asgi(portal, asgi, "GET", good).json()["user_id"] == "user_1"
    assert call_wsgi(wsgi, "GET", good).json()["user_id"] == "user_1"
    assert api.count("GET", path) == 2
    # A minute later: one more fetch each, however many unknown kids arrive.
    clock_asgi.advance(61)
    clock_wsgi.advance(61)
    kids.append(_flood_kids(50, 2))
    later = _flood_headers(forge, kids[2])
    _assert_flood_refused(portal.call(_asgi_flood(asgi, later)))
    _assert_flood_refused(_wsgi_flood(wsgi, later))
    assert api.count("GET", path) == 4
    # The SDK only ever asked for the key set: no kid reached any URL.
    assert api.calls == [("GET", path)] * 4
    assert api.queries == [""] * 4
    assert requested_urls == [f"{api.url}{path}"] * 4
    for url in (*requested_urls, *api.queries):
        assert not any(len(kid) > 2 and kid in unquote(url) for batch in kids for kid in batch)
    assert forge.other.calls == []


def test_flood_while_the_jwks_fails_costs_one_fetch_per_five_seconds(
    forge: Forge, portal: BlockingPortal
) -> None:
    """An outage fails closed (genuine tokens too) and is retried after 5 s, not per request."""
    api = forge.api
    api.jwks_status = 500
    config = make_config(api, "jwks")
    clock = FrozenClock()
    sdk = Authenticator(config, clock=clock)
    asgi, wsgi = asgi_app(sdk), wsgi_app(sdk)  # one SDK, one key cache, both middlewares
    requests = _flood_headers(forge, _flood_kids(40, 0))
    requests.append(("GET", {"authorization": f"Bearer {forge.valid()}", **FETCH}))
    for _ in range(2):
        replies = [*portal.call(_asgi_flood(asgi, requests)), *_wsgi_flood(wsgi, requests)]
        for reply in replies:
            assert reply.status == 200
            assert reply.json() == {
                "user_id": None,
                "is_authenticated": False,
                "reason": "jwk-failed-to-load",
            }
        assert api.calls == [("GET", "/v1/jwks")]
    api.jwks_status = 200
    clock.advance(6)
    good = requests[-1]
    assert call_wsgi(wsgi, *good).json()["user_id"] == "user_1"
    assert call_asgi(portal, asgi, *good).json()["user_id"] == "user_1"
    assert api.calls == [("GET", "/v1/jwks")] * 2


# -- 3. random cookies and Authorization values ------------------------------------------

LATIN1 = st.characters(max_codepoint=255)
NOISE = st.text(LATIN1, max_size=40)
TOKENISH = st.from_regex(r"[A-Za-z0-9_\-]{0,30}(\.[A-Za-z0-9_\-]{0,30}){0,3}", fullmatch=True)
Part = str | int
"""A piece of a header value: literal text, or an index into the pool (``random_setup``)."""
POOL_SIZE = 5 + len(ATTACKS)
SIGNED_IN = (0, 1)
"""Pool indexes of the genuine token and the renewable one (expired two minutes ago)."""
TOKEN_REFS = st.sampled_from(SIGNED_IN) | st.integers(5, POOL_SIZE - 1)
UAT_REFS = st.sampled_from([2, 3, 4])
"""Pool indexes of a ``__client_uat`` before the tokens' ``iat``, one after it, and one
too long for ``int()`` (Python refuses over 4,300 digits)."""
TOKENS: st.SearchStrategy[list[Part]] = st.one_of(
    TOKEN_REFS.map(lambda i: [i]),
    st.tuples(st.sampled_from(['"', " ", "\t", "'"]), TOKEN_REFS).map(lambda q: [q[0], q[1], q[0]]),
    st.tuples(TOKEN_REFS, NOISE).map(list),
    TOKENISH.map(lambda t: [t]),
    NOISE.map(lambda t: [t]),
    NOISE.map(lambda t: ['"', t, '"']),
)
NUMBERS: st.SearchStrategy[list[Part]] = st.one_of(
    UAT_REFS.map(lambda i: [i]),
    st.sampled_from(["0", "1", "-5", " 7 ", "1e3", "0x10", "1_000", "\xb2\xb3"]).map(lambda t: [t]),
    st.integers(-(10**12), 10**12).map(lambda n: [str(n)]),
    NOISE.map(lambda t: [t]),
)
NAMES = st.sampled_from(["__session_abc", "__client", "", " ", "__SESSION"]) | st.text(
    LATIN1, max_size=12
)
SEPARATORS = st.sampled_from(["; ", ";", ",", " ; ", ";;", "\t;", ", "])


def _pair(name: str, value: list[Part]) -> list[Part]:
    return [name, "=", *value]


def _join(pairs: list[list[Part]], sep: str) -> list[Part]:
    parts: list[Part] = []
    for i, pair in enumerate(pairs):
        parts += [sep, *pair] if i else pair
    return parts


def _often(pair: st.SearchStrategy[list[Part]], most: int) -> st.SearchStrategy[list[list[Part]]]:
    """Zero to ``most`` cookies of one name, present two times in three."""
    present = st.lists(pair, min_size=1, max_size=most)
    return st.one_of(present, present, st.just([]))


COOKIE_PAIRS = st.tuples(
    _often(st.builds(_pair, st.just("__session"), TOKENS), 2),
    _often(st.builds(_pair, st.just("__client_uat"), NUMBERS), 2),
    st.lists(st.builds(_pair, st.just("__clerk_redirect_count"), NUMBERS), max_size=1),
    st.lists(st.builds(_pair, NAMES, TOKENS | NUMBERS), max_size=2),
).map(lambda groups: [pair for group in groups for pair in group])
STRUCTURED_COOKIES = st.tuples(COOKIE_PAIRS.flatmap(st.permutations), SEPARATORS).map(
    lambda t: _join(*t)
)
COOKIES: st.SearchStrategy[list[Part] | None] = st.one_of(
    st.none(),
    st.text(LATIN1, max_size=300).map(lambda s: [s]),
    STRUCTURED_COOKIES,
    STRUCTURED_COOKIES,
)
SCHEMES = st.sampled_from(["Bearer ", "bearer   ", "BEARER\t", "Bearer", "Basic ", "", " "])
AUTHORIZATIONS: st.SearchStrategy[list[Part]] = st.one_of(
    st.text(LATIN1, max_size=300).map(lambda s: [s]),
    st.tuples(SCHEMES | NOISE, TOKENS).map(lambda t: [t[0], *t[1]]),
)
KINDS = st.sampled_from(
    [
        ("GET", PAGE),
        ("GET", FETCH),
        ("POST", FORM),
        ("GET", {"accept": "text/html"}),
        ("GET", {}),
    ]
)


def _render(parts: list[Part] | None, pool: list[str]) -> str | None:
    if parts is None:
        return None
    return "".join(p if isinstance(p, str) else pool[p] for p in parts)


def _uses_signed_in_token(parts: list[Part] | None, pool: list[str]) -> bool:
    """True when a genuine (or renewable) token is in the value: signing in is fine then."""
    return parts is not None and any(p in SIGNED_IN for p in parts if isinstance(p, int))


def _check_random_reply(reply: Reply, api: FakeApi, may_sign_in: bool) -> None:
    assert reply.status in (200, 307)
    if reply.status == 307:
        location = reply.headers["location"]
        assert location.startswith(f"{api.url}/v1/client/handshake?")
        assert reply.headers["cache-control"] == "no-store"
        return
    body = reply.json()
    assert body["user_id"] in ((None, "user_1") if may_sign_in else (None,))
    assert body["is_authenticated"] is (body["user_id"] is not None)
    if body["user_id"] is None:
        for line in reply.set_cookies:
            name, _, rest = line.partition("=")
            assert name != "__session" or rest.startswith(";"), line


class RandomSetup:
    """The apps under test and the pool of values the strategies point into.

    Not a dataclass: hypothesis prints a failing example's arguments, and a dataclass
    would be printed field by field (tens of kB of tokens).
    """

    def __init__(self, api: FakeApi, pool: list[str], asgi: AsgiAuth, wsgi: WsgiAuth) -> None:
        self.api = api
        self.pool = pool
        """Genuine and renewable tokens, three ``__client_uat`` values, every attack token."""
        self.asgi = asgi
        self.wsgi = wsgi

    def __repr__(self) -> str:
        return f"<RandomSetup of {len(self.pool)} values>"


@pytest.fixture
def random_setup(forge: Forge, mode: str) -> RandomSetup:
    """One pair of middlewares per test, shared by its examples as in a running app."""
    pool = [forge.valid(), forge.valid(age=120), str(forge.now - 100), str(forge.now + 1000)]
    pool.append("9" * 4400)
    pool += [attack.build(forge) for attack in ATTACKS]
    assert len(pool) == POOL_SIZE
    config = make_config(forge.api, mode)
    return RandomSetup(
        forge.api, pool, asgi_app(Authenticator(config)), wsgi_app(Authenticator(config))
    )


@pytest.mark.parametrize("mode", ["pem", "jwks"])
@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kind=KINDS,
    cookie=COOKIES,
    authorization=st.none() | AUTHORIZATIONS,
)
def test_random_cookies_and_authorization_never_crash(
    mode: str,
    random_setup: RandomSetup,
    portal: BlockingPortal,
    kind: tuple[str, dict[str, str]],
    cookie: list[Part] | None,
    authorization: list[Part] | None,
) -> None:
    pool = random_setup.pool
    method, base = kind
    headers = dict(base)
    cookie_text, auth_text = _render(cookie, pool), _render(authorization, pool)
    if cookie_text is not None:
        headers["cookie"] = cookie_text
    if auth_text is not None:
        headers["authorization"] = auth_text
    may_sign_in = _uses_signed_in_token(cookie, pool) or _uses_signed_in_token(authorization, pool)
    from_asgi = call_asgi(portal, random_setup.asgi, method, headers)
    from_wsgi = call_wsgi(random_setup.wsgi, method, headers)
    _check_random_reply(from_asgi, random_setup.api, may_sign_in)
    _check_random_reply(from_wsgi, random_setup.api, may_sign_in)
    assert from_asgi.key() == from_wsgi.key(), (method, headers)  # one set of rules behind both
    signed_in = from_asgi.status == 200 and from_asgi.json()["user_id"] is not None
    event(f"{from_asgi.status} {'signed in' if signed_in else 'signed out'}")  # for statistics
