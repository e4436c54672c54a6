"""The no-JavaScript result of an action: a signed, short-lived ``__th_flash`` cookie.

After a plain form POST the SDK answers ``303`` back to the page; the cookie carries the
outcome (message, field errors and the values typed, minus passwords, tokens and files)
for 60 seconds so the page can show it and refill the form.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from threshold.sdk.actions.formdata import FormData
from threshold.sdk.actions.security import sign_value, unsign_value
from threshold.sdk.http import build_cookie, delete_cookie

__all__ = [
    "FLASH_COOKIE",
    "FLASH_MAX_AGE",
    "ActionState",
    "flash_cookie",
    "flash_delete_cookie",
    "kept_values",
    "read_flash",
]

FLASH_COOKIE = "__th_flash"
FLASH_MAX_AGE = 60
_MAX_COOKIE = 3500
_SECRET_NAME = re.compile(r"pass|token|secret|csrf|card|cvc|cvv|otp", re.IGNORECASE)
_MAX_VALUE = 500


@dataclass(frozen=True, slots=True)
class ActionState:
    """The last result of one action for this browser (empty when there is none)."""

    ok: bool | None = None
    message: str | None = None
    errors: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.ok is not None

    @property
    def failed(self) -> bool:
        """True when the action refused or failed."""
        return self.ok is False

    def value(self, name: str, default: str = "") -> str:
        """What the user typed in ``name`` (to refill the form), else ``default``."""
        return self.values.get(name, default)


def kept_values(form: FormData) -> dict[str, str]:
    """Text fields worth refilling: no files, nothing secret-looking, each ≤ 500 chars."""
    return {
        name: value[:_MAX_VALUE]
        for name, value in form.to_dict().items()
        if not _SECRET_NAME.search(name)
    }


def flash_cookie(
    key: bytes,
    action_id: str,
    state: ActionState,
    now: float,
    *,
    secure: bool,
) -> str:
    """The ``Set-Cookie`` value carrying ``state`` (values dropped if too big)."""
    payload: dict[str, Any] = {
        "a": action_id,
        "ok": state.ok,
        "m": (state.message or "")[:1000],
        "e": dict(state.errors),
        "v": dict(state.values),
        "t": int(now),
    }
    value = sign_value(key, payload)
    if len(value) > _MAX_COOKIE:
        payload["v"] = {}
        payload["e"] = {k: v[:200] for k, v in list(payload["e"].items())[:20]}
        value = sign_value(key, payload)
    return build_cookie(FLASH_COOKIE, value, max_age=FLASH_MAX_AGE, http_only=True, secure=secure)


def flash_delete_cookie(secure: bool) -> str:
    """Clears the flash once shown."""
    return delete_cookie(FLASH_COOKIE, secure=secure)


def read_flash(key: bytes, cookie: str | None, now: float) -> tuple[str, ActionState] | None:
    """(action id, state) from a valid, fresh flash cookie, else None."""
    payload = unsign_value(key, cookie)
    if not isinstance(payload, dict):
        return None
    stamp, action_id = payload.get("t"), payload.get("a")
    if not isinstance(stamp, int) or not isinstance(action_id, str):
        return None
    if not 0 <= now - stamp <= FLASH_MAX_AGE:
        return None
    ok = payload.get("ok")
    message = payload.get("m")
    errors = payload.get("e")
    values = payload.get("v")
    return action_id, ActionState(
        ok=ok if isinstance(ok, bool) else None,
        message=message if isinstance(message, str) and message else None,
        errors={str(k): str(v) for k, v in errors.items()} if isinstance(errors, dict) else {},
        values={str(k): str(v) for k, v in values.items()} if isinstance(values, dict) else {},
    )
