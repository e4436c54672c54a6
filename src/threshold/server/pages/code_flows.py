"""Pages that sign in with an emailed code: ``/sign-in/code`` and ``/forgot-password``.

Both ask for an email, send a 6-digit code, check it, and (for a reset) take a new
password. Neither says whether the address has an account: an unknown address gets the
same pages, no email, and "Incorrect code." at the end. The sign-in attempt in progress
is the Client's own (``clients.sign_in_id``), so no id travels in URLs. An attempt that
expired (``abandoned``) sends the browser back to the first page, which says so. A user
with a second factor goes on to ``/sign-in/factor-two`` once the code (or the new
password) was accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from threshold.core.errors import ThresholdError
from threshold.core.records.sign_ins import SignIn, SignInStatus
from threshold.server.pages.factor_two import after_first_factor
from threshold.server.pages.form_input import field_errors, form_status
from threshold.server.pages.page import Page, page_route
from threshold.services.auth import password_reset, sign_in
from threshold.services.auth.strategies.base import StrategyKind

__all__ = ["EMAIL_CODE", "RESET_PASSWORD", "CodeFlow"]

_FIRST = StrategyKind.FIRST_FACTOR

_EXPIRED = {
    "sign_in": "This sign-in attempt has expired. Enter your email address to start again.",
    "reset": "This password reset has expired. Enter your email address to start again.",
}


@dataclass(frozen=True, slots=True)
class CodeFlow:
    """One email-code flow: where it lives and which sign-in strategy it uses."""

    kind: str
    """``sign_in`` or ``reset``: templates word their pages by it."""
    base: str
    strategy: str

    async def attempt(self, page: Page) -> SignIn | None:
        """The Client's sign-in attempt of this flow as it reads now (an expired one
        reads, and is stored, ``abandoned``), or None."""
        found = await sign_in.current_sign_in(page.ctx, page.state)
        if found is None or found.strategy != self.strategy:
            return None
        return found

    async def restart(self, page: Page, *, expired: bool) -> Response:
        """Back to the first page; it explains when the attempt expired."""
        return await page.redirect(page.link(self.base, expired="1" if expired else ""))

    async def restart_for(self, page: Page, found: SignIn | None) -> Response:
        """:meth:`restart`, saying so when ``found`` expired."""
        expired = found is not None and found.status == SignInStatus.ABANDONED
        return await self.restart(page, expired=expired)

    async def start_form(self, page: Page, *, status: int = 200, **values: Any) -> Response:
        values.setdefault("identifier", page.value("identifier"))
        return await page.render(
            "email_start.html",
            status=status,
            title="Reset your password" if self.kind == "reset" else "Sign in with a code",
            kind=self.kind,
            action=self.base,
            **values,
        )

    async def verify_form(
        self, page: Page, found: SignIn, *, status: int = 200, **values: Any
    ) -> Response:
        return await page.render(
            "verify_code.html",
            title="Check your email",
            status=status,
            kind=self.kind,
            email=found.identifier,
            action=f"{self.base}/verify",
            resend_action=f"{self.base}/resend",
            back=page.link(self.base),
            sent=page.value("sent") == "1",
            no_referrer=True,
            **values,
        )

    async def start(self, page: Page) -> Response:
        expired = page.value("expired") == "1"
        return await self.start_form(page, form_error=_EXPIRED[self.kind] if expired else None)

    async def send(self, page: Page) -> Response:
        await page.read_form()
        start = sign_in.SignInStart(identifier=page.value("identifier"))
        try:
            started = await sign_in.create_sign_in(page.ctx, page.state, start)
            await sign_in.prepare_factor(
                page.ctx, page.state, started.id, _FIRST, sign_in.FactorInput(self.strategy)
            )
        except ThresholdError as exc:
            errors, form_error = field_errors(exc, ("identifier",))
            return await self.start_form(
                page, status=form_status(exc), errors=errors, form_error=form_error
            )
        return await page.redirect(page.link(f"{self.base}/verify"))

    async def verify(self, page: Page) -> Response:
        found = await self.attempt(page)
        if found is None or found.status != SignInStatus.NEEDS_FIRST_FACTOR:
            return await self.restart_for(page, found)
        if page.request.method == "GET":
            return await self.verify_form(page, found)
        await page.read_form()
        code = "".join(page.value("code").split())
        given = sign_in.FactorInput(self.strategy, code)
        try:
            done = await sign_in.attempt_factor(page.ctx, page.state, found.id, _FIRST, given)
        except sign_in.SignInExpiredError:
            return await self.restart(page, expired=True)
        except ThresholdError as exc:
            errors, form_error = field_errors(exc, ("code",))
            return await self.verify_form(
                page, found, status=form_status(exc), errors=errors, form_error=form_error
            )
        if self.kind == "reset":
            return await page.redirect(page.link(f"{self.base}/new"))
        second = after_first_factor(page, done.status)
        if second is not None:
            return await page.redirect(second)
        return await page.redirect(page.after_url, sync_session=True)

    async def resend(self, page: Page) -> Response:
        await page.read_form()
        found = await self.attempt(page)
        if found is None or found.status != SignInStatus.NEEDS_FIRST_FACTOR:
            return await self.restart_for(page, found)
        try:
            await sign_in.prepare_factor(
                page.ctx, page.state, found.id, _FIRST, sign_in.FactorInput(self.strategy)
            )
        except sign_in.SignInExpiredError:
            return await self.restart(page, expired=True)
        except ThresholdError as exc:
            return await self.verify_form(
                page, found, status=form_status(exc), form_error=exc.message
            )
        return await page.redirect(page.link(f"{self.base}/verify", sent="1"))

    def routes(self) -> list[BaseRoute]:
        """The flow's pages: start, verify, resend (and, for a reset, the new password)."""
        routes: list[BaseRoute] = [
            Route(self.base, page_route(self.start), methods=["GET"]),
            Route(self.base, page_route(self.send), methods=["POST"]),
            Route(f"{self.base}/verify", page_route(self.verify), methods=["GET", "POST"]),
            Route(f"{self.base}/resend", page_route(self.resend), methods=["POST"]),
        ]
        if self.kind == "reset":
            routes.append(Route(f"{self.base}/new", new_password, methods=["GET", "POST"]))
        return routes


@page_route
async def new_password(page: Page) -> Response:
    """The last step of a reset: choose a new password; the reset signs this browser in."""
    flow = RESET_PASSWORD
    found = await flow.attempt(page)
    if found is None or found.status != SignInStatus.NEEDS_NEW_PASSWORD:
        return await flow.restart_for(page, found)
    values: dict[str, Any] = {"title": "Choose a new password", "email": found.identifier}
    if page.request.method == "GET":
        return await page.render("new_password.html", no_referrer=True, **values)
    await page.read_form()
    try:
        done = await password_reset.reset_password(
            page.ctx, page.state, found.id, page.value("password")
        )
    except sign_in.SignInExpiredError:
        return await flow.restart(page, expired=True)
    except ThresholdError as exc:
        errors, form_error = field_errors(exc, ("password",))
        return await page.render(
            "new_password.html",
            status=form_status(exc),
            no_referrer=True,
            errors=errors,
            form_error=form_error,
            **values,
        )
    second = after_first_factor(page, done.status)
    if second is not None:
        return await page.redirect(second)
    return await page.redirect(page.after_url, sync_session=True)


EMAIL_CODE = CodeFlow(kind="sign_in", base="/sign-in/code", strategy="email_code")
RESET_PASSWORD = CodeFlow(
    kind="reset", base="/forgot-password", strategy="reset_password_email_code"
)
