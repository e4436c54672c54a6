"""verify_token / Verifier: every rejection, the caches, and the JWKS refresh policy."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import threading
import time

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.sdk.fake_api import FakeApi
from threshold import SdkConfig, TokenVerificationError, averify_token, verify_token
from threshold.core.clock import FrozenClock
from threshold.core.errors import TokenError
from threshold.core.jwt import b64url_encode, encode_rs256
from threshold.core.keys import generate_signing_key
from threshold.core.tokens import CAT_TEMPLATE
from threshold.sdk.verify import Verifier


def _b64json(value: object) -> str:
    return b64url_encode(json.dumps(value).encode())


def _claims(api: FakeApi, **extra: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": "user_1",
        "sid": "sess_1",
        "iat": now,
        "nbf": now - 10,
        "exp": now + 60,
        "v": 2,
    }
    claims.update(extra)
    return claims


def reason(token: str, config: SdkConfig) -> str:
    with pytest.raises(TokenVerificationError) as caught:
        Verifier(config).verify(token)
    assert isinstance(caught.value, TokenError)
    return caught.value.reason


def test_valid_token_returns_claims(fake_api: FakeApi, config: SdkConfig) -> None:
    token = fake_api.mint()
    claims = verify_token(token, config)
    assert claims["sub"] == "user_1"
    assert claims["sid"] == "sess_1"
    claims["sub"] = "tampered"  # the caller's copy, not the cache
    assert verify_token(token, config)["sub"] == "user_1"


def test_keyword_form_uses_a_pem(fake_api: FakeApi) -> None:
    claims = verify_token(fake_api.mint(), jwt_key=fake_api.key.public_pem())
    assert claims["sub"] == "user_1"


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "HS256", "ES256", "RS512", "PS256"])
def test_other_algorithms_are_refused(fake_api: FakeApi, config: SdkConfig, alg: str) -> None:
    header = _b64json({"alg": alg, "kid": fake_api.key.kid, "typ": "JWT"})
    body = _b64json(_claims(fake_api))
    signing_input = f"{header}.{body}".encode()
    if alg == "HS256":  # the classic confusion: the public PEM used as an HMAC secret
        pem = fake_api.key.public_pem().encode()
        signature = b64url_encode(hmac.new(pem, signing_input, hashlib.sha256).digest())
    elif alg == "ES256":
        ec_key = ec.generate_private_key(ec.SECP256R1())
        signature = b64url_encode(ec_key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
    elif alg.lower() == "none":
        signature = ""
    else:
        signature = b64url_encode(b"x" * 256)
    token = f"{header}.{body}.{signature}"
    assert reason(token, config) in {"token-invalid-algorithm", "token-invalid"}


def test_tampered_header_and_payload(fake_api: FakeApi, config: SdkConfig) -> None:
    head, body, sig = fake_api.mint().split(".")
    forged_body = _b64json({**json.loads(base64.urlsafe_b64decode(body + "==")), "sub": "admin"})
    assert reason(f"{head}.{forged_body}.{sig}", config) == "token-invalid-signature"
    forged_head = _b64json({"alg": "RS256", "kid": fake_api.key.kid, "typ": "JWT", "x": 1})
    assert reason(f"{forged_head}.{body}.{sig}", config) == "token-invalid-signature"
    assert reason(f"{head}.{body}.{sig[:-4]}AAAA", config) == "token-invalid-signature"


def test_signed_by_another_key(fake_api: FakeApi, config: SdkConfig) -> None:
    stranger = generate_signing_key()
    token = fake_api.mint(key=stranger)
    assert reason(token, config) == "token-invalid-signature"  # PEM mode ignores kid


def test_time_claims(fake_api: FakeApi, config: SdkConfig) -> None:
    expired = fake_api.mint(age=120)
    with pytest.raises(TokenVerificationError) as caught:
        verify_token(expired, config)
    assert caught.value.reason == "token-expired"
    assert caught.value.claims is not None
    assert caught.value.claims["sid"] == "sess_1"
    now = int(time.time())
    assert reason(fake_api.mint(nbf=now + 60), config) == "token-not-active-yet"
    assert reason(fake_api.mint(iat=now + 60, nbf=now), config) == "token-iat-in-the-future"
    assert verify_token(fake_api.mint(age=63), config)  # within the 5 s skew


def test_authorized_parties(fake_api: FakeApi, config: SdkConfig) -> None:
    strict = SdkConfig(jwt_key=config.jwt_key, authorized_parties=("http://app.example",))
    assert verify_token(fake_api.mint(azp="http://app.example"), strict)
    assert reason(fake_api.mint(azp="http://evil.example"), strict) == (
        "token-invalid-authorized-parties"
    )
    assert reason(fake_api.mint(), strict) == "token-invalid-authorized-parties"
    with pytest.raises(TokenVerificationError) as caught:
        verify_token(fake_api.mint(azp="http://evil.example", age=300), strict)
    assert caught.value.claims is None  # a wrong azp is never renewable
    for odd in (["http://app.example"], {"a": 1}, 1):
        assert reason(fake_api.mint(azp=odd), strict) == "token-invalid-authorized-parties"


def test_non_session_tokens_are_refused(fake_api: FakeApi, config: SdkConfig) -> None:
    key = fake_api.key
    template = encode_rs256(
        _claims(fake_api), key.private_key, key.kid, headers={"cat": CAT_TEMPLATE}
    )
    assert reason(template, config) == "token-invalid"
    no_sid = _claims(fake_api)
    del no_sid["sid"]
    assert reason(encode_rs256(no_sid, key.private_key, key.kid), config) == "token-invalid"
    odd_typ = encode_rs256(_claims(fake_api), key.private_key, key.kid, headers={"typ": "at+jwt"})
    assert reason(odd_typ, config) == "token-invalid"


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "a.b.",
        "x" * (1 << 20),
        "eyJhbGciOiJSUzI1NiJ9.e30.a+b/c=",
        "eyJhbGciOiJSUzI1NiJ9.e30.a b",
        "éé.éé.éé",
        "W10.W10.AAAA",
    ],
)
def test_malformed_tokens(config: SdkConfig, token: str) -> None:
    assert reason(token, config) == "token-invalid"


def test_non_string_token(config: SdkConfig) -> None:
    with pytest.raises(TokenVerificationError):
        verify_token(b"abc", config)  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300) | st.from_regex(r"[A-Za-z0-9_\-]{0,40}(\.[A-Za-z0-9_\-]{0,40}){0,4}"))
def test_random_input_only_raises_token_verification_error(text: str) -> None:
    verifier = _random_verifier()
    with contextlib.suppress(TokenVerificationError):
        verifier.verify(text)


_RANDOM_KEY = generate_signing_key()


def _random_verifier() -> Verifier:
    return Verifier(SdkConfig(jwt_key=_RANDOM_KEY.public_pem()))


def test_verified_tokens_are_cached_until_exp(fake_api: FakeApi, config: SdkConfig) -> None:
    clock = FrozenClock()
    verifier = Verifier(config, clock=clock)
    token = fake_api.mint()
    first = verifier.verify(token)
    assert verifier.cached(token) is first
    assert verifier.verify(token) is first
    clock.advance(60 + 5 + 1)
    assert verifier.cached(token) is None
    with pytest.raises(TokenVerificationError, match="expired"):
        verifier.verify(token)


def test_cache_is_bounded(fake_api: FakeApi, config: SdkConfig) -> None:
    verifier = Verifier(config, cache_size=3)
    tokens = [fake_api.mint(jti=str(i)) for i in range(5)]
    for token in tokens[:3]:
        verifier.verify(token)
    verifier.verify(tokens[0])  # used again: now the most recent
    for token in tokens[3:]:
        verifier.verify(token)
    assert verifier.cached(tokens[0]) is not None
    assert verifier.cached(tokens[1]) is None and verifier.cached(tokens[2]) is None
    assert verifier.cached(tokens[-1]) is not None


# -- JWKS -------------------------------------------------------------------------------


def test_jwks_with_secret_key_uses_the_backend_api(
    fake_api: FakeApi, jwks_config: SdkConfig
) -> None:
    verifier = Verifier(jwks_config)
    assert verifier.verify(fake_api.mint())["sub"] == "user_1"
    assert fake_api.count("GET", "/v1/jwks") == 1
    verifier.verify(fake_api.mint(jti="other"))
    assert fake_api.count("GET", "/v1/jwks") == 1


def test_jwks_without_secret_key_uses_well_known(fake_api: FakeApi) -> None:
    verifier = Verifier(SdkConfig(api_url=fake_api.url))
    assert verifier.verify(fake_api.mint())["sid"] == "sess_1"
    assert fake_api.calls == [("GET", "/.well-known/jwks.json")]


def test_key_rotation_is_picked_up(fake_api: FakeApi, jwks_config: SdkConfig) -> None:
    clock = FrozenClock()
    verifier = Verifier(jwks_config, clock=clock)
    verifier.verify(fake_api.mint())
    new_key = generate_signing_key()
    fake_api.extra_keys.append(new_key)
    rotated = fake_api.mint(key=new_key)
    assert reason_of(verifier, rotated) == "jwk-kid-mismatch"  # fetched < 60 s ago
    clock.advance(61)
    assert verifier.verify(rotated)["sub"] == "user_1"
    assert fake_api.count("GET", "/v1/jwks") == 2


def reason_of(verifier: Verifier, token: str) -> str:
    with pytest.raises(TokenVerificationError) as caught:
        verifier.verify(token)
    return caught.value.reason


def test_unknown_kid_flood_fetches_once_per_interval(
    fake_api: FakeApi, jwks_config: SdkConfig
) -> None:
    clock = FrozenClock()
    verifier = Verifier(jwks_config, clock=clock)
    stranger = generate_signing_key()
    for i in range(50):
        token = fake_api.mint(
            key=type(stranger)(kid=f"ins_fake{i}", private_key=stranger.private_key)
        )
        assert reason_of(verifier, token) == "jwk-kid-mismatch"
    assert fake_api.count("GET", "/v1/jwks") == 1
    clock.advance(61)
    reason_of(verifier, fake_api.mint(key=stranger))
    assert fake_api.count("GET", "/v1/jwks") == 2


def test_concurrent_misses_share_one_fetch_threads(
    fake_api: FakeApi, jwks_config: SdkConfig
) -> None:
    verifier = Verifier(jwks_config)
    token = fake_api.mint()
    results: list[str] = []

    def work() -> None:
        results.append(str(verifier.verify(token)["sub"]))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["user_1"] * 8
    assert fake_api.count("GET", "/v1/jwks") == 1


@pytest.mark.anyio
async def test_concurrent_misses_share_one_fetch_tasks(
    fake_api: FakeApi, jwks_config: SdkConfig
) -> None:
    verifier = Verifier(jwks_config)
    tokens = [fake_api.mint(jti=str(i)) for i in range(8)]
    claims = await asyncio.gather(*(verifier.averify(t) for t in tokens))
    assert {c["sub"] for c in claims} == {"user_1"}
    assert fake_api.count("GET", "/v1/jwks") == 1


@pytest.mark.anyio
async def test_averify_token(fake_api: FakeApi, jwks_config: SdkConfig) -> None:
    claims = await averify_token(fake_api.mint(), jwks_config)
    assert claims["sub"] == "user_1"


def test_jwks_failure_is_reported_and_retried_soon(
    fake_api: FakeApi, jwks_config: SdkConfig
) -> None:
    clock = FrozenClock()
    verifier = Verifier(jwks_config, clock=clock)
    fake_api.jwks_status = 500
    token = fake_api.mint()
    assert reason_of(verifier, token) == "jwk-failed-to-load"
    assert reason_of(verifier, token) == "jwk-failed-to-load"
    assert fake_api.count("GET", "/v1/jwks") == 1
    fake_api.jwks_status = 200
    clock.advance(6)  # failures retry after 5 s, not 60
    assert verifier.verify(token)["sub"] == "user_1"


def test_unreachable_server(fake_api: FakeApi) -> None:
    config = SdkConfig(secret_key="sk_test_x", api_url="http://127.0.0.1:9")
    assert reason_of(Verifier(config), fake_api.mint()) == "jwk-failed-to-load"


def test_bad_jwt_key_is_a_configuration_error() -> None:
    from threshold.core.errors import ConfigurationError

    with pytest.raises(ConfigurationError):
        SdkConfig(jwt_key="not a pem")


# -- speed ------------------------------------------------------------------------------


def test_cache_hit_skips_the_signature_check(
    fake_api: FakeApi, config: SdkConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A repeat is a lookup: it never reaches the RSA check (timings: docs/benchmarks.md)."""
    verifier = Verifier(config)
    token = fake_api.mint()
    first = verifier.verify(token)

    def no_rsa(*args: object) -> None:
        raise AssertionError("a cached token was verified again")

    monkeypatch.setattr("threshold.sdk.verify.verify_rs256", no_rsa)
    assert verifier.verify_local(token) is first
    with pytest.raises(AssertionError):
        verifier.verify_local(fake_api.mint(jti="another"))


