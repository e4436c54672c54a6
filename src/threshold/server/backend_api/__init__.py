"""The Backend API (``/v1/...`` with ``Authorization: Bearer sk_...``)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from threshold.server.settings import Settings

__all__ = ["routes"]


def routes(settings: Settings) -> list[BaseRoute]:
    """The Backend API's routes (filled in by the Backend API module)."""
    return []
