"""``/sign-in``: email and password, or a sign-in token link (``?__clerk_ticket=``).

A ticket is never redeemed by the GET itself: the page names the account and asks for a
click, a CSRF-protected POST, so a link alone cannot sign a browser in (login CSRF).
A user with a second factor goes on to ``/sign-in/factor-two``.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from threshold.core.errors import ThresholdError
from threshold.core.records.sign_ins import SignIn
from threshold.server.pages.factor_two import after_first_factor
from threshold.server.pages.form_input import field_errors, form_status
from threshold.server.pages.page import Page, page_route
from threshold.services.auth import sign_in
from threshold.services.auth.ticket_preview import sign_in_token_email
from threshold.services.sessions.accounts import accounts_view

__all__ = ["routes"]

_FIELDS = ("identifier", "password")


async def _form(page: Page, *, status: int = 200, **values: Any) -> Response:
    view = await accounts_view(page.ctx, page.state)
    values.setdefault("identifier", page.value("identifier"))
    return await page.render(
        "sign_in.html",
        status=status,
        title="Sign in",
        accounts=view.accounts,
        active=view.active,
        reset_done=page.value("reset") == "1",
        **values,
    )


@page_route
async def show(page: Page) -> Response:
    ticket = page.value("__clerk_ticket")
    if ticket:
        email = await sign_in_token_email(page.ctx, ticket)
        return await page.render(
            "sign_in_ticket.html",
            title="Sign in",
            ticket=ticket if email else "",
            email=email,
            form_error=None if email else "This sign-in link is invalid or has expired.",
            no_referrer=True,
        )
    return await _form(page)


@page_route
async def submit(page: Page) -> Response:
    await page.read_form()
    identifier, password = page.value("identifier"), page.value("password")
    missing = {
        name: message
        for name, value, message in (
            ("identifier", identifier, "Enter an email address."),
            ("password", password, "Enter your password."),
        )
        if not value.strip()
    }
    if missing:
        return await _form(page, status=422, errors=missing)
    start = sign_in.SignInStart(identifier=identifier, values={"password": password})
    try:
        started = await sign_in.create_sign_in(page.ctx, page.state, start)
    except ThresholdError as exc:
        errors, form_error = field_errors(exc, _FIELDS)
        return await _form(page, status=form_status(exc), errors=errors, form_error=form_error)
    return await _signed_in(page, started)


async def _signed_in(page: Page, started: SignIn) -> Response:
    """On to the second factor when the user has one, else back to the app."""
    second = after_first_factor(page, started.status)
    if second is not None:
        return await page.redirect(second)
    return await page.redirect(page.after_url, sync_session=True)


@page_route
async def redeem_ticket(page: Page) -> Response:
    await page.read_form()
    start = sign_in.SignInStart(strategy="ticket", values={"ticket": page.value("ticket")})
    try:
        started = await sign_in.create_sign_in(page.ctx, page.state, start)
    except ThresholdError as exc:
        return await page.render(
            "sign_in_ticket.html",
            status=form_status(exc),
            title="Sign in",
            ticket="",
            email=None,
            form_error=exc.message,
            no_referrer=True,
        )
    return await _signed_in(page, started)


routes = [
    Route("/sign-in", show, methods=["GET"]),
    Route("/sign-in", submit, methods=["POST"]),
    Route("/sign-in/ticket", redeem_ticket, methods=["POST"]),
]
