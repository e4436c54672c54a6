"""Authenticated encryption for secrets the server must read back.

Most secrets are kept as digests (passwords, client tokens, API keys, codes): the server
only ever compares them. A few it must use again as they were: a provider's access and
refresh tokens, which it presents to the provider, and later TOTP secrets. Those are
sealed here:

1. The key is derived with HKDF-SHA256 from key material given by a setting (at least
   32 bytes), never used as it is, so one setting can key several uses by ``purpose``.
2. Each value is sealed with AES-256-GCM under a fresh random 96-bit nonce; GCM's tag
   makes any change to the nonce, the ciphertext or the associated data fail to open.
3. The associated data (``context``) names where the value belongs (a table, a column, a
   row id), so a sealed value copied into another row or column does not open there.
4. A sealed value reads ``v1.<key id>.<base64url(nonce, ciphertext, tag)>``. The key id
   (8 characters of a hash of the key) picks the key to open with: a :class:`SecretBox`
   seals with its first key and opens with any of them, so a new key can take over while
   values sealed under a retired one are still read (and re-sealed when next written).

Random nonces limit one key to about 2**32 seals (NIST SP 800-38D, 8.3): far beyond what a
user directory writes, and a rotation starts the count again.
"""

from __future__ import annotations

import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from threshold.core.errors import ConfigurationError, ThresholdError
from threshold.core.jwt import b64url_decode, b64url_encode

__all__ = ["MIN_KEY_MATERIAL_BYTES", "SealedValueError", "SecretBox"]

MIN_KEY_MATERIAL_BYTES = 32
"""The least key material accepted: 256 bits, the size of the AES key derived from it."""

_VERSION = "v1"
_NONCE_BYTES = 12
_TAG_BYTES = 16


class SealedValueError(ThresholdError):
    """A sealed value did not open: altered, sealed for another place, or under a key
    this server no longer has."""

    code = "sealed_value_invalid"
    default_message = "A stored secret could not be read."


class _Key:
    __slots__ = ("aead", "key_id")

    def __init__(self, material: bytes, purpose: str) -> None:
        if len(material) < MIN_KEY_MATERIAL_BYTES:
            raise ConfigurationError(
                f"Encryption key material must be at least {MIN_KEY_MATERIAL_BYTES} bytes."
            )
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=f"threshold:{purpose}".encode()
        ).derive(material)
        self.aead = AESGCM(key)
        self.key_id = b64url_encode(hashlib.sha256(b"key-id\x00" + key).digest())[:8]


class SecretBox:
    """Seals and opens secrets under one current key and any number of retired ones."""

    __slots__ = ("_current", "_keys")

    def __init__(
        self, material: bytes | str, *, retired: tuple[bytes | str, ...] = (), purpose: str
    ) -> None:
        """``material`` keys new seals; ``retired`` material still opens old ones. The
        ``purpose`` (such as ``"oauth-tokens"``) is mixed into every derived key."""
        keys = [_Key(_bytes(m), purpose) for m in (material, *retired)]
        self._current = keys[0]
        self._keys = {k.key_id: k for k in reversed(keys)}

    @property
    def key_id(self) -> str:
        """The id of the key that seals (it appears in every value sealed now)."""
        return self._current.key_id

    def seal(self, plaintext: str, *, context: str) -> str:
        """Encrypt ``plaintext`` for the place named by ``context``."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._current.aead.encrypt(nonce, plaintext.encode(), _aad(context))
        return f"{_VERSION}.{self._current.key_id}.{b64url_encode(nonce + sealed)}"

    def open(self, value: str, *, context: str) -> str:
        """Decrypt a value sealed for ``context``; :class:`SealedValueError` otherwise."""
        version, _, rest = value.partition(".")
        key_id, _, body = rest.partition(".")
        key = self._keys.get(key_id)
        if version != _VERSION or key is None:
            raise SealedValueError()
        try:
            raw = b64url_decode(body)
        except ThresholdError as exc:
            raise SealedValueError() from exc
        if len(raw) < _NONCE_BYTES + _TAG_BYTES:
            raise SealedValueError()
        try:
            plain = key.aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _aad(context))
        except InvalidTag as exc:
            raise SealedValueError() from exc
        return plain.decode()

    def needs_resealing(self, value: str) -> bool:
        """True when ``value`` was sealed under a retired key."""
        return value.split(".", 2)[1:2] != [self._current.key_id]


def _aad(context: str) -> bytes:
    return f"{_VERSION}\x00{context}".encode()


def _bytes(material: bytes | str) -> bytes:
    return material.encode() if isinstance(material, str) else material
