"""Pages that sign in with an emailed code: ``/sign-in/code`` and ``/forgot-password``.

Both ask for an email, send a 6-digit code, check it, and (for a reset) take a new
password. Neither says whether the address has an account: an unknown address gets the
same pages, no email, and "Incorrect code." at the end. The sign-in attempt in progress
is the Client's own (``clients.sign_in_id``), so no id travels in URLs. An attempt that
expired (``abandoned``) sends the browser back to the first page, which says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from threshold.core.errors import ThresholdError
from threshold.server.pages.form_input import field_errors, form_status
from threshold.server.pages.page import Page, page_route
from threshold.services.auth import sign_in
from threshold.store.repositories._base import Row

__all__ = ["EMAIL_CODE", "RESET_PASSWORD", "CodeFlow"]

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

    async def attempt(self, page: Page) -> Row | None:
        """The Client's sign-in attempt of this flow as the wire shows it (an expired one
        reads, and is stored, ``abandoned``), or None."""
        row = await sign_in.current_sign_in(page.ctx, page.state)
        if row is None or row["strategy"] != self.strategy:
            return None
        return row

    async def restart(self, page: Page, row: Row | None) -> Response:
        """Back to the first page; it explains when the attempt expired."""
        expired = row is not None and row["status"] == "abandoned"
        return await page.redirect(page.link(self.base, expired="1" if expired else ""))

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
        self, page: Page, row: Row, *, status: int = 200, **values: Any
    ) -> Response:
        return await page.render(
            "verify_code.html",
            title="Check your email",
            status=status,
            kind=self.kind,
            email=row["identifier"],
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
        try:
            row = await sign_in.create_sign_in(
                page.ctx, page.state, {"identifier": page.value("identifier")}
            )
            await sign_in.prepare_first_factor(
                page.ctx, page.state, row["id"], {"strategy": self.strategy}
            )
        except ThresholdError as exc:
            errors, form_error = field_errors(exc, ("identifier",))
            return await self.start_form(
                page, status=form_status(exc), errors=errors, form_error=form_error
            )
        return await page.redirect(page.link(f"{self.base}/verify"))

    async def verify(self, page: Page) -> Response:
        row = await self.attempt(page)
        if row is None or row["status"] != "needs_first_factor":
            return await self.restart(page, row)
        if page.request.method == "GET":
            return await self.verify_form(page, row)
        await page.read_form()
        params = {"strategy": self.strategy, "code": "".join(page.value("code").split())}
        try:
            await sign_in.attempt_first_factor(page.ctx, page.state, row["id"], params)
        except sign_in.SignInExpiredError:
            return await self.restart(page, {"status": "abandoned"})
        except ThresholdError as exc:
            errors, form_error = field_errors(exc, ("code",))
            return await self.verify_form(
                page, row, status=form_status(exc), errors=errors, form_error=form_error
            )
        if self.kind == "reset":
            return await page.redirect(page.link(f"{self.base}/new"))
        return await page.redirect(page.after_url, sync_session=True)

    async def resend(self, page: Page) -> Response:
        await page.read_form()
        row = await self.attempt(page)
        if row is None or row["status"] != "needs_first_factor":
            return await self.restart(page, row)
        try:
            await sign_in.prepare_first_factor(
                page.ctx, page.state, row["id"], {"strategy": self.strategy}
            )
        except sign_in.SignInExpiredError:
            return await self.restart(page, {"status": "abandoned"})
        except ThresholdError as exc:
            return await self.verify_form(
                page, row, status=form_status(exc), form_error=exc.message
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
    row = await flow.attempt(page)
    if row is None or row["status"] != "needs_new_password":
        return await flow.restart(page, row)
    values = {"title": "Choose a new password", "email": row["identifier"]}
    if page.request.method == "GET":
        return await page.render("new_password.html", no_referrer=True, **values)
    await page.read_form()
    try:
        await sign_in.reset_password(page.ctx, page.state, row["id"], page.value("password"))
    except sign_in.SignInExpiredError:
        return await flow.restart(page, {"status": "abandoned"})
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
    return await page.redirect(page.after_url, sync_session=True)


EMAIL_CODE = CodeFlow(kind="sign_in", base="/sign-in/code", strategy="email_code")
RESET_PASSWORD = CodeFlow(
    kind="reset", base="/forgot-password", strategy="reset_password_email_code"
)
