"""Per-request auth state in a contextvar: ``auth()``, ``current_user()``, ``acurrent_user()``.

The middleware builds a :class:`RequestState` and binds it for the request; helpers
read it from anywhere in the request (sync or async code, threads started by the
framework with a copied context). The state is three parts: who the request is from
(:class:`~threshold.sdk._auth_snapshot.AuthSnapshot`), its user, loaded on first use
with at most one Backend API call (:class:`~threshold.sdk._user_loader.UserLoader`),
and the cookies to set on its response
(:class:`~threshold.sdk._response_cookies.ResponseCookies`).

Sync ``current_user()`` on a thread that runs an event loop (an ``async def`` handler)
returns the user if this request already loaded it, and otherwise raises
:class:`BlockingCallError` rather than stall every request on that loop: use
``await acurrent_user()`` there. Sync handlers run in worker threads, where it is fine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import TYPE_CHECKING

from threshold.sdk._auth_snapshot import AuthSnapshot
from threshold.sdk._response_cookies import ResponseCookies
from threshold.sdk._user_loader import UserLoader, in_event_loop
from threshold.sdk.actions.dispatch import ActionDispatcher
from threshold.sdk.errors import AuthContextMissingError, BlockingCallError
from threshold.sdk.http import RequestInfo

if TYPE_CHECKING:
    from threshold.sdk._http_clients import HttpClients
    from threshold.sdk.auth_object import Auth
    from threshold.sdk.client.models import User
    from threshold.sdk.config import SdkConfig
    from threshold.sdk.outcome import AuthOutcome

__all__ = [
    "RequestServices",
    "RequestState",
    "acurrent_user",
    "auth",
    "bind_state",
    "current_state",
    "current_user",
    "reset_state",
]

_STATE: ContextVar[RequestState | None] = ContextVar("threshold_request", default=None)
_LOADER_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class RequestServices:
    """What every request of one app uses: the settings, the Backend API clients and the
    server-action dispatcher. The middleware builds it once and hands it to each state."""

    config: SdkConfig
    clients: HttpClients
    actions: ActionDispatcher

    @classmethod
    def for_app(
        cls, config: SdkConfig, clients: HttpClients, now: Callable[[], float]
    ) -> RequestServices:
        """The services of one app, with an action dispatcher of its own (``now`` is the
        clock of its flash cookies)."""
        return cls(config, clients, ActionDispatcher(config, now))


class RequestState:
    """Everything the SDK knows about the current request.

    ``request`` may be given as a function that builds it: the middlewares pass one, so
    a request whose handler never needs the request view does not pay for it.
    """

    __slots__ = ("_outcome", "_request", "_snapshot", "_users", "cookies", "is_action", "services")

    def __init__(
        self,
        services: RequestServices,
        request: RequestInfo | Callable[[], RequestInfo],
        outcome: AuthOutcome,
    ) -> None:
        self.services = services
        self._request = request
        self._outcome = outcome
        self._snapshot: AuthSnapshot | None = None
        self.cookies = ResponseCookies(outcome.set_cookies)
        self.is_action = False
        self._users: UserLoader | None = None

    @property
    def snapshot(self) -> AuthSnapshot:
        """Who the request is from (made on first use: a handler that never asks does
        not pay for it)."""
        snapshot = self._snapshot
        if snapshot is None:
            snapshot = self._snapshot = AuthSnapshot(self._outcome)
        return snapshot

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
        return self.services.config.resolved_sign_in_url

    def mint_token(self, session_id: str, template: str | None, expires: int | None) -> str:
        if in_event_loop():
            raise BlockingCallError("Use `await auth().aget_token(...)` in async code.")
        return (
            self.services.clients.api()
            .sessions.create_token(
                session_id, template, expires_in_seconds=expires, origin=self.request.origin
            )
            .jwt
        )

    async def amint_token(self, session_id: str, template: str | None, expires: int | None) -> str:
        token = await self.services.clients.aapi().sessions.create_token(
            session_id, template, expires_in_seconds=expires, origin=self.request.origin
        )
        return token.jwt

    # -- helpers ----------------------------------------------------------------------------
    def auth(self, treat_pending_as_signed_out: bool = True) -> Auth:
        """The :class:`Auth` of this request (built once)."""
        return self.snapshot.auth(self, treat_pending_as_signed_out)

    def finish(self) -> None:
        """The request is over (the middlewares call this): forget the :class:`Auth`
        objects built for it, which refer back to this state."""
        snapshot = self._snapshot
        if snapshot is not None:
            snapshot.forget()

    def user_sync(self) -> User | None:
        """The signed-in user, fetched at most once per request."""
        users = self._user_loader()
        return users.load_sync() if users is not None else None

    async def user_async(self) -> User | None:
        """Async twin of :meth:`user_sync`; concurrent callers share one call."""
        users = self._user_loader()
        return await users.load_async() if users is not None else None

    def _user_loader(self) -> UserLoader | None:
        """The loader of the signed-in user (made on first use: most requests never load
        it); None when signed out."""
        users = self._users
        if users is None:
            user_id = self.auth().user_id
            if user_id is None:
                return None
            with _LOADER_LOCK:
                if self._users is None:
                    self._users = UserLoader(user_id, self.services.clients)
                users = self._users
        return users


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
