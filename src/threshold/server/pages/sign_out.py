"""``/sign-out``: end this browser's active session, or every account signed in on it.

The GET shows a confirmation form (links work without JavaScript); only the POST, with
its CSRF token, signs out. Afterwards the browser goes to a safe ``redirect_url``, else
to ``/user`` when another account is still signed in here, else to ``/sign-in``.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from threshold.server.pages.page import Page, page_route
from threshold.services.sessions.accounts import accounts_view, sign_out

__all__ = ["routes"]


@page_route
async def show(page: Page) -> Response:
    view = await accounts_view(page.ctx, page.state)
    if not view.accounts:
        return await page.redirect(page.link("/sign-in"), sync_session=True)
    return await page.render(
        "sign_out.html", title="Sign out", active=view.active, accounts=view.accounts
    )


@page_route
async def submit(page: Page) -> Response:
    await page.read_form()
    await sign_out(page.ctx, page.state, everyone=page.value("scope") == "all")
    remaining = await accounts_view(page.ctx, page.state)
    target = page.redirect_url or ("/user" if remaining.active else "/sign-in?signed_out=1")
    return await page.redirect(target, sync_session=True)


routes = [
    Route("/sign-out", show, methods=["GET"]),
    Route("/sign-out", submit, methods=["POST"]),
]
