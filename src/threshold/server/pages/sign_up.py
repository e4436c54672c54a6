"""``/sign-up``: email + password (names optional), then the emailed 6-digit code.

``?__clerk_ticket=`` carries an invitation: its address is shown (not editable) and the
sign-up completes without a code, since the invitation already proved the address.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from threshold.core.errors import ThresholdError
from threshold.server.pages.form_input import field_errors, form_status
from threshold.server.pages.page import Page, page_route
from threshold.services.auth import sign_up
from threshold.services.auth.ticket_preview import invitation_email
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.store.repositories import SignUpRepository
from threshold.store.repositories._base import Row

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


async def _pending(page: Page) -> Row | None:
    async def work(tx: Tx) -> Row | None:
        client = page.state.client
        if client is None or not client["sign_up_id"]:
            return None
        return await SignUpRepository(tx.conn).get(client["sign_up_id"])

    row = await run_transaction(page.ctx, work, state=page.state)
    if row is None or row["email_verified"]:
        return None
    if sign_up.as_seen(row, page.ctx.now_ms())["status"] != "missing_requirements":
        return None  # finished or expired: the form starts a new one
    return row


async def _verify_form(page: Page, row: Row, *, status: int = 200, **values: Any) -> Response:
    return await page.render(
        "verify_code.html",
        title="Check your email",
        status=status,
        kind="sign_up",
        email=row["email_address"],
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
    params = {name: page.value(name) for name in _FIELDS}
    if page.value("ticket"):
        params["ticket"] = page.value("ticket")
        params.pop("email_address")
    try:
        row = await sign_up.create_sign_up(page.ctx, page.state, params)
    except ThresholdError as exc:
        errors, form_error = field_errors(exc, _FIELDS)
        return await _form(page, status=form_status(exc), errors=errors, form_error=form_error)
    if row["status"] == "complete":
        return await page.redirect(page.after_url, sync_session=True)
    try:
        await sign_up.prepare_verification(page.ctx, page.state, row["id"], "email_code")
    except ThresholdError as exc:
        return await _verify_form(page, row, status=form_status(exc), form_error=exc.message)
    return await page.redirect(page.link("/sign-up/verify"))


@page_route
async def verify(page: Page) -> Response:
    row = await _pending(page)
    if row is None:
        return await page.redirect(page.link("/sign-up"))
    if page.request.method == "GET":
        return await _verify_form(page, row)
    await page.read_form()
    code = "".join(page.value("code").split())
    try:
        done = await sign_up.attempt_verification(page.ctx, page.state, row["id"], code)
    except ThresholdError as exc:
        errors, form_error = field_errors(exc, ("code",))
        return await _verify_form(
            page, row, status=form_status(exc), errors=errors, form_error=form_error
        )
    if done["status"] != "complete":
        return await page.redirect(page.link("/sign-up"))
    return await page.redirect(page.after_url, sync_session=True)


@page_route
async def resend(page: Page) -> Response:
    await page.read_form()
    row = await _pending(page)
    if row is None:
        return await page.redirect(page.link("/sign-up"))
    try:
        await sign_up.prepare_verification(page.ctx, page.state, row["id"], "email_code")
    except ThresholdError as exc:
        return await _verify_form(page, row, status=form_status(exc), form_error=exc.message)
    return await page.redirect(page.link("/sign-up/verify", sent="1"))


routes = [
    Route("/sign-up", show, methods=["GET"]),
    Route("/sign-up", submit, methods=["POST"]),
    Route("/sign-up/verify", verify, methods=["GET", "POST"]),
    Route("/sign-up/resend", resend, methods=["POST"]),
]
