"""Rendering choices the Backend API makes for every User it answers with."""

from __future__ import annotations

from typing import Any

from threshold.services.runtime.context import ServerContext
from threshold.wire.users import UserView, user_json

__all__ = ["user_out"]


def user_out(ctx: ServerContext, view: UserView) -> dict[str, Any]:
    """The Backend API User, with ``private_metadata``, as of now."""
    return user_json(view, ctx.settings.public_url, now_ms=ctx.now_ms())
