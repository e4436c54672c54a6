"""Stand-ins for the named providers (Google, GitHub, Microsoft, Apple, GitLab, Discord,
LinkedIn), which tests cannot reach: one small server on 127.0.0.1 that speaks each
provider's documented protocol, and no more.

This is NOT the providers. It follows their public documentation for the parts Threshold
uses: the authorization endpoint (PKCE S256 required, ``state`` and ``nonce`` echoed,
Apple's ``response_mode=form_post`` with its one-time ``user`` field), the token endpoint
(single-use codes bound to the redirect URI and the code challenge; refresh tokens;
GitHub's habit of reporting errors with status 200; Apple's client secret checked as an
ES256 JWT from the team's key), ID tokens signed with a key published at a JWKS URL
(issuers as each provider writes them, Microsoft's per tenant), userinfo, GitHub's
``/user`` and ``/user/emails`` and Discord's ``/users/@me``. Each test can make it forge
the next ID token (``tamper``) or answer slowly (``token_delay``).
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from html import escape
from typing import Any
from urllib.parse import urlencode

import uvicorn
from joserfc import jwk, jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.support import HARNESS_LOOP, free_port
from threshold.services.oauth.catalogue import NAMED_SPECS, ProviderSpec

__all__ = ["MICROSOFT_TENANT", "PROFILES", "StandIn", "run_standin", "standin_specs"]

MICROSOFT_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
ISSUERS = {
    "google": "https://accounts.google.com",
    "microsoft": f"https://login.microsoftonline.com/{MICROSOFT_TENANT}/v2.0",
    "apple": "https://appleid.apple.com",
    "gitlab": "https://gitlab.com",
    "linkedin_oidc": "https://www.linkedin.com/oauth",
}
OIDC = tuple(ISSUERS)

PROFILES: dict[str, dict[str, Any]] = {
    "google": {
        "sub": "110169484474386276334",
        "email": "ada@gmail.com",
        "email_verified": True,
        "given_name": "Ada",
        "family_name": "Lovelace",
        "name": "Ada Lovelace",
        "picture": "https://lh3.googleusercontent.com/a/ada",
    },
    "microsoft": {
        "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
        "tid": MICROSOFT_TENANT,
        "email": "ada@contoso.com",
        "name": "Ada Lovelace",
        "preferred_username": "ada@contoso.com",
    },
    "apple": {
        "sub": "001234.5b6fa3e2f0c64d4a8a1c.0420",
        "email": "x7h2@privaterelay.appleid.com",
        "email_verified": "true",
        "is_private_email": "true",
    },
    "gitlab": {
        "sub": "4242",
        "email": "ada@gitlab.example",
        "email_verified": True,
        "name": "Ada Lovelace",
        "nickname": "ada",
        "picture": "https://gitlab.com/uploads/-/system/user/avatar/4242/avatar.png",
    },
    "linkedin_oidc": {
        "sub": "782bbtaQ",
        "email": "ada@linkedin.example",
        "email_verified": True,
        "given_name": "Ada",
        "family_name": "Lovelace",
        "picture": "https://media.licdn.com/dms/image/ada",
    },
    "github": {
        "user": {
            "id": 583231,
            "login": "octocat",
            "name": "Mona Lisa Octocat",
            "avatar_url": "https://avatars.githubusercontent.com/u/583231?v=4",
            "email": None,
        },
        "emails": [
            {"email": "octocat@github.com", "primary": True, "verified": True},
            {"email": "mona@example.com", "primary": False, "verified": False},
        ],
    },
    "discord": {
        "id": "80351110224678912",
        "username": "nelly",
        "global_name": "Nelly",
        "avatar": "8342729096ea3675442027381ff50dfe",
        "email": "nelly@discord.example",
        "verified": True,
    },
}
"""What each stand-in says about its one user (in each provider's own shape)."""


@functools.cache
def _rsa_key(kid: str, owner: str) -> jwk.RSAKey:
    """An RSA key per (kid, owner), made once per test run (2048-bit keys take a while)."""
    return jwk.RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256", "use": "sig"})


@dataclass
class _Code:
    provider: str
    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str | None
    scope: str


@dataclass
class StandIn:
    """The stand-in's state: registered clients, live codes and tokens, what it saw."""

    clients: dict[str, str] = field(default_factory=dict)
    """client_id -> client_secret (Apple's client: an ES256 public key, ``apple_key``)."""
    apple_key: jwk.ECKey | None = None
    apple_team: str = "TEAM123456"
    base: str = ""
    key: jwk.RSAKey = field(default_factory=lambda: _rsa_key("standin-1", "provider"))
    attacker_key: jwk.RSAKey = field(default_factory=lambda: _rsa_key("standin-1", "attacker"))
    profiles: dict[str, Any] = field(
        default_factory=lambda: {
            k: dict(v) if isinstance(v, dict) else v for k, v in PROFILES.items()
        }
    )
    tamper: str | None = None
    userinfo_sub: str | None = None
    """When set, userinfo describes this subject instead of the ID token's."""
    token_delay: float = 0.0
    codes: dict[str, _Code] = field(default_factory=dict)
    access_tokens: dict[str, str] = field(default_factory=dict)
    refresh_tokens: dict[str, tuple[str, str]] = field(default_factory=dict)
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    """(endpoint, parameters) of every authorization and token request."""
    jwks_fetches: int = 0

    # -- the authorization endpoint -------------------------------------------------------

    async def authorize(self, request: Request) -> Response:
        provider = request.path_params["provider"]
        params = dict(request.query_params)
        self.seen.append((f"{provider}/authorize", params))
        if params.get("client_id") not in self.clients or params.get("response_type") != "code":
            return JSONResponse({"error": "invalid_request"}, 400)
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return JSONResponse({"error": "invalid_request", "error_description": "PKCE"}, 400)
        code = secrets.token_urlsafe(24)
        self.codes[code] = _Code(
            provider,
            params["client_id"],
            params.get("redirect_uri", ""),
            params["code_challenge"],
            params.get("nonce"),
            params.get("scope", ""),
        )
        answer = {"code": code, "state": params.get("state", "")}
        if params.get("response_mode") == "form_post":  # Apple
            answer["user"] = '{"name":{"firstName":"Ada","lastName":"Lovelace"}}'
            inputs = "".join(
                f'<input type="hidden" name="{k}" value="{escape(v)}">' for k, v in answer.items()
            )
            action = escape(params.get("redirect_uri", ""))
            return HTMLResponse(f'<form method="post" action="{action}">{inputs}</form>')
        return RedirectResponse(f"{params.get('redirect_uri')}?{urlencode(answer)}", 302)

    # -- the token endpoint ---------------------------------------------------------------

    async def token(self, request: Request) -> Response:
        provider = request.path_params["provider"]
        if self.token_delay:
            await asyncio.sleep(self.token_delay)
        form = {k: str(v) for k, v in (await request.form()).items()}
        self.seen.append((f"{provider}/token", form))
        client_id = self._authenticate(provider, request, form)
        if client_id is None:
            return self._error(provider, "invalid_client", 401)
        if form.get("grant_type") == "refresh_token":
            return self._refresh(provider, client_id, form.get("refresh_token", ""))
        grant = self.codes.pop(form.get("code", ""), None)
        if grant is None or grant.client_id != client_id or grant.provider != provider:
            return self._error(provider, "invalid_grant", 400)
        if form.get("redirect_uri") != grant.redirect_uri:
            return self._error(provider, "invalid_grant", 400)
        if _s256(form.get("code_verifier", "")) != grant.challenge:
            return self._error(provider, "invalid_grant", 400)
        return JSONResponse(self._tokens(provider, client_id, grant.nonce, grant.scope))

    def _authenticate(self, provider: str, request: Request, form: dict[str, str]) -> str | None:
        header = request.headers.get("authorization", "")
        if header.startswith("Basic "):
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        if provider == "apple":
            return client_id if self._apple_secret_ok(client_id, secret) else None
        expected = self.clients.get(client_id)
        return client_id if expected and secrets.compare_digest(expected, secret) else None

    def _apple_secret_ok(self, client_id: str, secret: str) -> bool:
        assert self.apple_key is not None
        try:
            token = jwt.decode(secret, self.apple_key, algorithms=["ES256"])
        except Exception:
            return False
        claims, now = token.claims, time.time()
        self.seen.append(
            (
                "apple/client_secret",
                {"kid": token.header.get("kid", ""), **{k: str(v) for k, v in claims.items()}},
            )
        )
        return (
            claims.get("iss") == self.apple_team
            and claims.get("sub") == client_id
            and claims.get("aud") == "https://appleid.apple.com"
            and claims.get("iat", 0) <= now + 5 < claims.get("exp", 0)
        )

    def _error(self, provider: str, error: str, status: int) -> Response:
        if provider == "github":  # GitHub answers errors with 200
            return JSONResponse(
                {"error": "bad_verification_code" if error == "invalid_grant" else error}
            )
        return JSONResponse({"error": error}, status)

    def _refresh(self, provider: str, client_id: str, refresh_token: str) -> Response:
        found = self.refresh_tokens.pop(refresh_token, None)
        if found is None or found != (provider, client_id):
            return self._error(provider, "invalid_grant", 400)
        answer = self._tokens(provider, client_id, None, "", id_token=False)
        return JSONResponse(answer)

    def _tokens(
        self, provider: str, client_id: str, nonce: str | None, scope: str, *, id_token: bool = True
    ) -> dict[str, Any]:
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self.access_tokens[access] = provider
        answer: dict[str, Any] = {"access_token": access, "token_type": "Bearer"}
        if provider == "github":
            answer.update(scope=scope.replace(" ", ","), token_type="bearer")
            return answer
        self.refresh_tokens[refresh] = (provider, client_id)
        answer.update(expires_in=3600, refresh_token=refresh, scope=scope)
        if provider in OIDC and id_token:
            answer["id_token"] = self._id_token(provider, client_id, nonce, access)
        return answer

    def _id_token(self, provider: str, client_id: str, nonce: str | None, access: str) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUERS[provider],
            "aud": client_id,
            "iat": now,
            "exp": now + 3600,
            "nonce": nonce,
            **self.profiles[provider],
        }
        header: dict[str, Any] = {"alg": "RS256", "kid": self.key.kid}
        key: Any = self.key
        tamper, self.tamper = self.tamper, None
        if tamper is not None:
            header, claims, key = _forge(tamper, header, claims, self)
            if key is None:  # unsigned
                return _unsigned(header, claims)
        return jwt.encode(header, claims, key, algorithms=[header["alg"]])

    # -- keys and user APIs ---------------------------------------------------------------

    async def jwks(self, request: Request) -> Response:
        self.jwks_fetches += 1
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})

    def _bearer(self, request: Request, provider: str) -> bool:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        return self.access_tokens.get(token) == provider

    async def userinfo(self, request: Request) -> Response:
        provider = request.path_params["provider"]
        if not self._bearer(request, provider):
            return JSONResponse({"error": "invalid_token"}, 401)
        answer = dict(self.profiles[provider])
        if self.userinfo_sub is not None:
            answer["sub"] = self.userinfo_sub
        return JSONResponse(answer)

    async def github_user(self, request: Request) -> Response:
        if not self._bearer(request, "github"):
            return JSONResponse({"message": "Bad credentials"}, 401)
        return JSONResponse(self.profiles["github"]["user"])

    async def github_emails(self, request: Request) -> Response:
        if not self._bearer(request, "github"):
            return JSONResponse({"message": "Bad credentials"}, 401)
        return JSONResponse(self.profiles["github"]["emails"])

    async def discord_me(self, request: Request) -> Response:
        if not self._bearer(request, "discord"):
            return JSONResponse({"message": "401: Unauthorized", "code": 0}, 401)
        return JSONResponse(self.profiles["discord"])

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/github/api/user", self.github_user),
                Route("/github/api/user/emails", self.github_emails),
                Route("/discord/api/users/@me", self.discord_me),
                Route("/{provider}/{tenant}/authorize", self.authorize),
                Route("/{provider}/{tenant}/token", self.token, methods=["POST"]),
                Route("/{provider}/{tenant}/jwks", self.jwks),
                Route("/{provider}/authorize", self.authorize),
                Route("/{provider}/token", self.token, methods=["POST"]),
                Route("/{provider}/jwks", self.jwks),
                Route("/{provider}/userinfo", self.userinfo),
            ]
        )


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        raw = json.dumps(value, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}."


