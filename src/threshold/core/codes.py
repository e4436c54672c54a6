"""One-time codes: 6 digits from ``secrets``, stored only as an HMAC."""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = [
    "CODE_TTL_SECONDS",
    "TEST_CODE",
    "code_digest",
    "codes_equal",
    "new_code",
    "token_digest",
]

CODE_TTL_SECONDS = 600
"""How long an emailed code can be used."""

TEST_CODE = "424242"
"""The fixed code that ``+clerk_test`` addresses accept on development instances."""


def new_code() -> str:
    """A uniformly random 6-digit code."""
    return f"{secrets.randbelow(1_000_000):06d}"


def code_digest(secret: bytes, purpose: str, subject_id: str, code: str) -> str:
    """HMAC-SHA256 of the code, bound to what it was issued for (purpose and subject)."""
    msg = f"{purpose}\x00{subject_id}\x00{code}".encode()
    return hmac.new(secret, msg, hashlib.sha256).hexdigest()


def codes_equal(a: str, b: str) -> bool:
    """Constant-time comparison of two digests."""
    return hmac.compare_digest(a.encode(), b.encode())


def token_digest(token: str) -> str:
    """SHA-256 of a high-entropy bearer secret (client tokens, API keys, tickets)."""
    return hashlib.sha256(token.encode()).hexdigest()
