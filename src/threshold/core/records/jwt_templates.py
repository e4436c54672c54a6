"""JWT templates: custom claims signed on demand."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["JwtTemplate"]


@dataclass(frozen=True, slots=True)
class JwtTemplate:
    """A named set of claims (with shortcodes), a lifetime and a clock skew, in seconds."""

    id: str
    name: str
    claims: Mapping[str, Any]
    lifetime: int
    allowed_clock_skew: int
    created_at: int
    updated_at: int
