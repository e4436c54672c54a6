"""Template helpers: ``<form {{ action_attrs(f) }}>{{ action_fields(f) }} ... </form>``.

They read the current request from the middleware's contextvar, so they work in any
template engine; the strings they return carry ``__html__`` and are not escaped again
by Jinja2 or Django. Django's ``{% load threshold %}`` tags wrap the same functions.
"""

from __future__ import annotations

import html
import secrets
from functools import cache
from importlib import resources
from typing import Any

from threshold.sdk.actions.dispatch import ACTIONS_PATH, SCRIPT_PATH
from threshold.sdk.actions.flash import FLASH_COOKIE, ActionState, flash_delete_cookie, read_flash
from threshold.sdk.actions.registry import ServerAction
from threshold.sdk.actions.security import make_csrf_token, pre_session_cookie_name, sign_value
from threshold.sdk.context import RequestState, auth, current_state
from threshold.sdk.http import EarlyResponse, build_cookie

__all__ = [
    "Html",
    "action_attrs",
    "action_fields",
    "action_state",
    "action_url",
    "csrf_token",
    "jinja_globals",
    "script_response",
    "sign_in_url",
    "threshold_script",
]


class Html(str):
    """A string of markup that template engines must not escape again."""

    __slots__ = ()

    def __html__(self) -> str:
        return str(self)


def _action_id(state: RequestState, action: ServerAction[Any, Any]) -> str:
    if not isinstance(action, ServerAction):
        raise TypeError(f"{action!r} is not a @server_action function.")
    return action.action_id(state.services.actions.key)


def action_url(action: ServerAction[Any, Any]) -> str:
    """The URL a form posts to for ``action``."""
    state = current_state()
    return state.request.root_path + ACTIONS_PATH + _action_id(state, action)


def action_attrs(action: ServerAction[Any, Any]) -> Html:
    """``method``, ``action``, ``enctype`` and ``data-th-action`` attributes of the form."""
    state = current_state()
    action_id = _action_id(state, action)
    url = html.escape(state.request.root_path + ACTIONS_PATH + action_id)
    return Html(
        f'method="post" action="{url}" enctype="multipart/form-data" data-th-action="{action_id}"'
    )


def csrf_token() -> str:
    """A CSRF token for this browser: bound to the session, or to a per-browser cookie
    set with this response when signed out."""
    state = current_state()
    key = state.services.actions.key
    claims = state.snapshot.claims
    session_id = claims.get("sid") if claims else None
    if isinstance(session_id, str):
        return make_csrf_token(key, "s:" + session_id)
    name = pre_session_cookie_name(state.request)
    browser = state.request.cookies.get(name) or state.cookies.value(name)
    if not browser:
        browser = secrets.token_urlsafe(24)
        cookie = build_cookie(name, browser, http_only=True, secure=state.request.is_secure)
        state.cookies.append(cookie)
    return make_csrf_token(key, "p:" + browser)


def action_fields(action: ServerAction[Any, Any], bind: dict[str, Any] | None = None) -> Html:
    """Hidden inputs: the CSRF token, the page to come back to, and signed ``bind`` values
    (passed to the action as keyword arguments)."""
    state = current_state()
    action_id = _action_id(state, action)
    fields = [
        ("_th_csrf", csrf_token()),
        ("_th_return", state.request.path_and_query),
    ]
    if bind:
        signed = sign_value(state.services.actions.key, {"a": action_id, "v": bind})
        fields.append(("_th_bind", signed))
    return Html(
        "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(value)}">'
            for name, value in fields
        )
    )


def action_state(action: ServerAction[Any, Any]) -> ActionState:
    """The last result of ``action`` in this browser (after a plain form post), else an
    empty state. Reading it clears the flash cookie."""
    state = current_state()
    action_id = _action_id(state, action)
    actions = state.services.actions
    found = read_flash(actions.key, state.request.cookies.get(FLASH_COOKIE), actions.now())
    if found is None or found[0] != action_id:
        return ActionState()
    if state.cookies.value(FLASH_COOKIE) is None:
        state.cookies.append(flash_delete_cookie(state.request.is_secure))
    return found[1]


def threshold_script() -> Html:
    """The ``<script>`` tag of the small script that posts action forms with fetch."""
    state = current_state()
    src = html.escape(state.request.root_path + SCRIPT_PATH)
    return Html(f'<script src="{src}" defer></script>')


def sign_in_url(return_back_url: str | None = None) -> str:
    """The sign-in page with ``redirect_url`` back to this page."""
    return auth().sign_in_url(return_back_url)


@cache
def _script() -> bytes:
    return resources.files("threshold.sdk.actions").joinpath("static/threshold.js").read_bytes()


def script_response() -> EarlyResponse:
    """The script as a response (served at ``/_threshold/actions.js``)."""
    body = _script()
    headers = [
        ("content-type", "text/javascript; charset=utf-8"),
        ("content-length", str(len(body))),
        ("cache-control", "public, max-age=3600"),
    ]
    return EarlyResponse(200, headers, body)


def jinja_globals() -> dict[str, Any]:
    """The helpers for a Jinja2 environment: ``env.globals.update(jinja_globals())``."""
    return {
        "action_attrs": action_attrs,
        "action_fields": action_fields,
        "action_state": action_state,
        "action_url": action_url,
        "auth": auth,
        "csrf_token": csrf_token,
        "sign_in_url": sign_in_url,
        "threshold_script": threshold_script,
    }