def _forge(
    tamper: str, header: dict[str, Any], claims: dict[str, Any], standin: StandIn
) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """The ID token an attacker (or a broken provider) would send instead."""
    key: Any = standin.key
    if tamper == "wrong_aud":
        claims["aud"] = "another-app"
    elif tamper == "wrong_iss":
        claims["iss"] = "https://evil.example"
    elif tamper == "iss_without_scheme":  # Google documents both spellings
        claims["iss"] = str(claims["iss"]).removeprefix("https://")
    elif tamper == "wrong_nonce":
        claims["nonce"] = secrets.token_urlsafe(32)
    elif tamper == "no_nonce":
        del claims["nonce"]
    elif tamper == "expired":
        claims.update(iat=claims["iat"] - 7200, exp=claims["iat"] - 3600)
    elif tamper == "issued_in_the_future":
        claims.update(iat=claims["iat"] + 3600, exp=claims["exp"] + 3600)
    elif tamper == "other_key":  # same kid, a key the provider does not hold
        key = standin.attacker_key
    elif tamper == "unknown_kid":
        key = _rsa_key("attacker", "attacker")
        header["kid"] = "attacker"
    elif tamper == "embedded_jwk":  # RFC 8725 3.10: the key must not come from the token
        key = _rsa_key("embedded", "attacker")
        header.update(kid="embedded", jwk=key.as_dict(private=False))
    elif tamper == "alg_none":
        header = {"alg": "none", "kid": header["kid"]}
        key = None
    elif tamper == "hs256_with_client_secret":
        secret = standin.clients[str(claims["aud"])]
        key = jwk.OctKey.import_key(secret)
        header = {"alg": "HS256", "kid": header["kid"]}
    else:
        raise ValueError(tamper)
    return header, claims, key


