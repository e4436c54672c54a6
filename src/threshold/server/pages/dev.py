"""``/dev/mailbox`` (development only): the emails the server sent, newest first.

It reads the in-memory :class:`DevMailbox` that development servers send every email to;
in production there is none, and the page is a plain 404.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.responses import Response
from starlette.routing import Route

from threshold.core.errors import NotFoundError
from threshold.server.pages.page import Page, page_route
from threshold.services.infra.mail import DevMailbox, Mail

__all__ = ["mailbox", "routes"]


def mailbox(page: Page) -> DevMailbox | None:
    """The development mailbox, when this server has one."""
    if not page.settings.is_development:
        return None
    return next((m for m in page.ctx.mailer.mailers if isinstance(m, DevMailbox)), None)


def _when(mail: Mail) -> str:
    return datetime.fromtimestamp(mail.sent_at, UTC).strftime("%H:%M:%S UTC")


@page_route
async def show(page: Page) -> Response:
    box = mailbox(page)
    if box is None:
        raise NotFoundError()
    messages = [{"mail": m, "when": _when(m)} for m in box.messages]
    return await page.render(
        "dev_mailbox.html", title="Dev mailbox", messages=messages, no_referrer=True
    )


routes = [Route("/dev/mailbox", show, methods=["GET"])]