def test_parse_jwks_skips_what_it_cannot_use() -> None:
    from threshold.core.keys import public_jwk
    from threshold.sdk.jwks import StaticKey, parse_jwks

    key = generate_signing_key()
    good = public_jwk(key.kid, key.public_key)
    document = {
        "keys": [
            good,
            {**good, "kid": "enc", "use": "enc"},
            {**good, "kid": "es", "alg": "ES256"},
            {"kid": "broken", "kty": "RSA", "n": 1, "e": "AQAB"},
            {"kty": "RSA"},
            "junk",
        ]
    }
    assert list(parse_jwks(document)) == [key.kid]
    with pytest.raises(ValueError, match="JWKS"):
        parse_jwks({"nokeys": []})
    public = key.public_key
    static = StaticKey(public)
    assert static["any"] is public and len(static) == 1 and list(static) == []


def test_verify_token_sees_a_changed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from threshold.core.jwt import encode_rs256
    from threshold.core.keys import generate_signing_key
    from threshold.core.tokens import CAT_SESSION, session_claims

    first, second = generate_signing_key(), generate_signing_key()
    claims = session_claims(
        user_id="user_env",
        session_id="sess_env",
        issuer="i",
        now=int(time.time()),
        lifetime=60,
        azp=None,
        first_factor_age_minutes=0,
    )
    token = encode_rs256(claims, second.private_key, second.kid, headers={"cat": CAT_SESSION})
    for name in (
        "THRESHOLD_API_URL",
        "CLERK_API_URL",
        "THRESHOLD_SECRET_KEY",
        "CLERK_SECRET_KEY",
        "THRESHOLD_AUTHORIZED_PARTIES",
        "CLERK_AUTHORIZED_PARTIES",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("THRESHOLD_JWT_KEY", first.public_pem())
    with pytest.raises(TokenVerificationError):
        verify_token(token)
    monkeypatch.setenv("THRESHOLD_JWT_KEY", second.public_pem())
    assert verify_token(token)["sub"] == "user_env"
