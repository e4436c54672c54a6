"""``/user``: the signed-in user's profile, password, image, devices and accounts.

Signed out, it sends the browser to ``/sign-in?redirect_url=/user``. Each form posts to
its own path and comes back with a 303 to ``/user?done=<what>`` (a fixed notice, never
text from the URL); a failed form re-renders the page with its error and typed values.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from threshold.core.errors import PayloadTooLargeError, ThresholdError
from threshold.server.pages.form_input import field_errors, form_status
from threshold.server.pages.page import Page, page_route
from threshold.server.pages.profile_view import profile_view
from threshold.services.sessions.accounts import accounts_view, revoke_session, switch_account
from threshold.services.users import profile

__all__ = ["routes"]

_NOTICES = {
    "profile": "Your profile was saved.",
    "image": "Your profile image was updated.",
    "image_removed": "Your profile image was removed.",
    "password": "Your password was changed. Your other devices were signed out.",
    "revoked": "That device was signed out.",
    "switched": "You switched accounts.",
}
_SIGN_IN = "/sign-in?redirect_url=%2Fuser"


async def _page(
    page: Page,
    *,
    status: int = 200,
    section: str | None = None,
    errors: dict[str, str] | None = None,
    form_error: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    view = await accounts_view(page.ctx, page.state)
    if view.active is None:
        return await page.redirect(_SIGN_IN, sync_session=True)
    data = profile_view(view, page.settings.public_url, page.ctx.now_ms())
    typed = {"first_name": data.first_name, "last_name": data.last_name, **(values or {})}
    response = await page.render(
        "user.html",
        status=status,
        title="Your account",
        profile=data,
        typed=typed,
        errors=errors or {},
        section=section,
        section_error=form_error,
        notice=_NOTICES.get(page.value("done")),
        max_image_kb=page.settings.max_body_bytes // 1024,
    )
    await page.sync_session(response)
    return response


async def _failed(
    page: Page, exc: ThresholdError, section: str, fields: tuple[str, ...]
) -> Response:
    """Re-render the page with the error in ``section`` (signed out: off to sign in)."""
    errors, form_error = field_errors(exc, fields)
    values = {f: page.value(f) for f in fields if "password" not in f}
    return await _page(
        page,
        status=form_status(exc),
        section=section,
        errors=errors,
        form_error=form_error,
        values=values,
    )


@page_route
async def show(page: Page) -> Response:
    return await _page(page)


@page_route
async def save_profile(page: Page) -> Response:
    await page.read_form()
    try:
        await profile.update_names(
            page.ctx, page.state, page.value("first_name"), page.value("last_name")
        )
    except ThresholdError as exc:
        return await _failed(page, exc, "profile", ("first_name", "last_name"))
    return await page.redirect("/user?done=profile")


@page_route
async def change_password(page: Page) -> Response:
    await page.read_form()
    try:
        await profile.change_password(
            page.ctx, page.state, page.value("current_password"), page.value("new_password")
        )
    except ThresholdError as exc:
        return await _failed(page, exc, "password", ("current_password", "new_password"))
    return await page.redirect("/user?done=password", sync_session=True)


@page_route
async def upload_image(page: Page) -> Response:
    try:
        await page.read_form(with_files=True)
    except PayloadTooLargeError as exc:
        return await _failed(page, exc, "image", ("image",))
    try:
        await profile.set_image(page.ctx, page.state, page.files.get("image", b""))
    except ThresholdError as exc:
        return await _failed(page, exc, "image", ("image",))
    return await page.redirect("/user?done=image")


@page_route
async def remove_image(page: Page) -> Response:
    await page.read_form()
    try:
        await profile.delete_image(page.ctx, page.state)
    except ThresholdError as exc:
        return await _failed(page, exc, "image", ("image",))
    return await page.redirect("/user?done=image_removed")


@page_route
async def revoke(page: Page) -> Response:
    await page.read_form()
    try:
        await revoke_session(page.ctx, page.state, page.value("session_id"))
    except ThresholdError as exc:
        return await _failed(page, exc, "sessions", ())
    return await page.redirect("/user?done=revoked")


@page_route
async def switch(page: Page) -> Response:
    await page.read_form()
    try:
        await switch_account(page.ctx, page.state, page.value("session_id"))
    except ThresholdError as exc:
        return await _failed(page, exc, "accounts", ())
    return await page.redirect(page.redirect_url or "/user?done=switched", sync_session=True)


@page_route
async def home(page: Page) -> Response:
    return await page.redirect("/user")


routes = [
    Route("/", home, methods=["GET"]),
    Route("/user", show, methods=["GET"]),
    Route("/user/profile", save_profile, methods=["POST"]),
    Route("/user/password", change_password, methods=["POST"]),
    Route("/user/image", upload_image, methods=["POST"]),
    Route("/user/image/delete", remove_image, methods=["POST"]),
    Route("/user/sessions/revoke", revoke, methods=["POST"]),
    Route("/user/switch", switch, methods=["POST"]),
]
