"""Profile images: ``GET /v1/images/{image_id}`` and the generated avatar SVG.

Uploaded images are served with the content type their magic bytes showed at upload
(never the browser's claim), ``nosniff`` and a sandboxing CSP, and cached for a year: a new
upload gets a new id, so a URL never changes meaning. Users without an image get
``/v1/images/avatar/{user_id}.svg``: their initials on a colour derived from the id.
Unknown ids get a neutral avatar, so the URL is no oracle for which users exist.
"""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from threshold.core.errors import NotFoundError
from threshold.server.pages.rendering import TEMPLATES
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.services.sessions.accounts import primary_email
from threshold.services.users.profile import IMAGE_TYPES
from threshold.store.repositories import EmailRepository, ImageRepository, UserRepository
from threshold.store.repositories._base import Row

__all__ = ["avatar_colour", "initials", "routes"]

_COLOURS = (
    "#4f46e5",
    "#0e7490",
    "#15803d",
    "#b45309",
    "#be123c",
    "#7e22ce",
    "#1d4ed8",
    "#a21caf",
    "#047857",
    "#c2410c",
)
_IMMUTABLE = "public, max-age=31536000, immutable"


def initials(user: Row | None, email: str | None) -> str:
    """Up to two capital letters from the names, else the email, else ``?``."""
    if user is not None:
        letters = [n.strip()[0] for n in (user.get("first_name"), user.get("last_name")) if n]
        if letters:
            return "".join(letters).upper()[:2]
    if email:
        return email[0].upper()
    return "?"


def avatar_colour(user_id: str) -> str:
    """A stable background colour for this id (white text stays readable on each)."""
    return _COLOURS[hashlib.sha256(user_id.encode()).digest()[0] % len(_COLOURS)]


async def image(request: Request) -> Response:
    ctx: ServerContext = request.app.state.ctx
    image_id = str(request.path_params["image_id"])

    async def work(tx: Tx) -> Row | None:
        return await ImageRepository(tx.conn).get(image_id) if len(image_id) <= 40 else None

    row = await run_transaction(ctx, work)
    if row is None:
        raise NotFoundError("Image not found.", param="image_id")
    etag = f'"{image_id}"'
    headers = {
        "Cache-Control": _IMMUTABLE,
        "ETag": etag,
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cross-Origin-Resource-Policy": "cross-origin",
        "Content-Disposition": "inline",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    kind = row["content_type"] if row["content_type"] in IMAGE_TYPES else "application/octet-stream"
    return Response(bytes(row["data"]), media_type=kind, headers=headers)


async def avatar(request: Request) -> Response:
    ctx: ServerContext = request.app.state.ctx
    user_id = str(request.path_params["user_id"])

    async def work(tx: Tx) -> tuple[Row | None, str | None]:
        user = await UserRepository(tx.conn).get(user_id) if len(user_id) <= 40 else None
        if user is None:
            return None, None
        return user, primary_email(user, await EmailRepository(tx.conn).for_user(user_id))

    user, email = await run_transaction(ctx, work)
    svg = TEMPLATES.get_template("avatar.svg").render(
        initials=initials(user, email),
        colour=avatar_colour(user_id) if user is not None else "#64748b",
    )
    return Response(
        svg,
        media_type="image/svg+xml",
        headers={
            "Cache-Control": "public, max-age=300",
            "Content-Security-Policy": "default-src 'none'",
            "Cross-Origin-Resource-Policy": "cross-origin",
        },
    )


routes = [
    Route("/v1/images/avatar/{user_id}.svg", avatar, methods=["GET"]),
    Route("/v1/images/{image_id}", image, methods=["GET"]),
]
