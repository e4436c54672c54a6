"""Clerk-shaped object ids: ``<prefix>_`` followed by 27 base62 characters.

The 27 characters encode 4 bytes of seconds since the KSUID epoch followed by 16
random bytes, so ids sort roughly by creation time, as Clerk's do.
"""

from __future__ import annotations

import secrets
import time

__all__ = ["BASE62", "is_id", "new_id", "random_token"]

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_KSUID_EPOCH = 1_400_000_000
_BODY_LEN = 27


def _base62(number: int, width: int) -> str:
    chars = []
    while number:
        number, rem = divmod(number, 62)
        chars.append(BASE62[rem])
    return "".join(reversed(chars)).rjust(width, "0")


def new_id(prefix: str) -> str:
    """Return a new id such as ``user_2xYz...`` for the given prefix."""
    stamp = max(int(time.time()) - _KSUID_EPOCH, 0).to_bytes(4, "big")
    raw = int.from_bytes(stamp + secrets.token_bytes(16), "big")
    return f"{prefix}_{_base62(raw, _BODY_LEN)}"


def is_id(value: str, prefix: str) -> bool:
    """Tell whether ``value`` looks like an id of the given prefix (shape only)."""
    head, sep, body = value.partition("_")
    return (
        sep == "_" and head == prefix and len(body) == _BODY_LEN and all(c in BASE62 for c in body)
    )


def random_token(nbytes: int = 32) -> str:
    """Return an unguessable URL-safe token with ``nbytes`` of CSPRNG entropy."""
    return secrets.token_urlsafe(nbytes)
