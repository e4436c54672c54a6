"""``threshold.django.middleware.AuthMiddleware``: sets ``request.auth`` and ``auth()``.

Sync or async, as Django runs it. Handshake redirects are answered here; queued
cookies (renewed session, CSRF pre-session cookie, flash) are added to the response;
``Redirect``/``ActionError`` raised by a view (``protect()``) become their responses.
"""

from __future__ import annotations

from typing import Any

from threshold.sdk.errors import MissingDependencyError

try:
    from asgiref.sync import iscoroutinefunction, markcoroutinefunction
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise MissingDependencyError("django", "asgiref") from exc

from threshold.django._bridge import add_cookies, build_sdk, request_info, to_django
from threshold.sdk.actions.dispatch import SCRIPT_PATH
from threshold.sdk.actions.templating import script_response
from threshold.sdk.context import RequestServices, RequestState, bind_state, reset_state
from threshold.sdk.http import RequestInfo
from threshold.sdk.interrupts import interrupt_response, is_interrupt
from threshold.sdk.outcome import AuthOutcome

__all__ = ["AuthMiddleware"]


class AuthMiddleware:
    """Authenticates each request; see the module docstring."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response
        self.sdk = sdk = build_sdk()
        self.services = RequestServices.for_app(sdk.config, sdk.clients, sdk.verifier.now)
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: Any) -> Any:
        if self.is_async:
            return self._acall(request)
        info = request_info(request)
        outcome = self._known(request) or self.sdk.authenticate_sync(info)
        state, early = self._start(request, info, outcome)
        if early is not None:
            return early
        token = bind_state(state)
        try:
            response = self.get_response(request)
        finally:
            reset_state(token)
            state.finish()
        add_cookies(response, state.cookies)
        return response

    async def _acall(self, request: Any) -> Any:
        info = request_info(request)
        outcome = self._known(request) or await self.sdk.authenticate_async(info)
        state, early = self._start(request, info, outcome)
        if early is not None:
            return early
        token = bind_state(state)
        try:
            response = await self.get_response(request)
        finally:
            reset_state(token)
            state.finish()
        add_cookies(response, state.cookies)
        return response

    def _known(self, request: Any) -> AuthOutcome | None:
        """The outcome when the credential headers alone settle it (``sdk._shortcut``)."""
        meta = request.META
        return self.sdk.shortcut.settle(
            meta.get("QUERY_STRING", ""),
            meta.get("HTTP_AUTHORIZATION"),
            meta.get("HTTP_COOKIE"),
        )

    def _start(
        self, request: Any, info: RequestInfo, outcome: AuthOutcome
    ) -> tuple[RequestState, Any]:
        state = RequestState(self.services, info, outcome)
        if outcome.response is not None:
            return state, to_django(outcome.response)
        if info.path == info.root_path + SCRIPT_PATH:
            return state, to_django(script_response())
        request.threshold = state
        request.auth = state.auth()
        return state, None

    def process_exception(self, request: Any, exception: Exception) -> Any:
        """Turn ``protect()``'s signals into responses."""
        state: RequestState | None = getattr(request, "threshold", None)
        if state is None or not is_interrupt(exception):
            return None
        reply = interrupt_response(exception, state.request)
        return to_django(reply, state.cookies) if reply is not None else None
