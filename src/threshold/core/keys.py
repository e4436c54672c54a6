"""RSA signing keys and their JWK form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from threshold.core.errors import ConfigurationError
from threshold.core.ids import new_id
from threshold.core.jwt import b64url_decode, b64url_encode

__all__ = [
    "SigningKey",
    "generate_signing_key",
    "jwk_to_public_key",
    "load_public_key_pem",
    "public_jwk",
]


@dataclass(frozen=True, slots=True)
class SigningKey:
    """An RSA private key with its key id (``kid``)."""

    kid: str
    private_key: rsa.RSAPrivateKey

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self.private_key.public_key()

    def private_pem(self) -> str:
        """PKCS#8 PEM, unencrypted (stored in the server's database only)."""
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")

    def public_pem(self) -> str:
        """SubjectPublicKeyInfo PEM, as ``THRESHOLD_JWT_KEY`` / ``CLERK_JWT_KEY`` expect."""
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")

    @classmethod
    def from_pem(cls, kid: str, pem: str) -> SigningKey:
        key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ConfigurationError("Signing keys must be RSA keys.")
        return cls(kid=kid, private_key=key)


def generate_signing_key(bits: int = 2048) -> SigningKey:
    """A fresh RSA key (2048 bits by default, as Clerk uses; 3072 and 4096 also work)."""
    if bits not in (2048, 3072, 4096):
        raise ConfigurationError("RSA key size must be 2048, 3072 or 4096 bits.")
    return SigningKey(
        kid=new_id("ins"),
        private_key=rsa.generate_private_key(public_exponent=65537, key_size=bits),
    )


def _int_b64(value: int) -> str:
    return b64url_encode(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def public_jwk(kid: str, key: rsa.RSAPublicKey) -> dict[str, Any]:
    """The public half as a JWK (no private members, ever)."""
    numbers = key.public_numbers()
    return {
        "use": "sig",
        "kty": "RSA",
        "kid": kid,
        "alg": "RS256",
        "n": _int_b64(numbers.n),
        "e": _int_b64(numbers.e),
    }


def jwk_to_public_key(jwk: dict[str, Any]) -> rsa.RSAPublicKey:
    """Build an RSA public key from a JWK; raises ValueError on anything else."""
    if (
        jwk.get("kty") != "RSA"
        or not isinstance(jwk.get("n"), str)
        or not isinstance(jwk.get("e"), str)
    ):
        raise ValueError("not an RSA JWK")
    n = int.from_bytes(b64url_decode(jwk["n"]), "big")
    e = int.from_bytes(b64url_decode(jwk["e"]), "big")
    return rsa.RSAPublicNumbers(e, n).public_key()


def load_public_key_pem(pem: str) -> rsa.RSAPublicKey:
    """Load an RSA public key from PEM (``-----BEGIN PUBLIC KEY-----``)."""
    text = pem.strip().replace("\\n", "\n")
    key = serialization.load_pem_public_key(text.encode("ascii"))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ConfigurationError("The JWT key must be an RSA public key.")
    return key
