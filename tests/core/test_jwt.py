"""core.jwt: signing, strict parsing, signature and time checks."""

from __future__ import annotations

import base64
import contextlib
import json
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from threshold.core.errors import TokenError
from threshold.core.jwt import (
    b64url_encode,
    check_time_claims,
    encode_rs256,
    split_token,
    verify_rs256,
)
from threshold.core.keys import generate_signing_key

KEY = generate_signing_key()
OTHER = generate_signing_key()
KEYS = {KEY.kid: KEY.public_key}


def _part(obj: object) -> str:
    return b64url_encode(json.dumps(obj).encode())


def _token(header: dict[str, object], claims: dict[str, object]) -> str:
    signing_input = _part(header) + "." + _part(claims)
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    sig = KEY.private_key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + b64url_encode(sig)


def test_round_trip() -> None:
    token = encode_rs256({"sub": "user_1", "exp": 10}, KEY.private_key, KEY.kid)
    header, claims = verify_rs256(token, KEYS)
    assert header == {"alg": "RS256", "kid": KEY.kid, "typ": "JWT"}
    assert claims == {"sub": "user_1", "exp": 10}


def test_other_key_and_unknown_kid() -> None:
    forged = encode_rs256({"sub": "x"}, OTHER.private_key, KEY.kid)
    with pytest.raises(TokenError) as info:
        verify_rs256(forged, KEYS)
    assert info.value.code == "token-invalid-signature"
    unknown = encode_rs256({"sub": "x"}, OTHER.private_key, OTHER.kid)
    with pytest.raises(TokenError) as info:
        verify_rs256(unknown, KEYS)
    assert info.value.code == "jwk-kid-mismatch"


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "HS256", "RS512", "ES256", "rs256"])
def test_only_rs256(alg: str) -> None:
    token = _token({"alg": alg, "kid": KEY.kid, "typ": "JWT"}, {"sub": "x"})
    with pytest.raises(TokenError) as info:
        verify_rs256(token, KEYS)
    assert info.value.code == "token-invalid-algorithm"


def test_hs256_keyed_with_public_pem_is_refused() -> None:
    import hashlib
    import hmac

    signing_input = _part({"alg": "HS256", "kid": KEY.kid, "typ": "JWT"}) + "." + _part({"s": 1})
    sig = hmac.new(KEY.public_pem().encode(), signing_input.encode(), hashlib.sha256).digest()
    with pytest.raises(TokenError):
        verify_rs256(signing_input + "." + b64url_encode(sig), KEYS)


def test_embedded_jwk_header_is_ignored() -> None:
    attacker = ec.generate_private_key(ec.SECP256R1())
    del attacker
    token = encode_rs256(
        {"sub": "x"},
        OTHER.private_key,
        KEY.kid,
        headers={"jwk": {"kty": "RSA"}, "jku": "https://evil.test/jwks"},
    )
    with pytest.raises(TokenError):
        verify_rs256(token, KEYS)


def test_tampered_payload_and_header() -> None:
    token = encode_rs256({"sub": "user_1"}, KEY.private_key, KEY.kid)
    head, body, sig = token.split(".")
    evil_body = _part({"sub": "user_2"})
    with pytest.raises(TokenError) as info:
        verify_rs256(f"{head}.{evil_body}.{sig}", KEYS)
    assert info.value.code == "token-invalid-signature"
    evil_head = _part({"alg": "RS256", "kid": KEY.kid, "typ": "JWT", "x": 1})
    with pytest.raises(TokenError):
        verify_rs256(f"{evil_head}.{body}.{sig}", KEYS)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "a.b",
        "a.b.c.d",
        "a..c",
        "eyJ.eyJ.@@@",
        "a b.c.d",
        "x" * 9000,
        _part([1]) + "." + _part({}) + ".AA",
        _part({}) + "." + _part("str") + ".AA",
        '{"payload":"x","signatures":[]}',
        base64.b64encode(b'{"alg":"RS256"}').decode() + ".e.e",
        # nested past the recursion limit: refused, not a RecursionError
        _part({}) + "." + b64url_encode(b"[" * 5000) + ".AA",
        # NaN or Infinity would make every time check false
        _part({}) + "." + b64url_encode(b'{"exp":NaN}') + ".AA",
        _part({}) + "." + b64url_encode(b'{"exp":Infinity}') + ".AA",
        # anything around the object, and bytes that are not UTF-8
        _part({}) + "." + b64url_encode(b' {"exp":1}') + ".AA",
        _part({}) + "." + b64url_encode(b'{"exp":1}{}') + ".AA",
        _part({}) + "." + b64url_encode(b"\xff\xfe") + ".AA",
        # one character past a multiple of four is never base64
        _part({}) + ".AAAAA.AA",
        # the other base64 alphabet, padding, whitespace, non-ASCII, empty parts
        _part({}) + "." + _part({"exp": 1}) + ".A+/A",
        _part({}) + "=." + _part({"exp": 1}) + ".AA",
        _part({}) + "." + _part({"exp": 1}) + ".AA\n",
        _part({}) + "." + _part({"exp": 1}) + ".A A",
        _part({}) + "." + _part({"exp": 1}) + ".AÀ",
        _part({}) + "." + _part({"exp": 1}) + ".",
        "." + _part({"exp": 1}) + ".AA",
    ],
)
def test_malformed_tokens(token: str) -> None:
    with pytest.raises(TokenError) as info:
        split_token(token)
    assert info.value.code == "token-invalid"


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=400)
    | st.from_regex(
        r"[A-Za-z0-9_-]{0,40}\.[A-Za-z0-9_-]{0,40}\."
        r"[A-Za-z0-9_-]{0,60}",
        fullmatch=True,
    )
)
def test_random_input_only_raises_token_error(token: str) -> None:
    with contextlib.suppress(TokenError):
        verify_rs256(token, KEYS)


def test_time_claims() -> None:
    now = time.time()
    check_time_claims({"exp": now + 60, "nbf": now - 10, "iat": now}, now)
    check_time_claims({"exp": now - 4}, now)  # inside the 5 s skew
    cases = [
        ({"exp": now - 6}, "token-expired"),
        ({}, "token-invalid"),
        ({"exp": "soon"}, "token-invalid"),
        ({"exp": True}, "token-invalid"),
        ({"exp": now + 60, "nbf": now + 10}, "token-not-active-yet"),
        ({"exp": now + 60, "iat": now + 10}, "token-iat-in-the-future"),
        ({"exp": now + 60, "nbf": "x"}, "token-invalid"),
        ({"exp": now + 60, "iat": "x"}, "token-invalid"),
    ]
    for claims, code in cases:
        with pytest.raises(TokenError) as info:
            check_time_claims(claims, now)
        assert info.value.code == code, claims