def standin_specs(base: str) -> dict[str, ProviderSpec]:
    """The named providers' descriptions, their URLs pointed at the stand-in (Microsoft's
    keep ``{tenant}``, filled in from the setting as for the real one)."""

    def point(strategy: str, path: str, **extra: Any) -> ProviderSpec:
        root = f"{base}/{path}"
        return replace(
            NAMED_SPECS[strategy],
            authorize_url=f"{root}/authorize",
            token_url=f"{root}/token",
            **extra,
        )

    oidc = {
        name: point(
            f"oauth_{name}",
            name,
            jwks_uri=f"{base}/{name}/jwks",
            userinfo_url=f"{base}/{name}/userinfo"
            if NAMED_SPECS[f"oauth_{name}"].userinfo_url
            else None,
        )
        for name in ("google", "apple", "gitlab", "linkedin_oidc")
    }
    return {
        **{spec.strategy: spec for spec in oidc.values()},
        "oauth_microsoft": point(
            "oauth_microsoft", "microsoft/{tenant}", jwks_uri=f"{base}/microsoft/{{tenant}}/jwks"
        ),
        "oauth_github": point("oauth_github", "github", api_url=f"{base}/github/api"),
        "oauth_discord": point("oauth_discord", "discord", api_url=f"{base}/discord/api"),
    }


@contextmanager
def run_standin(standin: StandIn) -> Iterator[StandIn]:
    """Serve the stand-in on 127.0.0.1 in a thread of this process."""
    port = free_port()
    config = uvicorn.Config(
        standin.app(),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        loop=HARNESS_LOOP,
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the stand-in provider did not start")
        time.sleep(0.02)
    standin.base = f"http://127.0.0.1:{port}"
    try:
        yield standin
    finally:
        server.should_exit = True
        thread.join(timeout=10)
