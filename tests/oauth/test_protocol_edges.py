"""The protocol pieces on answers no well-behaved provider sends: HTTP failures, bad
discovery documents and key sets, malformed ID tokens, odd token answers and profiles.
The provider here is an ``httpx.MockTransport`` answering from a table."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import httpx
import pytest
from joserfc import jwk, jwt

from threshold.core.clock import FrozenClock
from threshold.core.jwt import b64url_encode
from threshold.core.records.oauth import ProviderTokens
from threshold.services.oauth.catalogue import MICROSOFT_ISSUER, NAMED_SPECS
from threshold.services.oauth.directory import ConfiguredProvider
from threshold.services.oauth.discovery import ProviderKeys, ProviderMetadata
from threshold.services.oauth.errors import (
    IdTokenInvalidError,
    ProviderRefusedError,
    ProviderResponseError,
    ProviderUnavailableError,
)
from threshold.services.oauth.http import MAX_ANSWER_BYTES, ProviderHttp
from threshold.services.oauth.id_tokens import nonce_digest, verify_id_token
from threshold.services.oauth.profiles import _apple_names, read_profile
from threshold.services.oauth.tokens import _tokens

pytestmark = pytest.mark.anyio

Handler = Callable[[httpx.Request], httpx.Response]
ISSUER = "https://idp.example"
KEY = jwk.RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256", "use": "sig"})


@pytest.fixture
def answers() -> dict[str, Any]:
    """URL -> the answer (a response, or an exception to raise)."""
    return {}


@pytest.fixture
async def http(answers: dict[str, Any]) -> AsyncIterator[ProviderHttp]:
    def handle(request: httpx.Request) -> httpx.Response:
        answer = answers[str(request.url)]
        if isinstance(answer, Exception):
            raise answer
        assert isinstance(answer, httpx.Response)
        return answer

    client = ProviderHttp(2.0, transport=httpx.MockTransport(handle))
    yield client
    await client.aclose()


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    [
        (httpx.Response(200, content=b"<html>"), ProviderResponseError, "did not answer with JSON"),
        (httpx.Response(401, json={"error": "invalid_token"}), ProviderRefusedError, "refused"),
        (httpx.Response(503), ProviderUnavailableError, "not answering normally"),
        (httpx.Response(429), ProviderUnavailableError, "not answering normally"),
        (
            httpx.Response(200, content=b"[" + b"0," * MAX_ANSWER_BYTES + b"0]"),
            ProviderResponseError,
            "larger than",
        ),
        (httpx.ConnectError("refused"), ProviderUnavailableError, "could not be reached"),
        (httpx.ReadTimeout("slow"), ProviderUnavailableError, "did not answer within 2 seconds"),
    ],
)
async def test_http_failures_are_typed(
    http: ProviderHttp,
    answers: dict[str, Any],
    answer: Any,
    error: type[Exception],
    message: str,
) -> None:
    answers["https://idp.example/x"] = answer
    with pytest.raises(error) as caught:
        await http.get_json("Example", "https://idp.example/x")
    assert message in str(caught.value) and "Example" in str(caught.value)


def _document(**changes: Any) -> dict[str, Any]:
    document = {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/authorize",
        "token_endpoint": f"{ISSUER}/token",
        "jwks_uri": f"{ISSUER}/jwks",
    }
    document.update(changes)
    return {k: v for k, v in document.items() if v is not None}


@pytest.mark.parametrize(
    "document",
    [
        [],
        _document(issuer="https://evil.example"),
        _document(token_endpoint=None),
        _document(jwks_uri="http://idp.example/jwks"),
    ],
    ids=["not-an-object", "other-issuer", "no-token-endpoint", "plain-http-jwks"],
)
async def test_bad_discovery_documents_are_refused(
    http: ProviderHttp, answers: dict[str, Any], document: Any
) -> None:
    answers[f"{ISSUER}/.well-known/openid-configuration"] = httpx.Response(200, json=document)
    with pytest.raises(ProviderResponseError):
        await ProviderMetadata(http, FrozenClock(0)).document("Example", ISSUER)


async def test_a_discovery_document_is_kept_for_an_hour(
    http: ProviderHttp, answers: dict[str, Any]
) -> None:
    url = f"{ISSUER}/.well-known/openid-configuration"
    answers[url] = httpx.Response(200, json=_document(issuer=ISSUER + "/"))
    clock = FrozenClock(0)
    metadata = ProviderMetadata(http, clock)
    first = await metadata.document("Example", ISSUER)
    answers[url] = httpx.Response(503)
    assert await metadata.document("Example", ISSUER) is first
    clock.advance(3600)
    with pytest.raises(ProviderUnavailableError):
        await metadata.document("Example", ISSUER)


async def test_only_public_signing_keys_are_kept(
    http: ProviderHttp, answers: dict[str, Any]
) -> None:
    private = KEY.as_dict(private=True)
    enc = {**KEY.as_dict(private=False), "kid": "enc", "use": "enc"}
    other = jwk.RSAKey.generate_key(2048, parameters={"kid": "k2"}).as_dict(private=False)
    keys = [private, enc, {"kty": "oct", "k": "c2VjcmV0", "kid": "hs"}, "junk", {"kty": "?"}]
    answers[f"{ISSUER}/jwks"] = httpx.Response(200, json={"keys": keys})
    found = ProviderKeys(http, FrozenClock(0))
    for kid in ("k1", "enc", "hs", None):
        assert await found.find("Example", f"{ISSUER}/jwks", kid=kid, alg="RS256") is None
    answers[f"{ISSUER}/jwks"] = httpx.Response(200, json={"keys": [KEY.as_dict(), other]})
    fresh = ProviderKeys(http, FrozenClock(0))
    assert await fresh.find("Example", f"{ISSUER}/jwks", kid=None, alg="RS256") is None
    assert await fresh.find("Example", f"{ISSUER}/jwks", kid="k1", alg="ES256") is None
    assert await fresh.find("Example", f"{ISSUER}/jwks", kid="k2", alg="RS256") is not None
    answers[f"{ISSUER}/jwks"] = httpx.Response(200, json={"keys": "none"})
    with pytest.raises(ProviderResponseError):
        await ProviderKeys(http, FrozenClock(0)).find("E", f"{ISSUER}/jwks", kid="k1", alg="RS256")


def _id_token(header: dict[str, Any] | None = None, **claims: Any) -> str:
    body = {"iss": ISSUER, "aud": "app", "sub": "u1", "iat": 100, "exp": 200, "nonce": "n"}
    body.update(claims)
    return jwt.encode(header or {"alg": "RS256", "kid": "k1"}, body, KEY, algorithms=["RS256"])


def _raw(header: dict[str, Any]) -> str:
    """A token with a header no JOSE library would write."""
    return f"{b64url_encode(json.dumps(header).encode())}.e30.c2ln"


SPEC = replace(
    NAMED_SPECS["oauth_google"], name="Example", issuer=ISSUER, jwks_uri=f"{ISSUER}/jwks"
)


@pytest.mark.parametrize(
    ("token", "spec", "tenant", "check"),
    [
        ("a.b", SPEC, None, "format"),
        ("!!.e30.sig", SPEC, None, "format"),
        ("W10.e30.sig", SPEC, None, "format"),  # header [] is not an object
        (_raw({"alg": "RS256", "kid": 7}), SPEC, None, "kid"),
        (_id_token(), replace(SPEC, id_token_algorithms=("RS384",)), None, "alg"),
        (
            "eyJhbGciOiJIUzI1NiJ9.e30.c2ln",
            replace(SPEC, id_token_algorithms=("HS256",)),
            None,
            "alg",
        ),
        (_id_token(), replace(SPEC, issuer=MICROSOFT_ISSUER), None, "tid"),
        (
            _id_token(tid="72f988bf-86f1-41af-91ab-2d7cd011db47"),
            replace(SPEC, issuer=MICROSOFT_ISSUER),
            "9188040d-6c67-4c5b-b112-36a304b66dad",
            "tid",
        ),
        (_id_token(aud=["other", "app"]), SPEC, None, "azp"),
        (_id_token(at_hash="AAAAAAAAAAAAAAAAAAAAAA"), SPEC, None, "at_hash"),
    ],
    ids=[
        "two-parts",
        "header-not-base64url",
        "header-not-an-object",
        "kid-not-a-string",
        "alg-not-the-providers",
        "hs256-even-if-listed",
        "microsoft-without-tenant",
        "microsoft-other-tenant",
        "other-audiences-without-azp",
        "at-hash-mismatch",
    ],
)
async def test_malformed_id_tokens_are_refused(
    http: ProviderHttp,
    answers: dict[str, Any],
    token: str,
    spec: Any,
    tenant: str | None,
    check: str,
) -> None:
    answers[f"{ISSUER}/jwks"] = httpx.Response(200, json={"keys": [KEY.as_dict()]})
    with pytest.raises(IdTokenInvalidError) as caught:
        await verify_id_token(
            ProviderKeys(http, FrozenClock(150)),
            spec,
            token,
            client_id="app",
            expected_nonce_digest=nonce_digest("n"),
            access_token="at",
            now=150,
            tenant=tenant,
        )
    assert caught.value.meta["id_token_check"] == check


@pytest.mark.parametrize(
    ("status", "body", "error", "expected"),
    [
        (200, None, ProviderResponseError, "something else than JSON"),
        (400, {}, ProviderRefusedError, "(unknown)"),
        (200, {"token_type": "Bearer"}, ProviderResponseError, "no access token"),
        (400, {"error": "invalid_client\n"}, ProviderRefusedError, "(invalid_client)"),
    ],
)
def test_odd_token_answers_are_refused(
    status: int, body: object, error: type[Exception], expected: str
) -> None:
    from threshold.services.oauth.http import ProviderAnswer

    with pytest.raises(error) as caught:
        _tokens("Example", ProviderAnswer(status, body), 0.0, refresh_token=None)
    assert expected in str(caught.value)


def test_token_lifetimes_as_strings_and_absent_ones() -> None:
    from threshold.services.oauth.http import ProviderAnswer

    answer = ProviderAnswer(200, {"access_token": "a", "expires_in": "60", "scope": "x,y"})
    tokens = _tokens("Example", answer, 10.0, refresh_token="r")
    assert (tokens.expires_at, tokens.scopes, tokens.refresh_token) == (70_000, ("x", "y"), "r")
    forever = _tokens(
        "Example", ProviderAnswer(200, {"access_token": "a"}), 10.0, refresh_token=None
    )
    assert forever.expires_at is None


@pytest.mark.parametrize(
    ("strategy", "url", "body"),
    [
        ("oauth_github", "https://api.github.com/user", {"login": "no-id"}),
        ("oauth_discord", "https://discord.com/api/users/@me", {"id": 42}),
    ],
)
async def test_a_user_api_without_an_id_is_refused(
    http: ProviderHttp, answers: dict[str, Any], strategy: str, url: str, body: object
) -> None:
    answers[url] = httpx.Response(200, json=body)
    answers["https://api.github.com/user/emails"] = httpx.Response(200, json={"not": "a list"})
    provider = ConfiguredProvider(spec=NAMED_SPECS[strategy], client_id="c")

    class _Context:
        pass

    context: Any = _Context()
    context.http = http
    with pytest.raises(ProviderResponseError):
        await read_profile(context, provider, ProviderTokens(access_token="t"), None)


@pytest.mark.parametrize(
    "posted", ["not json", json.dumps(["a"]), json.dumps({"name": "Ada"}), json.dumps({})]
)
def test_apples_name_field_is_read_carefully(posted: str) -> None:
    assert _apple_names(posted) == (None, None)
