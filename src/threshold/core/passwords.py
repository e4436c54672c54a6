"""Password policy and hashing (NIST 800-63B 5.1.1.2, OWASP password storage).

- Length is counted in code points after NFKC, with runs of spaces counted once;
  at least 8 (configurable upward), at most 256, checked before any hashing.
- No composition rules. Common and breached-looking passwords are refused using the
  maintained zxcvbn password corpus (30,000 most common passwords) and its guess
  estimate, with the user's own email and names as context words.
- Storage is argon2id; bcrypt and argon2 digests imported through the Backend API
  verify too and are replaced by argon2id at the next successful sign-in.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import argon2
import bcrypt
from argon2.exceptions import InvalidHashError, VerificationError

from threshold.core.errors import PasswordRejectedError, ValidationError

__all__ = [
    "SUPPORTED_IMPORT_HASHERS",
    "PasswordHasher",
    "PasswordPolicy",
    "check_password",
    "normalize_password",
]

SUPPORTED_IMPORT_HASHERS = ("argon2i", "argon2id", "bcrypt")
_SPACES = re.compile(r" {2,}")


def normalize_password(password: str) -> str:
    """NFKC, so a password typed on another keyboard or OS verifies the same."""
    return unicodedata.normalize("NFKC", password)


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    """What a chosen password must satisfy."""

    min_length: int = 8
    max_length: int = 256
    reject_weak: bool = True


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def check_password(
    password: str, policy: PasswordPolicy, context: Iterable[str] = (), *, param: str = "password"
) -> str:
    """Validate a newly chosen password and return its normalized form.

    Raises :class:`PasswordRejectedError` (or :class:`ValidationError` for length) with a
    message that says why.
    """
    if len(password) > policy.max_length * 4:
        raise ValidationError(
            f"Passwords can be at most {policy.max_length} characters long.",
            param=param,
            code="form_password_length_too_long",
        )
    normalized = normalize_password(password)
    length = len(_SPACES.sub(" ", normalized))
    if length < policy.min_length:
        raise ValidationError(
            f"Passwords must be {policy.min_length} characters or more.",
            param=param,
            code="form_password_length_too_short",
        )
    if length > policy.max_length:
        raise ValidationError(
            f"Passwords can be at most {policy.max_length} characters long.",
            param=param,
            code="form_password_length_too_long",
        )
    if policy.reject_weak:
        _check_strength(normalized, [c for c in context if c], param)
    return normalized


def _check_strength(password: str, context: list[str], param: str) -> None:
    lowered = password.lower()
    if lowered in _common_passwords():
        raise PasswordRejectedError(
            "This password is one of the most common passwords. Please choose another.",
            param=param,
        )
    words = {w.lower() for c in context for w in re.split(r"[@.\s+_-]+", c) if len(w) >= 3}
    words |= {c.lower() for c in context}
    if lowered in words or any(
        len(w) >= 4 and w in lowered and len(w) * 2 >= len(lowered) for w in words
    ):
        raise PasswordRejectedError(
            "Your password must not be based on your email address or name.", param=param
        )
    from zxcvbn import zxcvbn

    # zxcvbn refuses inputs over 72 characters; a longer passphrase is scored on its start.
    result = zxcvbn(password[:72], user_inputs=[*context, "threshold"])
    if int(result["score"]) <= 1:
        warning = str(result["feedback"].get("warning") or "").strip()
        reason = warning or "This password is too easy to guess."
        raise PasswordRejectedError(
            f"{reason.rstrip('.')}. Please choose a stronger password.",
            param=param,
            code="form_password_not_strong_enough",
        )


class PasswordHasher:
    """argon2id hashing with rehash-on-parameter-change; verifies imported digests."""

    def __init__(self, *, memory_cost: int = 19456, time_cost: int = 2, parallelism: int = 1):
        self._argon = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            type=argon2.Type.ID,
        )
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        """An argon2id digest of the NFKC-normalized password."""
        return self._argon.hash(normalize_password(password))

    def verify(self, digest: str, password: str) -> bool:
        """Constant-work check of ``password`` against an argon2 or bcrypt digest."""
        normalized = normalize_password(password)
        if digest.startswith(("$2a$", "$2b$", "$2y$")):
            try:
                return bcrypt.checkpw(normalized.encode()[:72], digest.encode())
            except ValueError:
                return False
        try:
            return self._argon.verify(digest, normalized)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, digest: str) -> bool:
        """True for imported digests and argon2id with weaker parameters than configured."""
        if not digest.startswith("$argon2id$"):
            return True
        try:
            return self._argon.check_needs_rehash(digest)
        except InvalidHashError:
            return True

    def burn(self, password: str) -> None:
        """Spend one verification's time on nothing (unknown users; no timing oracle)."""
        if self._dummy is None:
            self._dummy = self._argon.hash("threshold-dummy-password")
        self.verify(self._dummy, password)

    @staticmethod
    def is_supported_digest(hasher: str, digest: str) -> bool:
        """Whether an imported ``password_digest`` has the shape its ``password_hasher`` names."""
        if hasher == "bcrypt":
            return digest.startswith(("$2a$", "$2b$", "$2y$"))
        if hasher in ("argon2i", "argon2id"):
            return digest.startswith(f"${hasher}$")
        return False
