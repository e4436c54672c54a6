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
from threshold.core.records.users import User
from threshold.server.pages.rendering import TEMPLATES
from threshold.services.runtime.context import ServerContext
from threshold.services.users.image_types import IMAGE_TYPES
from threshold.services.users.images import avatar_owner, get_image

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


def initials(user: User | None, email: str | None) -> str:
    """Up to two capital letters from the names, else the email, else ``?``."""
    if user is not None:
        letters = [n.strip()[0] for n in (user.first_name, user.last_name) if n]
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
    found = await get_image(ctx, image_id)
    if found is None:
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
    kind = found.content_type if found.content_type in IMAGE_TYPES else "application/octet-stream"
    return Response(bytes(found.data), media_type=kind, headers=headers)


async def avatar(request: Request) -> Response:
    ctx: ServerContext = request.app.state.ctx
    user_id = str(request.path_params["user_id"])
    owner = await avatar_owner(ctx, user_id)
    svg = TEMPLATES.get_template("avatar.svg").render(
        initials=initials(None, None)
        if owner is None
        else initials(owner.user, owner.primary_email),
        colour=avatar_colour(user_id) if owner is not None else "#64748b",
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
