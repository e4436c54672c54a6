"""Per-request auth state in a contextvar: ``auth()``, ``current_user()``, ``acurrent_user()``.

The middleware builds a :class:`RequestState` and binds it for the request; helpers
read it from anywhere in the request (sync or async code, threads started by the
framework with a copied context). ``current_user()`` makes at most one Backend API call
per request, whichever of the sync and async helpers asks first.

Sync ``current_user()`` on a thread that runs an event loop (an ``async def`` handler)
returns the user if this request already loaded it, and otherwise raises
:class:`BlockingCallError` rather than stall every request on that loop: use
``await acurrent_user()`` there. Sync handlers run in worker threads, where it is fine.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING

from threshold.sdk.auth_object import Auth
from threshold.sdk.client.models import User
from threshold.sdk.errors import ApiError, AuthContextMissingError, BlockingCallError
from threshold.sdk.http import RequestInfo
from threshold.sdk.outcome import AuthOutcome

if TYPE_CHECKING:
    from threshold.sdk.authenticate import Authenticator

__all__ = [
    "RequestState",
    "acurrent_user",
    "auth",
    "bind_state",
    "current_state",
    "current_user",
    "reset_state",
]

_STATE: ContextVar[RequestState | None] = ContextVar("threshold_request", default=None)
_UNSET = object()
_LOCK_MAKER = threading.Lock()


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class RequestState:
    """Everything the SDK knows about the current request.

    ``request`` may be given as a function that builds it: the middlewares pass one, so
    a request whose handler never needs the request view does not pay for it.
    """

    __slots__ = (
        "_auth",
        "_request",
        "_user",
        "_user_lock",
        "_user_task",
        "browser_id",
        "claims",
        "flash_cleared",
        "is_action",
        "reason",
        "response_cookies",
        "sdk",
        "stale_session_id",
        "token",
    )

    def __init__(
        self,
        sdk: Authenticator,
        request: RequestInfo | Callable[[], RequestInfo],
        outcome: AuthOutcome,
    ) -> None:
        self.sdk = sdk
        self._request = request
        self.claims = outcome.claims
        self.token = outcome.token
        self.reason = outcome.reason
        self.stale_session_id = outcome.stale_session_id
        self.response_cookies: list[str] = list(outcome.set_cookies)
        self.is_action = False
        self.browser_id: str | None = None
        self.flash_cleared = False
        self._auth: dict[bool, Auth] = {}
        self._user: object = _UNSET
        self._user_lock: threading.Lock | None = None
        self._user_task: asyncio.Future[User | None] | None = None

    @property
    def request(self) -> RequestInfo:
        """The SDK's view of the request (built on first use)."""
        request = self._request
        if not isinstance(request, RequestInfo):
            request = self._request = request()
        return request

    # -- AuthHost -------------------------------------------------------------------------
    @property
    def sign_in_url(self) -> str | None:
        return self.sdk.config.resolved_sign_in_url

    def mint_token(self, session_id: str, template: str | None, expires: int | None) -> str:
        if _in_event_loop():
            raise BlockingCallError("Use `await auth().aget_token(...)` in async code.")
        return (
            self.sdk.clients.api()
            .sessions.create_token(
                session_id, template, expires_in_seconds=expires, origin=self.request.origin
            )
            .jwt
        )

    async def amint_token(self, session_id: str, template: str | None, expires: int | None) -> str:
        token = await self.sdk.clients.aapi().sessions.create_token(
            session_id, template, expires_in_seconds=expires, origin=self.request.origin
        )
        return token.jwt

    # -- helpers ----------------------------------------------------------------------------
    def auth(self, treat_pending_as_signed_out: bool = True) -> Auth:
        """The :class:`Auth` of this request (built once)."""
        found = self._auth.get(treat_pending_as_signed_out)
        if found is None:
            found = Auth(
                self.claims,
                self.token,
                self,
                treat_pending_as_signed_out=treat_pending_as_signed_out,
            )
            self._auth[treat_pending_as_signed_out] = found
        return found

    def finish(self) -> None:
        """The request is over (the middlewares call this): forget the :class:`Auth`
        objects built for it. Each refers back to this state, and the cycle would keep
        both alive until the garbage collector runs, on every request that used auth()."""
        self._auth.clear()

    def add_cookie(self, set_cookie: str) -> None:
        """Queue a ``Set-Cookie`` value for the response."""
        self.response_cookies.append(set_cookie)

    def user_sync(self) -> User | None:
        """The signed-in user, fetched at most once per request."""
        if self._user is not _UNSET:
            return self._user  # type: ignore[return-value]
        user_id = self.auth().user_id
        if user_id is None:
            return None
        if _in_event_loop():
            raise BlockingCallError(
                "current_user() was called on a running event loop; "
                "use `await acurrent_user()` in async code."
            )
        with self._lock():
            if self._user is _UNSET:
                self._user = _fetch_or_none(lambda: self.sdk.clients.api().users.get(user_id))
        return self._user  # type: ignore[return-value]

    def _lock(self) -> threading.Lock:
        """This request's lock for loading the user (made on first use: most requests
        never load it)."""
        lock = self._user_lock
        if lock is None:
            with _LOCK_MAKER:
                if self._user_lock is None:
                    self._user_lock = threading.Lock()
                lock = self._user_lock
        return lock

    async def user_async(self) -> User | None:
        """Async twin of :meth:`user_sync`; concurrent callers share one call."""
        if self._user is not _UNSET:
            return self._user  # type: ignore[return-value]
        user_id = self.auth().user_id
        if user_id is None:
            return None
        task = self._user_task
        if task is None or task.get_loop() is not asyncio.get_running_loop():
            task = asyncio.ensure_future(self._load_user(user_id))
            self._user_task = task
        return await asyncio.shield(task)

    async def _load_user(self, user_id: str) -> User | None:
        try:
            user = await self.sdk.clients.aapi().users.get(user_id)
        except ApiError as exc:
            if exc.status != 404:
                raise
            user = None
        self._user = user
        return user


def _fetch_or_none(fetch: Callable[[], User]) -> User | None:
    try:
        user = fetch()
    except ApiError as exc:
        if exc.status == 404:
            return None
        raise
    return user


def bind_state(state: RequestState) -> Token[RequestState | None]:
    """Make ``state`` the current request's (the middleware calls this)."""
    return _STATE.set(state)


def reset_state(token: Token[RequestState | None]) -> None:
    """Undo :func:`bind_state`; tolerant of being called from another context."""
    try:
        _STATE.reset(token)
    except ValueError:
        _STATE.set(None)


def current_state() -> RequestState:
    """The current request's state; :class:`AuthContextMissingError` outside one."""
    state = _STATE.get()
    if state is None:
        raise AuthContextMissingError()
    return state


def auth(*, treat_pending_as_signed_out: bool = True) -> Auth:
    """Who the current request is from. No network: the token was verified locally.

    Signed out, every attribute is ``None`` and ``is_authenticated`` is False.
    """
    return current_state().auth(treat_pending_as_signed_out)


def current_user() -> User | None:
    """The signed-in user from the Backend API (one call per request), or None.

    Blocking: on a running event loop use ``await acurrent_user()`` instead.
    """
    return current_state().user_sync()


async def acurrent_user() -> User | None:
    """The signed-in user from the Backend API (one call per request), or None."""
    return await current_state().user_async()
