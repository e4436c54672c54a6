"""Compact JWS (RS256) signing and verification, kept small and strict on purpose.

Verification runs on every request of every app that uses the SDK, so it does only
what RFC 8725 asks: one algorithm (RS256), keys only from the caller's key set (never
from ``jku``/``jwk``/``x5u`` headers), the compact form only, a size cap, and the
time claims checked with a bounded skew. Errors carry Clerk's reason strings.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from threshold.core.errors import TokenError

__all__ = [
    "MAX_TOKEN_BYTES",
    "b64url_decode",
    "b64url_encode",
    "check_time_claims",
    "encode_rs256",
    "split_token",
    "verify_rs256",
]

MAX_TOKEN_BYTES = 8192
_URLSAFE_TO_STD = bytes.maketrans(b"-_", b"+/")
_PKCS1 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()
_DUMPS = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def b64url_encode(data: bytes) -> str:
    """Base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict base64url decoding, padding optional.

    Refuses ``+`` and ``/`` (the other alphabet), misplaced padding, whitespace and any
    other character. Calls ``binascii`` directly: ``base64.urlsafe_b64decode`` wraps
    the same call in several Python-level steps, and this runs twice for every token
    verified.
    """
    if "+" in text or "/" in text:
        raise TokenError("The token is malformed.", code="token-invalid")
    try:
        data = text.encode("ascii").translate(_URLSAFE_TO_STD)
        return binascii.a2b_base64(data + b"=" * (-len(data) % 4), strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        raise TokenError("The token is malformed.", code="token-invalid") from exc


def encode_rs256(
    claims: Mapping[str, Any],
    private_key: rsa.RSAPrivateKey,
    kid: str,
    *,
    headers: Mapping[str, Any] | None = None,
) -> str:
    """Sign ``claims`` as a compact RS256 JWS with ``typ: JWT`` and the given ``kid``."""
    header: dict[str, Any] = {"alg": "RS256", "kid": kid, "typ": "JWT"}
    if headers:
        header.update(headers)
    signing_input = (
        b64url_encode(_DUMPS(header).encode()) + "." + b64url_encode(_DUMPS(claims).encode())
    )
    signature = private_key.sign(signing_input.encode("ascii"), _PKCS1, _SHA256)
    return signing_input + "." + b64url_encode(signature)


_HEADERS: dict[str, dict[str, Any]] = {}
_HEADERS_MAX = 64


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# JSON's own C scanner, called directly: ``json.loads`` adds two whitespace regex
# matches and a few Python frames, a large share of the cost of decoding claims. No
# whitespace around the object (no encoder of compact JWS adds any), and NaN and
# Infinity are refused, so a time claim is always a finite number.
_scan_json: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder(
    parse_constant=_no_constants
).scan_once  # type: ignore[attr-defined]  # set in __init__, missing from the stubs


def _json_object(part: str) -> dict[str, Any]:
    try:
        text = b64url_decode(part).decode("utf-8")
        value, end = _scan_json(text, 0)
    except (StopIteration, ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise TokenError("The token is malformed.", code="token-invalid") from exc
    if not isinstance(value, dict) or end != len(text):
        raise TokenError("The token is malformed.", code="token-invalid")
    return value


def split_token(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """Parse a compact JWS into (header, claims, signing input, signature), unverified.

    Refuses anything but three non-empty, unpadded base64url parts of JSON objects,
    8 KB at most (each part's alphabet is checked by the strict decoding). Tokens of
    one issuer share a handful of headers, so parsed headers are kept (at most 64;
    only well-formed ones, and a copy is returned).
    """
    parts = token.split(".") if len(token) <= MAX_TOKEN_BYTES and "=" not in token else ()
    if len(parts) != 3 or not all(parts):
        raise TokenError("The token is malformed.", code="token-invalid")
    head_b64, body_b64, sig_b64 = parts
    header = _HEADERS.get(head_b64)
    if header is None:
        header = _json_object(head_b64)
        if len(_HEADERS) < _HEADERS_MAX:
            _HEADERS[head_b64] = header
    claims = _json_object(body_b64)
    signing_input = token[: len(head_b64) + 1 + len(body_b64)].encode("ascii")
    return dict(header), claims, signing_input, b64url_decode(sig_b64)


def verify_rs256(
    token: str, keys: Mapping[str, rsa.RSAPublicKey]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check the token's signature against the key named by its ``kid``.

    Returns (header, claims). Time claims are not checked here: see
    :func:`check_time_claims`. Raises :class:`TokenError` with Clerk's reason codes.
    """
    header, claims, signing_input, signature = split_token(token)
    if header.get("alg") != "RS256":
        raise TokenError("The token's algorithm is not allowed.", code="token-invalid-algorithm")
    kid = header.get("kid")
    key = keys.get(kid) if isinstance(kid, str) else None
    if key is None:
        raise TokenError("No key matches the token's kid.", code="jwk-kid-mismatch")
    if len(signature) != (key.key_size + 7) // 8:
        raise TokenError("The token's signature is invalid.", code="token-invalid-signature")
    try:
        key.verify(signature, signing_input, _PKCS1, _SHA256)
    except InvalidSignature as exc:
        raise TokenError(
            "The token's signature is invalid.", code="token-invalid-signature"
        ) from exc
    return header, claims


def check_time_claims(claims: Mapping[str, Any], now: float, skew: float = 5.0) -> None:
    """Require ``exp`` and check ``exp``/``nbf``/``iat`` against ``now`` with ``skew`` seconds.

    Time claims must be numbers (``type`` is compared, so ``True`` is not a number).
    """
    exp = claims.get("exp")
    if type(exp) is not int and type(exp) is not float:
        raise TokenError("The token has no valid exp claim.", code="token-invalid")
    if exp <= now - skew:
        raise TokenError("The token has expired.", code="token-expired")
    nbf = claims.get("nbf")
    if nbf is not None:
        if type(nbf) is not int and type(nbf) is not float:
            raise TokenError("The token's nbf claim is invalid.", code="token-invalid")
        if nbf > now + skew:
            raise TokenError("The token is not active yet.", code="token-not-active-yet")
    iat = claims.get("iat")
    if iat is not None:
        if type(iat) is not int and type(iat) is not float:
            raise TokenError("The token's iat claim is invalid.", code="token-invalid")
        if iat > now + skew:
            raise TokenError("The token was issued in the future.", code="token-iat-in-the-future")
