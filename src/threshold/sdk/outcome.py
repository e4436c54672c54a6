"""The vocabulary between the request rules and the runner that carries out their calls.

The rules (``_rules.py``) make a :data:`Decision`: a generator that yields
:class:`HttpCall` or :data:`NEED_KEYS`, receives :class:`HttpReply` (or None), and
returns an :class:`AuthOutcome`. Keeping I/O out of the rules lets one set of rules
serve sync (WSGI) and async (ASGI) apps.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from threshold.sdk.http import EarlyResponse
from threshold.sdk.verify import Claims

__all__ = ["NEED_KEYS", "AuthOutcome", "Decision", "HttpCall", "HttpReply", "NeedKeys"]


@dataclass(frozen=True, slots=True)
class HttpCall:
    """A Backend API call the rules need made."""

    method: str
    url: str
    headers: Mapping[str, str]
    json: Any = None


@dataclass(frozen=True, slots=True)
class HttpReply:
    """Its answer; ``status`` 0 means the server could not be reached."""

    status: int
    body: Any = None


class NeedKeys:
    """Ask the driver to refresh the JWKS (rate limited, single-flight)."""


NEED_KEYS: Final = NeedKeys()


@dataclass(slots=True)
class AuthOutcome:
    """Signed in (``claims``) or out (``reason``), cookies to set, or a response to send."""

    claims: Claims | None
    token: str | None
    reason: str
    set_cookies: list[str] = field(default_factory=list)
    response: EarlyResponse | None = None
    stale_session_id: str | None = None
    """Signed out, but the cookie held a validly signed token of this session (expired,
    revoked...). Server actions accept CSRF tokens made for it, so a form rendered while
    signed in still shows its message instead of "form expired"."""


Decision = Generator[HttpCall | NeedKeys, HttpReply | None, AuthOutcome]
"""The rules deciding one request: the calls they need made, then the outcome."""
