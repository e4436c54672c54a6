"""One hosted-page request: the browser's Client, its checked form, its cookies, its answer.

Handlers take a :class:`Page` (see :func:`page_route`): ``await page.read_form()`` checks
origin and CSRF token, ``await page.render(...)`` answers with a template (forms get a
fresh token), ``await page.redirect(...)`` answers with a 303 and, after a sign-in or
sign-out, the same ``__client`` / ``__session`` / ``__client_uat`` cookies the Frontend
API writes.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from threshold.core.errors import ThresholdError
from threshold.server.http import client_ip, safe_redirect, set_auth_cookies
from threshold.server.pages import csrf
from threshold.server.pages.form_input import read_form_body
from threshold.server.pages.rendering import (
    page_headers,
    render_error_page,
    render_html,
    render_unexpected_page,
)
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import ClientState
from threshold.services.sessions.browser import client_token_is_live, session_cookies

__all__ = ["Page", "page_route"]

_FORM_LIMIT = 64 * 1024


class Page:
    """State and helpers for one page request."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.ctx: ServerContext = request.app.state.ctx
        self.settings = self.ctx.settings
        self.state = ClientState(
            cookie_token=request.cookies.get("__client"),
            user_agent=request.headers.get("user-agent"),
            ip=client_ip(request, self.settings),
            origin=self.settings.public_url,
        )
        self.nonce = secrets.token_urlsafe(16)
        self.fields: dict[str, str] = {}
        self.files: dict[str, bytes] = {}
        self._pre_session: str | None = None

    # -- input -----------------------------------------------------------------
    def value(self, name: str) -> str:
        """A submitted field, or the query parameter of that name on a GET ('' if absent)."""
        if name in self.fields:
            return self.fields[name]
        return self.request.query_params.get(name, "")

    @property
    def redirect_url(self) -> str | None:
        """The requested ``redirect_url`` when :func:`safe_redirect` allows it."""
        return safe_redirect(self.value("redirect_url") or None, self.settings)

    @property
    def after_url(self) -> str:
        return self.redirect_url or self.settings.after_sign_in_url

    def link(self, path: str, **params: str) -> str:
        """``path`` with the (safe) redirect_url and ``params`` kept in its query."""
        query = {k: v for k, v in params.items() if v}
        if self.redirect_url:
            query["redirect_url"] = self.redirect_url
        return path + (f"?{urlencode(query)}" if query else "")

    async def read_form(self, *, with_files: bool = False) -> None:
        """Read the body (form or multipart), then check the origin and the CSRF token."""
        csrf.check_origin(self.request.headers, self.settings)
        self.fields, self.files = await read_form_body(
            self.request, self.settings.max_body_bytes, with_files=with_files
        )
        bindings = [
            v for v in (self.request.cookies.get("__client"), self._cookie_pre_session()) if v
        ]
        token = self.fields.get("csrf_token")
        if not csrf.token_is_valid(
            self.ctx.instance.hmac_secret, token, bindings, self.ctx.now_s()
        ):
            raise csrf.CsrfError()

    def _cookie_pre_session(self) -> str | None:
        value = self.request.cookies.get(csrf.PRE_SESSION_COOKIE)
        return value if value and len(value) <= 64 else None

    # -- output ----------------------------------------------------------------
    async def _settle_client_token(self) -> None:
        """Forget a new ``__client`` token whose transaction rolled back (it names no Client)."""
        token = self.state.new_token
        if token is not None and not await client_token_is_live(self.ctx, token):
            self.state.new_token = None

    def _binding(self) -> str:
        existing = self.state.new_token or self.request.cookies.get("__client")
        existing = existing or self._cookie_pre_session()
        if existing:
            return existing
        if self._pre_session is None:
            self._pre_session = csrf.new_pre_session()
        return self._pre_session

    def _write_cookies(self, response: Response) -> None:
        if self._pre_session is not None:
            response.set_cookie(
                csrf.PRE_SESSION_COOKIE,
                self._pre_session,
                max_age=csrf.TOKEN_MAX_AGE,
                path="/",
                httponly=True,
                secure=self.settings.secure_cookies,
                samesite="lax",
            )
        if self.state.new_token is not None:
            set_auth_cookies(
                response,
                self.settings,
                client_token=self.state.new_token,
                session_token=None,
                client_uat=None,
            )

    async def render(
        self, name: str, *, status: int = 200, no_referrer: bool = False, **values: Any
    ) -> Response:
        """Answer with a template; its forms carry a CSRF token for this browser."""
        await self._settle_client_token()
        token = csrf.issue_token(self.ctx.instance.hmac_secret, self._binding(), self.ctx.now_s())
        values.setdefault("redirect_url", self.redirect_url or "")
        values.setdefault("link", self.link)
        response = render_html(
            self.request,
            name,
            {"csrf_token": token, **values},
            status=status,
            nonce=self.nonce,
            no_referrer=no_referrer,
        )
        self._write_cookies(response)
        return response

    async def redirect(self, url: str, *, sync_session: bool = False) -> Response:
        """A 303 to ``url``; with ``sync_session`` the session cookies follow the Client."""
        response = RedirectResponse(url, status_code=303)
        page_headers(response, self.settings, self.nonce)
        if sync_session:
            await self.sync_session(response)
        else:
            await self._settle_client_token()
            self._write_cookies(response)
        return response

    async def sync_session(self, response: Response) -> None:
        """Write ``__client`` (if rotated), ``__session`` and ``__client_uat`` for the Client."""
        jwt, uat = await session_cookies(self.ctx, self.state, origin=self.settings.public_url)
        set_auth_cookies(
            response,
            self.settings,
            client_token=self.state.new_token,
            session_token=jwt,
            client_uat=uat,
        )

    async def error(self, exc: ThresholdError) -> Response:
        """The error page for ``exc`` (status from the one error map)."""
        await self._settle_client_token()
        response = render_error_page(self.request, exc)
        self._write_cookies(response)
        return response


Handler = Callable[[Page], Awaitable[Response]]


def page_route(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a page handler: errors become error pages, never a trace."""

    @wraps(handler)
    async def endpoint(request: Request) -> Response:
        page = Page(request)
        try:
            return await handler(page)
        except ThresholdError as exc:
            return await page.error(exc)
        except Exception as exc:  # last resort: a generic page with a reference
            return render_unexpected_page(request, exc)

    return endpoint
