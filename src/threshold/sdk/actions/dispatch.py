"""Running one action POST, framework-free. An adapter calls, in order:

1. :meth:`ActionDispatcher.prepare`: method, id (404), origin (403), Content-Length (413);
2. parse the body with its framework, at most :meth:`~ActionDispatcher.limit` bytes;
3. :meth:`ActionDispatcher.bind`: the CSRF token (403), return path, bound arguments;
4. :meth:`ActionDispatcher.call_async` or :meth:`~ActionDispatcher.call_sync`;
5. :meth:`ActionDispatcher.finish`: the reply (JSON for the script, else 303 + flash).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from threshold.sdk.actions.formdata import FormData
from threshold.sdk.actions.registry import ServerAction, find_action
from threshold.sdk.actions.results import (
    Failure,
    describe_error,
    error_reply,
    redirect_target,
    result_reply,
    safe_local_path,
    safe_redirect,
)
from threshold.sdk.actions.security import (
    check_csrf_token,
    check_origin,
    pre_session_cookie_name,
    unsign_value,
)
from threshold.sdk.http import EarlyResponse, RequestInfo

if TYPE_CHECKING:
    from threshold.sdk._auth_snapshot import AuthSnapshot
    from threshold.sdk.config import SdkConfig

__all__ = ["ACTIONS_PATH", "SCRIPT_PATH", "ActionDispatcher", "ActionRequest", "Invocation"]

log = logging.getLogger("threshold.actions")

ACTIONS_PATH = "/_threshold/actions/"
SCRIPT_PATH = "/_threshold/actions.js"
Outcome = tuple[Any, BaseException | None]


class ActionRequest(Protocol):
    """The request an action answers (the SDK's ``RequestState``)."""

    @property
    def request(self) -> RequestInfo: ...
    @property
    def snapshot(self) -> AuthSnapshot: ...

    is_action: bool


@dataclass(slots=True)
class Invocation:
    """An action about to run, with its inputs checked."""

    action: ServerAction[Any, Any]
    action_id: str
    form: FormData
    bound: dict[str, Any]
    return_to: str
    wants_json: bool


def wants_json(state: ActionRequest) -> bool:
    """True for the script's fetch calls (JSON replies), False for plain form posts."""
    headers = state.request.headers
    return "threshold-action" in headers and "application/json" in headers.get("accept", "")


class ActionDispatcher:
    """Finds and runs actions for one configuration; ``now`` is the clock of the flash
    cookies. The adapter that serves actions owns it."""

    def __init__(self, config: SdkConfig, now: Callable[[], float]) -> None:
        self.config = config
        self.now = now
        self.trusted = config.authorized_parties

    @cached_property
    def key(self) -> bytes:
        """The key of action ids, CSRF tokens and flash cookies: made on first use, since
        only apps that use actions need a secret to derive it from."""
        return self.config.signing_key("actions")

    def route(self, path: str, root_path: str = "") -> str | None:
        """The action id in ``path`` (``<root>/_threshold/actions/<id>``), else None."""
        prefix = root_path + ACTIONS_PATH
        if not path.startswith(prefix):
            return None
        action_id = path[len(prefix) :]
        return action_id if action_id and "/" not in action_id else None

    def limit(self, action: ServerAction[Any, Any]) -> int:
        """The body size limit of ``action`` in bytes."""
        return action.max_body or self.config.max_action_body

    def prepare(
        self, state: ActionRequest, action_id: str
    ) -> ServerAction[Any, Any] | EarlyResponse:
        """The action to run, or the refusal to send."""
        request, as_json = state.request, wants_json(state)
        if request.method != "POST":
            reply = error_reply((405, "method_not_allowed", "Use POST.", {}), as_json)
            reply.headers.append(("allow", "POST"))
            return reply
        action = find_action(self.key, action_id)
        if action is None:
            return error_reply((404, "not_found", "This action does not exist.", {}), as_json)
        refused = check_origin(request, self.trusted)
        if refused is not None:
            log.warning("threshold: action refused: %s", refused)
            return error_reply((403, "csrf", "This request was refused.", {}), as_json)
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit(action)):
            return self.too_large(state)
        return action

    def too_large(self, state: ActionRequest) -> EarlyResponse:
        """The 413 reply."""
        failure: Failure = (413, "too_large", "The form is too large to send.", {})
        return error_reply(failure, wants_json(state))

    def bind(
        self, state: ActionRequest, action: ServerAction[Any, Any], action_id: str, form: FormData
    ) -> Invocation | EarlyResponse:
        """Check the CSRF token and collect the inputs."""
        request, as_json = state.request, wants_json(state)
        token = form.get("_th_csrf")
        token = token if isinstance(token, str) else request.headers.get("threshold-csrf")
        if not check_csrf_token(self.key, token, csrf_bindings(state)):
            message = "This form has expired. Reload the page and try again."
            return error_reply((403, "csrf", message, {}), as_json)
        bound: dict[str, Any] = {}
        signed = form.get("_th_bind")
        if isinstance(signed, str):
            value = unsign_value(self.key, signed)
            if not isinstance(value, dict) or value.get("a") != action_id:
                return error_reply((400, "bad_request", "The form is invalid.", {}), as_json)
            bound = dict(value.get("v") or {})
        return Invocation(
            action, action_id, form.without_internal(), bound, return_path(state, form), as_json
        )

    def _args(self, invocation: Invocation) -> tuple[tuple[Any, ...], dict[str, Any]]:
        args = (invocation.form,) if invocation.action.takes_form else ()
        return args, invocation.bound

    async def call_async(self, state: ActionRequest, invocation: Invocation) -> Outcome:
        """Run the action on the event loop (async) or in a worker thread (sync)."""
        state.is_action = True
        args, kwargs = self._args(invocation)
        func = invocation.action.func
        try:
            if invocation.action.is_async:
                return await func(*args, **kwargs), None
            return await asyncio.to_thread(func, *args, **kwargs), None
        except Exception as exc:
            return None, exc

    def call_sync(
        self,
        state: ActionRequest,
        invocation: Invocation,
        run_coroutine: Callable[[Callable[..., Awaitable[Any]]], Callable[..., Any]],
    ) -> Outcome:
        """Run the action in this thread; ``run_coroutine`` adapts an async action
        (Flask's ``ensure_sync``, asgiref's ``async_to_sync``)."""
        state.is_action = True
        args, kwargs = self._args(invocation)
        func = invocation.action.func
        try:
            if invocation.action.is_async:
                return run_coroutine(func)(*args, **kwargs), None
            return func(*args, **kwargs), None
        except Exception as exc:
            return None, exc

    def finish(
        self, state: ActionRequest, invocation: Invocation, outcome: Outcome
    ) -> EarlyResponse:
        """The reply for what the action returned or raised."""
        value, error = outcome
        failure: Failure | None = None
        target = redirect_target(value, error)
        if target is not None:
            try:
                target = safe_redirect(target, state.request, self.trusted)
            except ValueError as exc:
                failure, target = describe_error(exc, invocation.action.key), None
        elif error is not None:
            failure = describe_error(error, invocation.action.key)
        return result_reply(
            key=self.key,
            action_id=invocation.action_id,
            request=state.request,
            wants_json=invocation.wants_json,
            return_to=invocation.return_to,
            form=invocation.form,
            outcome=(value, failure, target),
            now=self.now(),
        )


def csrf_bindings(state: ActionRequest) -> list[str]:
    """What a valid token may be bound to: the session id and/or the browser cookie."""
    bindings = []
    snapshot = state.snapshot
    session_id = snapshot.claims.get("sid") if snapshot.claims else snapshot.stale_session_id
    if isinstance(session_id, str):
        bindings.append("s:" + session_id)
    browser = state.request.cookies.get(pre_session_cookie_name(state.request))
    if browser:
        bindings.append("p:" + browser)
    return bindings


def return_path(state: ActionRequest, form: FormData) -> str:
    """Where a plain form post goes back to: ``_th_return``, else the Referer's path."""
    local = safe_local_path(form.get("_th_return"))
    if local is not None:
        return local
    referer = state.request.headers.get("referer")
    if referer:
        parts = urlsplit(referer)
        if f"{parts.scheme}://{parts.netloc}" == state.request.origin:
            path = parts.path + ("?" + parts.query if parts.query else "")
            return safe_local_path(path) or "/"
    return "/"
