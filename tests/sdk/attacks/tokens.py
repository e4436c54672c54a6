"""The token attacks: forged, stale, foreign and malformed tokens, each with the reason
the SDK must give when it refuses it.

The tokens are built for real (RSA signatures, HMAC keyed with the public PEM, a second
fake instance with its own key and issuer). ``Forge`` builds them against the instance
under test; ``ATTACKS`` is the table the test modules run through.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from tests.sdk.fake_api import FakeApi
from threshold.core.jwt import MAX_TOKEN_BYTES, b64url_encode, encode_rs256
from threshold.core.keys import SigningKey, generate_signing_key, public_jwk
from threshold.core.tokens import CAT_SESSION, CAT_TEMPLATE, session_claims

__all__ = [
    "APP",
    "ATTACKS",
    "ATTACK_IDS",
    "KID_PAYLOADS",
    "STRANGER",
    "TWO_DAYS",
    "Attack",
    "Forge",
]

APP = "http://app.test"
"""The app's origin, the only authorized party (``azp``) in every config here."""
TWO_DAYS = 2 * 86_400
"""Older than the 12-hour renew window: an expired token this old is never renewed."""
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
