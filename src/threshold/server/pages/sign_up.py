"""``/sign-up``: email + password (names optional), then the emailed 6-digit code.

``?__clerk_ticket=`` carries an invitation: its address is shown (not editable) and the
sign-up completes without a code, since the invitation already proved the address.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from threshold.core.errors import ThresholdError
from threshold.core.records.sign_ups import SignUp, SignUpStatus
from threshold.core.records.unset import UNSET
from threshold.server.pages.form_input import field_errors, form_status
from threshold.server.pages.page import Page, page_route
from threshold.services.auth import sign_up
from threshold.services.auth.ticket_preview import invitation_email

__all__ = ["routes"]

_FIELDS = ("first_name", "last_name", "email_address", "password")


async def _form(page: Page, *, status: int = 200, **values: Any) -> Response:
    ticket = page.value("ticket") or page.value("__clerk_ticket")
    invited = await invitation_email(page.ctx, ticket) if ticket else None
    if ticket and invited is None:
        values.setdefault("form_error", "This invitation is invalid or was already used.")
    for name in ("first_name", "last_name", "email_address"):
        values.setdefault(name, page.value(name))
    return await page.render(
        "sign_up.html",
        status=status,
        title="Create your account",
        ticket=ticket if invited else "",
        invited_email=invited,
        no_referrer=bool(ticket),
        **values,
    )


async def _verify_form(
    page: Page, pending: SignUp, *, status: int = 200, **values: Any
) -> Response:
    return await page.render(
        "verify_code.html",
        title="Check your email",
        status=status,
        kind="sign_up",
        email=pending.email_address,
        action="/sign-up/verify",
        resend_action="/sign-up/resend",
        back=page.link("/sign-up"),
        sent=page.value("sent") == "1",
        no_referrer=True,
        **values,
    )


@page_route
async def show(page: Page) -> Response:
    return await _form(page)


@page_route
async def submit(page: Page) -> Response:
    await page.read_form()
    ticket = page.value("ticket")
    fields = sign_up.SignUpFields(
        email_address=UNSET if ticket else page.value("email_address"),
        password=page.value("password"),
        first_name=page.value("first_name"),
        last_name=page.value("last_name"),
        ticket=ticket or None,
    )
    try:
        started = await sign_up.create_sign_up(page.ctx, page.state, fields)
    except ThresholdError as exc:
        errors, form_error = field_errors(exc, _FIELDS)
        return await _form(page, status=form_status(exc), errors=errors, form_error=form_error)
    if started.status == SignUpStatus.COMPLETE:
        return await page.redirect(page.after_url, sync_session=True)
    try:
        await sign_up.prepare_verification(page.ctx, page.state, started.id, None)
    except ThresholdError as exc:
        return await _verify_form(page, started, status=form_status(exc), form_error=exc.message)
    return await page.redirect(page.link("/sign-up/verify"))


@page_route
async def verify(page: Page) -> Response:
    pending = await sign_up.pending_sign_up(page.ctx, page.state)
    if pending is None:
        return await page.redirect(page.link("/sign-up"))
    if page.request.method == "GET":
        return await _verify_form(page, pending)
    await page.read_form()
    code = "".join(page.value("code").split())
    try:
        done = await sign_up.verify_sign_up(page.ctx, page.state, pending.id, None, code)
    except ThresholdError as exc:
        errors, form_error = field_errors(exc, ("code",))
        return await _verify_form(
            page, pending, status=form_status(exc), errors=errors, form_error=form_error
        )
    if done.status != SignUpStatus.COMPLETE:
        return await page.redirect(page.link("/sign-up"))
    return await page.redirect(page.after_url, sync_session=True)


@page_route
async def resend(page: Page) -> Response:
    await page.read_form()
    pending = await sign_up.pending_sign_up(page.ctx, page.state)
    if pending is None:
        return await page.redirect(page.link("/sign-up"))
    try:
        await sign_up.prepare_verification(page.ctx, page.state, pending.id, None)
    except ThresholdError as exc:
        return await _verify_form(page, pending, status=form_status(exc), form_error=exc.message)
    return await page.redirect(page.link("/sign-up/verify", sent="1"))


routes = [
    Route("/sign-up", show, methods=["GET"]),
    Route("/sign-up", submit, methods=["POST"]),
    Route("/sign-up/verify", verify, methods=["GET", "POST"]),
    Route("/sign-up/resend", resend, methods=["POST"]),
]
